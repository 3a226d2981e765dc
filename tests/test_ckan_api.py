"""The CKAN Action API: in-process through Datasette's client, then with the real ckanapi against ``shafaf serve``,
and a second Shafaf harvesting the first through it (the round trip).

Response shapes are checked against real CKAN answers (tests/fixtures/ckan/,
legado.dados.gov.br; see SOURCE.md there): every key a real package,
resource and organization has, ours has, with a value of the same JSON type.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import ckanapi
import pytest
import sqlite_utils
from harvestable_portal import build, datasette_for, get, post
from served import served

from shafaf import standard
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.datasette_plugins.app import make_datasette
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish
from shafaf.standard import tables

FIXTURES = Path(__file__).parent / "fixtures" / "ckan"
# ckanapi's own command (its dump re-runs it for its workers); beside this Python, or on PATH.
CKANAPI = (
    str(Path(sys.executable).with_name("ckanapi"))
    if Path(sys.executable).with_name("ckanapi").exists()
    else shutil.which("ckanapi")
)
needs_cli = pytest.mark.skipif(CKANAPI is None, reason="the ckanapi command is not installed")
ACTIONS = ("/api/3/action/", "/api/action/")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, registry.Registry, DataDir]:
    return build(tmp_path_factory.mktemp("ckan-api"))


@pytest.fixture(scope="module")
def ds(site):
    return datasette_for(site[1], site[2])


@pytest.fixture(scope="module")
def base_url(site, tmp_path_factory):
    path, _, data = site
    with served(path, data.root, tmp_path_factory.mktemp("ckan-serve") / "serve.log") as url:
        yield url


def result(response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["result"]


def error(response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["__type"] == kind
    return body["error"]


def real_package() -> dict[str, Any]:
    return json.loads((FIXTURES / "package_search_organization_aeb.json").read_text(encoding="utf-8"))["result"][
        "results"
    ][0]


def same_types(real: dict[str, Any], ours: dict[str, Any], where: str) -> None:
    for key, value in real.items():
        assert key in ours, f"{where}: real CKAN has {key!r}"
        if value is not None and ours[key] is not None:
            assert type(ours[key]) is type(value), (
                f"{where}.{key}: {type(ours[key]).__name__}, CKAN {type(value).__name__}"
            )


# --- in-process ----------------------------------------------------------------------


def test_package_list_names_one_package_per_agency_and_dataset_with_rows(ds) -> None:
    assert result(get(ds, "/api/3/action/package_list")) == [
        "alpha-service-performance",
        "alpha-services",
        "beta-services",
    ]
    assert result(get(ds, "/api/3/action/package_list?limit=1&offset=1")) == ["alpha-services"]


@pytest.mark.parametrize("prefix", ACTIONS)
def test_both_prefixes_answer_get_and_json_post_alike(ds, prefix: str) -> None:
    by_get = result(get(ds, f"{prefix}package_show?id=alpha-services"))
    by_post = result(
        post(
            ds,
            f"{prefix}package_show",
            content=json.dumps({"id": "alpha-services"}),
            headers={"content-type": "application/json"},
        )
    )
    assert by_get == by_post
    assert by_get["name"] == "alpha-services" and by_get["organization"]["name"] == "alpha"


def test_package_resource_and_organization_have_real_ckans_keys_and_types(ds) -> None:
    real = real_package()
    ours = result(get(ds, "/api/3/action/package_show?id=alpha-services"))
    same_types({k: v for k, v in real.items() if k not in ("revision_id", "creator_user_id")}, ours, "package")
    same_types({k: v for k, v in real["resources"][0].items() if k != "revision_id"}, ours["resources"][0], "resource")
    same_types(
        {k: v for k, v in real["organization"].items() if k != "revision_id"}, ours["organization"], "organization"
    )
    same_types(real["tags"][0], ours["tags"][0], "tag")


def test_resources_are_the_csv_json_and_zip_with_sizes_dates_and_license(ds, site) -> None:
    _, reg, data = site
    package = result(get(ds, "/api/3/action/package_show?id=alpha-services"))
    by_format = {r["format"]: r for r in package["resources"]}
    assert set(by_format) == {"CSV", "JSON", "ZIP"}
    assert by_format["CSV"]["url"].startswith("http://localhost/shafaf/services.csv?agency_id=alpha")
    assert by_format["CSV"]["mimetype"] == "text/csv"
    zipped = data.downloads / "agencies" / "alpha.zip"
    assert by_format["ZIP"]["size"] == zipped.stat().st_size
    assert by_format["ZIP"]["url"] == "http://localhost/downloads/agencies/alpha.zip"
    db = sqlite_utils.Database(data.public_db)
    last = db.execute(
        "SELECT max(finished) FROM harvest_runs WHERE agency_id = 'alpha' AND dataset = 'services' AND outcome = 'ok'"
    ).fetchone()[0]
    assert by_format["CSV"]["last_modified"] == package["metadata_modified"] == last.rstrip("Z")
    assert package["license_id"] == reg.portal.license.id and package["license_url"] == reg.portal.license.url
    assert package["isopen"] is True


def test_resources_download_what_they_describe(ds) -> None:
    package = result(get(ds, "/api/3/action/package_show?id=beta-services"))
    csv_url = next(r["url"] for r in package["resources"] if r["format"] == "CSV")
    body = get(ds, csv_url.removeprefix("http://localhost")).text
    assert "B1" in body and "B2" in body and "S1" not in body
    shown = result(get(ds, f"/api/3/action/resource_show?id={package['resources'][2]['id']}"))
    assert shown == package["resources"][2]


def test_temporal_coverage_from_the_period_columns(ds) -> None:
    package = result(get(ds, "/api/3/action/package_show?id=alpha-service-performance"))
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert (extras["temporal_start"], extras["temporal_end"]) == ("2026-09-01", "2026-10-31")
    assert extras["rows"] == "4"


def test_titles_in_the_request_language_and_both_translated(ds) -> None:
    fa = result(get(ds, "/api/3/action/package_show?id=beta-services"))
    en = result(get(ds, "/api/3/action/package_show?id=beta-services&lang=en"))
    assert "سازمان ب" in fa["title"] and en["title"] == "Beta Organization: Services"
    assert fa["title_translated"] == en["title_translated"]


def test_package_search_filters_sorts_pages_and_facets(ds) -> None:
    found = result(get(ds, '/api/3/action/package_search?fq=organization:"alpha"&sort=name desc'))
    assert found["count"] == 2 and [p["name"] for p in found["results"]] == [
        "alpha-services",
        "alpha-service-performance",
    ]
    assert result(get(ds, "/api/3/action/package_search?fq=tags:services"))["count"] == 2
    assert result(get(ds, "/api/3/action/package_search?fq=-organization:alpha"))["count"] == 1
    assert result(get(ds, "/api/3/action/package_search?q=name:alpha*"))["count"] == 2
    assert (
        result(get(ds, "/api/3/action/package_search?q=*:*&rows=1&start=2&sort=name asc"))["results"][0]["name"]
        == "beta-services"
    )
    faceted = result(get(ds, '/api/3/action/package_search?facet.field=["organization","tags"]&rows=0'))
    assert faceted["results"] == [] and faceted["facets"]["organization"] == {"alpha": 2, "beta": 1}
    items = faceted["search_facets"]["tags"]["items"]
    assert {"name": "services", "display_name": "services", "count": 2} in items
    assert result(get(ds, "/api/3/action/package_search?rows=5000"))["count"] == 3  # capped, not refused


def test_modified_since_ranges_as_ckanext_harvest_sends_them(ds) -> None:
    since = "metadata_modified:[{} TO *]"
    assert (
        result(get(ds, "/api/3/action/package_search", params={"fq": since.format("2000-01-01T00:00:00.000000Z")}))[
            "count"
        ]
        == 3
    )
    assert (
        result(get(ds, "/api/3/action/package_search", params={"fq": since.format("2999-01-01T00:00:00Z")}))["count"]
        == 0
    )
    assert (
        result(get(ds, "/api/3/action/package_search", params={"fq": "metadata_created:[* TO 2000-01-01]"}))["count"]
        == 0
    )


def test_free_text_search_folds_arabic_and_persian_letters(ds) -> None:
    persian = result(get(ds, "/api/3/action/package_search", params={"q": "عملکرد"}))
    arabic = result(get(ds, "/api/3/action/package_search", params={"q": "عملكرد"}))  # Arabic kaf
    assert persian["count"] == arabic["count"] == 1
    assert result(get(ds, "/api/3/action/package_search?q=performance"))["count"] == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ("rows=-1", "rows"),
        ("rows=abc", "rows"),
        ("rows=1e3", "rows"),
        ("start=x", "start"),
        ("start=-5", "start"),
        ("sort=bogus asc", "sort"),
        ("sort=name sideways", "sort"),
        ("fq=unknown:x", "fq"),
        ('fq=organization:"unterminated', "fq"),
        ("q=a OR b", "q"),
        ("fq=metadata_modified:[yesterday TO *]", "fq"),
        ("facet.field=nope", "facet.field"),
        ("facet.field=[1]", "facet.field"),
        ("facet.limit=x", "facet.limit"),
        ("include_private=maybe", "include_private"),
        ("q=" + "x" * 2000, "q"),
    ],
)
def test_bad_search_parameters_are_409_validation_errors(ds, query: str, field: str) -> None:
    assert field in error(get(ds, f"/api/3/action/package_search?{query}"), 409, "Validation Error")


@pytest.mark.parametrize(
    "path",
    [
        "/api/3/action/package_show?id=nope",
        "/api/3/action/organization_show?id=nope",
        "/api/3/action/resource_show?id=alpha-services-xls",
        "/api/action/package_show?id=alpha-servicesx",
    ],
)
def test_unknown_ids_are_404_not_found_errors(ds, path: str) -> None:
    error(get(ds, path), 404, "Not Found Error")


def test_missing_ids_and_bad_list_parameters_are_409(ds) -> None:
    assert "id" in error(get(ds, "/api/3/action/package_show"), 409, "Validation Error")
    assert "limit" in error(get(ds, "/api/3/action/package_list?limit=-2"), 409, "Validation Error")
    assert "sort" in error(get(ds, "/api/3/action/organization_list?sort=size"), 409, "Validation Error")
    assert "page" in error(get(ds, "/api/3/action/current_package_list_with_resources?page=0"), 409, "Validation Error")


def test_unknown_and_write_actions_do_not_exist(ds) -> None:
    for name in ("package_create", "package_delete", "nope"):
        assert (
            "Action name not known"
            in error(
                post(ds, f"/api/action/{name}", content=b"{}", headers={"content-type": "application/json"}),
                400,
                "Bad Request",
            )["message"]
        )


def test_unreadable_bodies_are_400(ds) -> None:
    for body in (b"{not json", b"[1, 2]", b"[" * 100_000):
        error(
            post(ds, "/api/action/package_list", content=body, headers={"content-type": "application/json"}),
            400,
            "Bad Request",
        )
    error(
        post(ds, "/api/action/package_list", content=b"x" * 70_000, headers={"content-type": "application/json"}),
        400,
        "Bad Request",
    )


def test_a_form_post_carrying_cookies_is_refused_by_datasettes_csrf_protection(ds) -> None:
    response = post(
        ds,
        "/api/action/package_list",
        content=b"limit=1",
        headers={"content-type": "application/x-www-form-urlencoded", "cookie": "shafaf_lang=fa"},
    )
    assert response.status_code == 403


def test_cors_for_get_and_json_content_type(ds) -> None:
    response = get(ds, "/api/3/action/status_show")
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["x-content-type-options"] == "nosniff"
    preflight = asyncio.run(ds.client.request("OPTIONS", "/api/action/package_show"))
    assert preflight.status_code == 204 and "POST" not in preflight.headers["access-control-allow-methods"]


def test_organizations_list_every_agency_with_package_counts(ds) -> None:
    assert result(get(ds, "/api/3/action/organization_list")) == ["alpha", "beta", "gamma"]
    full = result(get(ds, "/api/3/action/organization_list?all_fields=true&sort=package_count desc"))
    assert [(o["name"], o["package_count"]) for o in full] == [("alpha", 2), ("beta", 1), ("gamma", 0)]
    shown = result(get(ds, "/api/3/action/organization_show?id=alpha&include_datasets=true"))
    assert [p["name"] for p in shown["packages"]] == ["alpha-service-performance", "alpha-services"]
    assert "packages" not in result(get(ds, "/api/3/action/organization_show?id=alpha"))


def test_status_and_current_package_list(ds) -> None:
    status = result(get(ds, "/api/3/action/status_show"))
    assert status["ckan_version"].startswith("2.") and status["site_url"] == "http://localhost"
    listed = result(get(ds, "/api/3/action/current_package_list_with_resources?limit=2"))
    assert len(listed) == 2 and all(len(p["resources"]) == 3 for p in listed)
    assert result(get(ds, "/api/3/action/help_show?name=package_search")).startswith("``q``")
    assert get(ds, "/api/3").json() == {"version": 3}


# --- the real ckanapi against a served portal ---------------------------------------------


@pytest.mark.slow
@needs_cli
def test_ckanapi_cli_action_package_list(base_url: str) -> None:
    out = subprocess.run(
        [CKANAPI, "action", "package_list", "-r", base_url], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert json.loads(out) == ["alpha-service-performance", "alpha-services", "beta-services"]


def test_remote_ckan_package_show_and_its_errors(base_url: str) -> None:
    with ckanapi.RemoteCKAN(base_url, user_agent="shafaf-tests") as remote:
        package = remote.action.package_show(id="alpha-services")
        assert package["organization"]["name"] == "alpha" and len(package["resources"]) == 3
        with pytest.raises(ckanapi.NotFound):
            remote.action.package_show(id="no-dataset")
        with pytest.raises(ckanapi.ValidationError):
            remote.action.package_search(rows=-1)
        found = remote.action.package_search(fq="organization:beta", rows=1000)
        assert [p["name"] for p in found["results"]] == ["beta-services"]
    with ckanapi.RemoteCKAN(base_url, get_only=True) as remote:
        assert remote.action.organization_show(id="beta", include_datasets=True)["package_count"] == 1


@pytest.mark.slow
@needs_cli
def test_ckanapi_dump_datasets_all(base_url: str, tmp_path: Path) -> None:
    out = tmp_path / "datasets.jsonl"
    subprocess.run(
        [CKANAPI, "dump", "datasets", "--all", "-r", base_url, "-O", str(out), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dumped = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(p["name"] for p in dumped) == ["alpha-service-performance", "alpha-services", "beta-services"]
    assert all(p["resources"] for p in dumped)


# --- ckanapi's CLI: the groups and organizations dumps and search (issue 20) -------------------------


@pytest.mark.slow
@needs_cli
@pytest.mark.parametrize("thing, names", [("groups", ["gove"]), ("organizations", ["alpha", "beta", "gamma"])])
def test_ckanapi_dump_all_runs_clean(base_url: str, tmp_path: Path, thing: str, names: list[str]) -> None:
    out = tmp_path / f"{thing}.jsonl"
    done = subprocess.run(
        [CKANAPI, "dump", thing, "--all", "-r", base_url, "-O", str(out), "-p", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    dumped = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(d["name"] for d in dumped) == names


@pytest.mark.slow
@needs_cli
def test_ckanapi_search_datasets_runs_clean(base_url: str) -> None:
    done = subprocess.run(
        [CKANAPI, "search", "datasets", "q=alpha", "-r", base_url], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    found = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(p["name"] for p in found) == ["alpha-service-performance", "alpha-services"]
    assert all(p["groups"] and p["resources"] for p in found)


# --- the round trip: a second Shafaf harvests the first through its CKAN API -----------------


def _second_registry(root: Path, base_url: str) -> Path:
    """A portal whose agencies' only sources are the first portal's CKAN datasets, picked by tag."""

    def source(kind: str, org: str) -> str:
        return (
            f"      - {{id: {kind}, dataset: {kind}, kind: ckan, url: '{base_url}', organization: {org}, "
            f"select: {{dataset_tag: {kind}}}}}\n"
        )

    text = (
        "portal:\n"
        "  title_en: Second portal\n"
        "  allow_private_networks: true   # the first portal is on 127.0.0.1\n"
        "agencies:\n"
        "  - id: alpha\n    name_fa: سازمان الف\n    name_en: Alpha Organization\n    sources:\n"
        + source("services", "alpha")
        + source("service_performance", "alpha")
        + "  - id: beta\n    name_fa: سازمان ب\n    name_en: Beta Organization\n    sources:\n"
        + source("services", "beta")
    )
    root.mkdir(parents=True, exist_ok=True)
    path = root / "agencies.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _rows(db_path: Path, kind: str) -> list[tuple[Any, ...]]:
    names = standard.field_names(kind)
    db = sqlite_utils.Database(db_path)
    order = ", ".join(f"[{n}]" for n in names)
    return db.execute(f"SELECT {order} FROM [{kind}] ORDER BY {order}").fetchall()


def test_a_second_shafaf_harvesting_the_ckan_api_republishes_identically(site, base_url: str, tmp_path: Path) -> None:
    _, _, first = site
    reg = registry.load(_second_registry(tmp_path / "src", base_url))
    data = DataDir(tmp_path / "var")
    runs = harvest(reg.agencies, registry=reg, data=data)
    assert all(r.outcome == "ok" for r in runs), [(r.source_id, r.outcome, r.message) for r in runs]
    assert all(r.ok for r in publish(list(reg.agencies), registry=reg, data=data))
    for kind in tables.DATASET_TABLES:
        if sqlite_utils.Database(first.public_db)[kind].exists():
            assert _rows(data.public_db, kind) == _rows(first.public_db, kind), kind
    assert _rows(data.public_db, "services")  # not vacuously equal
    again = make_datasette(data.public_db, reg.portal)
    assert result(get(again, "/api/3/action/package_list")) == [
        "alpha-service-performance",
        "alpha-services",
        "beta-services",
    ]


def test_the_api_follows_a_new_publication_without_a_restart(tmp_path: Path) -> None:
    path, reg, data = build(tmp_path)
    ds = datasette_for(reg, data)
    before = result(get(ds, "/api/3/action/package_show?id=beta-services"))
    assert {e["key"]: e["value"] for e in before["extras"]}["rows"] == "2"
    beta = path.parent / "files" / "beta_services.csv"
    beta.write_text(beta.read_text(encoding="utf-8") + "beta,B3,مجوز,License,businesses,false,3,0\n", encoding="utf-8")
    harvest([reg.agency("beta")], registry=reg, data=data)
    assert all(r.ok for r in publish([reg.agency("beta")], registry=reg, data=data))
    after = result(get(ds, "/api/3/action/package_show?id=beta-services"))
    assert {e["key"]: e["value"] for e in after["extras"]}["rows"] == "3"
    assert after["metadata_modified"] >= before["metadata_modified"]
