"""CKAN's read actions beyond packages: site_read, groups (the EU data themes), tags, the DataStore, ``fl``, in
process (ckanapi's CLI runs them against a served portal in test_ckan_api.py).

Shapes are compared key for key with real demo.ckan.org DataStore answers (tests/fixtures/ckan_datastore/,
see SOURCE.md there).
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from harvestable_portal import build, datasette_for, get, post

REAL = Path(__file__).parent / "fixtures" / "ckan_datastore"
SEARCH = "/api/3/action/datastore_search"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    return build(tmp_path_factory.mktemp("ckan-datastore"))


@pytest.fixture(scope="module")
def ds(site):
    return datasette_for(site[1], site[2])


def result(response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["result"]


def error(response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["__type"] == kind, body
    return body["error"]


def real(name: str) -> dict[str, Any]:
    return json.loads((REAL / name).read_text(encoding="utf-8"))["result"]


def search(ds, **params: Any):
    return get(ds, f"{SEARCH}?{urllib.parse.urlencode(params)}")


# --- site_read, groups, tags, fl -----------------------------------------------------


def test_site_read_is_true(ds) -> None:
    assert result(get(ds, "/api/3/action/site_read")) is True


def test_groups_are_the_eu_data_themes_of_the_datasets(ds) -> None:
    assert result(get(ds, "/api/3/action/group_list")) == ["gove"]
    [group] = result(get(ds, "/api/3/action/group_list?all_fields=true"))
    assert group["package_count"] == 3 and group["is_organization"] is False and group["type"] == "group"
    assert group["description"] == "http://publications.europa.eu/resource/authority/data-theme/GOVE"
    shown = result(get(ds, "/api/3/action/group_show?id=gove&include_datasets=true&lang=en"))
    assert shown["title"] == "Government and public sector"
    assert sorted(p["name"] for p in shown["packages"]) == [
        "alpha-service-performance",
        "alpha-services",
        "beta-services",
    ]
    package = result(get(ds, "/api/3/action/package_show?id=alpha-services"))
    assert [g["name"] for g in package["groups"]] == ["gove"]
    found = result(get(ds, "/api/3/action/package_search?fq=groups:gove&facet.field=%5B%22groups%22%5D"))
    assert found["count"] == 3 and found["facets"]["groups"] == {"gove": 3}
    error(get(ds, "/api/3/action/group_show?id=heal"), 404, "Not Found Error")
    error(get(ds, "/api/3/action/group_list?sort=size"), 409, "Validation Error")


def test_a_registry_files_a_dataset_kind_under_other_themes(tmp_path: Path) -> None:
    from conftest import write_registry

    from shafaf.config import registry
    from shafaf.core.datadir import DataDir
    from shafaf.datasette_plugins.app import make_datasette
    from shafaf.harvest.runner import harvest
    from shafaf.publish.writer import publish

    path = write_registry(tmp_path / "src")
    text = path.read_text(encoding="utf-8").replace("portal:\n", "portal:\n  themes: {services: [SOCI, GOVE]}\n", 1)
    path.write_text(text, encoding="utf-8")
    reg = registry.load(path)
    assert dict(reg.portal.themes) == {"services": ("SOCI", "GOVE")}
    data = DataDir(tmp_path / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    ds = make_datasette(data.public_db, reg.portal)
    assert result(get(ds, "/api/3/action/group_list")) == ["gove", "soci"]
    assert result(get(ds, "/api/3/action/group_show?id=soci"))["package_count"] == 2


def test_a_theme_outside_the_vocabulary_is_a_registry_problem(tmp_path: Path) -> None:
    from conftest import write_registry

    from shafaf.config import registry
    from shafaf.core.errors import RegistryError

    path = write_registry(tmp_path / "src")
    text = path.read_text(encoding="utf-8").replace("portal:\n", "portal:\n  themes: {services: [TAXES]}\n", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError, match="portal.themes.services: unknown theme TAXES"):
        registry.load(path)


def test_tags_list_and_show(ds) -> None:
    assert result(get(ds, "/api/3/action/tag_list")) == ["service_performance", "services", "transparency"]
    assert result(get(ds, "/api/3/action/tag_list?query=serv")) == ["service_performance", "services"]
    tag = result(get(ds, "/api/3/action/tag_show?id=services&include_datasets=true"))
    assert tag["name"] == "services" and sorted(p["name"] for p in tag["packages"]) == [
        "alpha-services",
        "beta-services",
    ]
    assert result(get(ds, f"/api/3/action/tag_show?id={tag['id']}"))["name"] == "services"
    error(get(ds, "/api/3/action/tag_show?id=nothing"), 404, "Not Found Error")


@pytest.mark.parametrize("fl", ["name,num_resources", "name num_resources", '["name", "num_resources"]'])
def test_package_search_fl_keeps_only_the_fields_asked_for(ds, fl: str) -> None:
    params = {"fl": fl} if not fl.startswith("[") else {"fl": json.loads(fl)}
    found = result(
        post(
            ds, "/api/3/action/package_search", content=json.dumps(params), headers={"content-type": "application/json"}
        )
    )
    assert found["results"] and all(set(r) == {"name", "num_resources"} for r in found["results"])


# --- the DataStore ---------------------------------------------------------------------


def test_resources_served_by_the_datastore_say_so(ds) -> None:
    real_resource = real("package_show_frictionless_with_datastore.json")["resources"][0]
    package = result(get(ds, "/api/3/action/package_show?id=alpha-services"))
    active = {r["format"]: r["datastore_active"] for r in package["resources"]}
    assert active == {"CSV": True, "JSON": True, "ZIP": False}
    assert set(real_resource) - {"revision_id"} <= set(package["resources"][0])


def test_datastore_search_has_real_ckans_keys(ds) -> None:
    for name, params in (("datastore_search_records.json", {}), ("datastore_search_limit0_fields.json", {"limit": 0})):
        theirs = real(name)
        ours = result(search(ds, resource_id="alpha-services-csv", **params))
        assert list(ours) == list(theirs), name
        assert set(ours["_links"]) == set(theirs["_links"])
        assert ours["fields"][0] == {"type": "int", "id": "_id"} and all(
            set(f) == {"type", "id"} for f in ours["fields"]
        )
    assert result(search(ds, resource_id="alpha-services-csv", limit=0))["records"] == []


def test_datastore_search_rows_of_one_agency_with_total_and_links(ds, site) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(site[2].public_db)
    expected = db.execute("SELECT count(*) FROM services WHERE agency_id = 'alpha'").fetchone()[0]
    got = result(search(ds, resource_id="alpha-services-csv", limit=1))
    assert got["total"] == expected and len(got["records"]) == 1
    assert {r["agency_id"] for r in result(search(ds, resource_id="alpha-services-json"))["records"]} == {"alpha"}
    assert got["_links"] == {
        "start": f"{SEARCH}?resource_id=alpha-services-csv&limit=1",
        "next": f"{SEARCH}?offset=1&resource_id=alpha-services-csv&limit=1",
    }
    second = result(get(ds, got["_links"]["next"]))
    assert second["records"][0]["_id"] != got["records"][0]["_id"]
    assert isinstance(got["records"][0]["smart"], (bool, type(None)))


def test_datastore_search_filters_q_fields_sort_distinct_and_formats(ds) -> None:
    every = result(search(ds, resource_id="alpha-services-csv", sort="service_id desc"))["records"]
    ids = [r["service_id"] for r in every]
    assert ids == sorted(ids, reverse=True) and len(ids) >= 2
    one = every[0]
    got = result(
        search(
            ds,
            resource_id="alpha-services-csv",
            filters=json.dumps({"service_id": [one["service_id"]]}),
            fields="_id,service_id",
        )
    )
    assert got["records"] == [{"_id": one["_id"], "service_id": one["service_id"]}] and got["total"] == 1
    word = one["name_en"].split()[0]
    found = result(search(ds, resource_id="alpha-services-csv", q=word))["records"]
    assert one["service_id"] in [r["service_id"] for r in found]
    assert result(search(ds, resource_id="alpha-services-csv", q=json.dumps({"service_id": "no-such-%"})))["total"] == 0
    lists = result(
        search(ds, resource_id="alpha-services-csv", fields="service_id", records_format="lists", sort="service_id")
    )
    assert lists["records"] == [[i] for i in sorted(ids)]
    text = result(
        search(ds, resource_id="alpha-services-csv", fields="agency_id", records_format="csv", distinct="true")
    )
    assert text["records"] == "alpha\n" and text["total"] == 1
    assert (
        "agency_id\talpha"
        not in result(
            search(ds, resource_id="alpha-services-csv", fields="agency_id,service_id", records_format="tsv")
        )["records"]
    )


@pytest.mark.parametrize(
    "params, field",
    [
        ({"resource_id": "alpha-services-csv", "fields": "nope"}, "fields"),
        ({"resource_id": "alpha-services-csv", "filters": '{"nope": 1}'}, "filters"),
        ({"resource_id": "alpha-services-csv", "filters": "{not json"}, "filters"),
        ({"resource_id": "alpha-services-csv", "filters": '{"service_id": {"a": 1}}'}, "filters"),
        ({"resource_id": "alpha-services-csv", "sort": "nope desc"}, "sort"),
        ({"resource_id": "alpha-services-csv", "sort": "service_id sideways"}, "sort"),
        ({"resource_id": "alpha-services-csv", "q": '{"nope": "x"}'}, "q"),
        ({"resource_id": "alpha-services-csv", "q": "x" * 200}, "q"),
        ({"resource_id": "alpha-services-csv", "records_format": "xml"}, "records_format"),
        ({"resource_id": "alpha-services-csv", "limit": "-1"}, "limit"),
        ({}, "resource_id"),
    ],
)
def test_bad_datastore_parameters_are_409_naming_the_parameter(ds, params: dict, field: str) -> None:
    assert field in error(search(ds, **params), 409, "Validation Error")


@pytest.mark.parametrize("resource_id", ["alpha-services-zip", "no-such-resource", "gamma-services-csv"])
def test_resources_without_rows_are_404(ds, resource_id: str) -> None:
    found = error(search(ds, resource_id=resource_id), 404, "Not Found Error")
    assert found["message"] == f'Resource "{resource_id}" was not found.'


def test_datastore_search_sql_answers_a_select(ds) -> None:
    got = result(
        get(
            ds,
            "/api/3/action/datastore_search_sql?"
            + urllib.parse.urlencode(
                {"sql": "SELECT agency_id, count(*) AS n FROM services GROUP BY agency_id ORDER BY agency_id"}
            ),
        )
    )
    assert [r["agency_id"] for r in got["records"]] == ["alpha", "beta"]
    assert got["fields"] == [{"id": "agency_id", "type": "text"}, {"id": "n", "type": "int8"}]
    assert "records_truncated" not in got


def test_datastore_search_sql_stops_at_max_returned_rows_and_says_so(ds) -> None:
    got = result(
        post(
            ds,
            "/api/3/action/datastore_search_sql",
            headers={"content-type": "application/json"},
            content=json.dumps(
                {
                    "sql": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 5000) SELECT i FROM n"
                }
            ),
        )
    )
    assert len(got["records"]) == 1000 and got["records_truncated"] is True


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM services",
        "UPDATE services SET name_en = 'x'",
        "DROP TABLE services",
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "PRAGMA writable_schema = 1",
        "SELECT 1; DELETE FROM services",
        "SELECT zeroblob(1000000000)",
        "SELECT * FROM no_such_table",
    ],
)
def test_datastore_search_sql_refuses_what_public_sql_refuses(ds, site, sql: str) -> None:
    import sqlite_utils

    before = sqlite_utils.Database(site[2].public_db).execute("SELECT count(*) FROM services").fetchone()[0]
    assert "query" in error(
        get(ds, "/api/3/action/datastore_search_sql?" + urllib.parse.urlencode({"sql": sql})), 409, "Validation Error"
    )
    assert sqlite_utils.Database(site[2].public_db).execute("SELECT count(*) FROM services").fetchone()[0] == before


@pytest.mark.slow
def test_datastore_search_sql_obeys_the_sql_time_limit(ds) -> None:
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n WHERE i < 0 OR i > 0"
    found = error(
        get(ds, "/api/3/action/datastore_search_sql?" + urllib.parse.urlencode({"sql": slow})), 409, "Validation Error"
    )
    assert found["query"] == ["Query took too long"]


def test_help_show_knows_the_new_actions(ds) -> None:
    for name in (
        "site_read",
        "group_list",
        "group_show",
        "tag_list",
        "tag_show",
        "datastore_search",
        "datastore_search_sql",
    ):
        assert result(get(ds, f"/api/3/action/help_show?name={name}"))


# --- the smaller mismatches ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_the_api_are_405_with_allow(ds, method: str) -> None:
    import asyncio

    for path in ("/api/3/action/package_list", "/api/action/package_list", "/data.json", "/schemas/"):
        answer = asyncio.run(ds.client.request(method, path))
        assert answer.status_code == 405 and "GET" in answer.headers["allow"], (method, path)


def test_an_organization_is_not_created_after_its_datasets(ds) -> None:
    for org in result(get(ds, "/api/3/action/organization_list?all_fields=true")):
        shown = result(get(ds, f"/api/3/action/organization_show?id={org['name']}&include_datasets=true"))
        assert all(shown["created"] <= p["metadata_created"] for p in shown["packages"]), org["name"]


def test_a_query_csv_cut_at_max_returned_rows_says_so_in_its_headers(ds) -> None:
    many = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) SELECT i FROM n"
    cut = get(ds, "/shafaf.csv?" + urllib.parse.urlencode({"sql": many, "_stream": "on"}))
    assert cut.status_code == 200 and len(cut.text.splitlines()) == 1001
    assert cut.headers["x-shafaf-truncated"] == "1000" and cut.headers["link"].startswith("</downloads/>")
    whole = get(ds, "/shafaf.csv?" + urllib.parse.urlencode({"sql": "SELECT 1", "_stream": "on"}))
    assert "x-shafaf-truncated" not in whole.headers
    assert "x-shafaf-truncated" not in get(ds, "/shafaf/services.csv?_stream=on").headers  # tables stream every row


def test_datastore_search_sql_is_refused_where_datasettes_sql_is(site) -> None:
    """``default_allow_sql: false`` turns off ``?sql=``; it turns off ``datastore_search_sql`` too (403)."""
    ds = datasette_for(site[1], site[2])
    ds._settings = dict(ds._settings, default_allow_sql=False)  # what `--setting default_allow_sql off` sets
    assert get(ds, "/shafaf.json?sql=select+1").status_code == 403
    found = error(get(ds, "/api/3/action/datastore_search_sql?sql=select+1"), 403, "Authorization Error")
    assert "SQL is turned off" in found["message"]
    assert result(search(ds, resource_id="alpha-services-csv", limit=1))["records"]  # the rows stay readable
