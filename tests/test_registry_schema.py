"""The JSON Schema of agencies.yml (issue 17): generated from the pydantic models, current in docs/, served.

docs/agencies.schema.json must be what the models say today, must accept
every registry the project ships and the tests use, must refuse a registry
whose shape is wrong, and ``/-/agencies.schema.json`` must answer the same
document as JSON that other sites may read.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import sqlite_utils
from conftest import write_registry

from shafaf.config import registry
from shafaf.config.agencies_file import json_schema_text
from shafaf.config.yaml_lines import read_yaml
from shafaf.datasette_plugins.app import make_datasette

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "agencies.schema.json"
NETWORK = textwrap.dedent("""\
    portal: {allow_private_networks: true, fetch_deadline_s: 5, harvest_concurrency: 8, plan_start_year: 1403}
    agencies:
      - id: net
        name_fa: شبکه
        name_en: Network
        website: https://net.example.ir
        contact_email: info@net.example.ir
        sources:
          - dataset: service_performance
            kind: jsonapi
            url: https://gsb.example.ir/api
            records: data.items
            headers: {Authorization: "Bearer ${NET_TOKEN}"}
            pagination: {style: page, size: 50}
            unpivot: {field: channel, value: applications, columns: {web: online, tel: phone}}
            schedule: {jalali_day: 5, at: "02:00", working_days: true}
          - dataset: services
            kind: ckan
            url: https://ckan.example.org
            organization: net
            select: {resource_format: csv}
          - dataset: targets
            kind: datapackage
            url: https://example.org/datapackage.json
            resource: targets
          - dataset: activities
            kind: http
            url: https://example.org/a.csv
            format: csv
            encoding: windows-1256
            calendar: jalali
            year_pivot: 50
            history: recent
            fields: {title_en: Title}
            values: {status: {"1": done}}
    """)


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(DOC.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_in_docs_is_the_models_schema():
    assert DOC.read_text(encoding="utf-8") == json_schema_text(), (
        "regenerate it: python -c 'from shafaf.config.agencies_file import json_schema_text as t; "
        'open("docs/agencies.schema.json", "w").write(t())\''
    )


def shipped_and_test_registries(tmp_path: Path) -> list[Path]:
    (tmp_path / "net.yml").write_text(NETWORK, encoding="utf-8")
    return [
        ROOT / "shafaf" / "bundled" / "agencies.yml",
        *sorted((ROOT / "metadata" / "examples").glob("*.yml")),
        write_registry(tmp_path / "shared"),
        tmp_path / "net.yml",
    ]


def test_every_registry_we_ship_or_test_with_loads_and_passes_the_schema(tmp_path, validator):
    for path in shipped_and_test_registries(tmp_path):
        registry.load(path)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(read_yaml(path))]
        assert errors == [], (path, errors)


@pytest.mark.parametrize(
    "change",
    [
        ("name_en: Network\n", "name_en: Network\n    nmae: x\n"),  # an unknown key
        ("harvest_concurrency: 8", "harvest_concurrency: 100"),  # out of bounds
        ("kind: ckan\n", "kind: ftp\n"),  # an unknown kind
        ("        organization: net\n", ""),  # a ckan source without its organization
        ("records: data.items", "path: x.csv"),  # a path on a network source
        ("style: page", "style: pages"),  # not a pagination style
        ("- id: net", "- id: Net!"),  # not an agency id
    ],
)
def test_a_registry_of_the_wrong_shape_fails_both_the_loader_and_the_schema(tmp_path, validator, change):
    path = tmp_path / "agencies.yml"
    path.write_text(NETWORK.replace(*change), encoding="utf-8")
    assert NETWORK.replace(*change) != NETWORK
    with pytest.raises(registry.RegistryError):
        registry.load(path)
    assert not validator.is_valid(read_yaml(path))


def test_the_schema_is_served_as_json_that_other_sites_may_read(tmp_path):
    db = tmp_path / "shafaf.db"
    sqlite_utils.Database(db)["t"].insert({"x": 1})
    response = asyncio.run(make_datasette(db, registry.Portal()).client.get("/-/agencies.schema.json"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == json.loads(DOC.read_text(encoding="utf-8"))
