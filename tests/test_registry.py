from __future__ import annotations

from pathlib import Path

import pytest

from shafaf.config import registry
from shafaf.core.errors import RegistryError, UsageError


def test_loads_agencies_sources_and_portal(reg):
    assert [a.id for a in reg.agencies] == ["alpha", "beta"]
    alpha = reg.agency("alpha")
    assert alpha.website == "https://alpha.example.ir"
    assert [s.dataset for s in alpha.sources] == ["services", "service_performance"]
    assert alpha.sources[0].id == "services"  # the id defaults to the dataset
    assert alpha.sources[0].path.is_file()
    assert reg.portal.title_en == "Test portal"
    assert reg.portal.timezone == "Asia/Tehran"


def test_missing_registry_names_the_file(tmp_path):
    with pytest.raises(RegistryError) as e:
        registry.load(tmp_path / "nope.yml")
    assert "nope.yml" in str(e.value) and "does not exist" in str(e.value)


def test_malformed_yaml_gives_the_line(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("agencies:\n  - id: a\n    name_fa: [unclosed\n", encoding="utf-8")
    with pytest.raises(RegistryError) as e:
        registry.load(path)
    assert "bad.yml:" in str(e.value) and "not valid YAML" in str(e.value)


def test_every_problem_is_reported_at_once_with_lines(tmp_path):
    (tmp_path / "x.csv").write_text("a\n1\n", encoding="utf-8")
    path = tmp_path / "agencies.yml"
    path.write_text(
        "portal:\n"
        "  titel_fa: x\n"  # line 2: unknown key, with a suggestion
        "agencies:\n"
        "  - id: ok\n"
        "    name_fa: ا\n"
        "    name_en: A\n"
        "    sources:\n"
        "      - dataset: servises\n"  # line 8: unknown dataset kind
        "        path: x.csv\n"
        "        schedule: every day\n"  # line 10: bad cron
        "  - id: ok\n"  # line 11: duplicate id
        "    name_fa: ب\n"
        "    name_en: B\n"
        "  - id: Bad_Id\n"  # line 14: bad id pattern
        "    name_fa: پ\n"
        "    name_en: C\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as e:
        registry.load(path)
    lines = {line for line, _ in e.value.problems}
    assert {2, 8, 10, 11, 14} <= lines, e.value.problems
    text = str(e.value)
    assert "did you mean 'title_fa'" in text
    assert "unknown dataset kind 'servises'" in text
    assert "not a valid cron expression" in text
    assert "duplicate agency id 'ok'" in text


def test_duplicate_yaml_keys_are_refused(tmp_path):
    path = tmp_path / "dup.yml"
    path.write_text("agencies:\n  - id: a\n    id: b\n    name_fa: x\n    name_en: y\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"dup.yml:3: duplicate key 'id'"):
        registry.load(path)


def test_missing_source_file_is_a_warning_not_a_stop(tmp_path, registry_path):
    (registry_path.parent / "files" / "beta_services.csv").unlink()
    reg = registry.load(registry_path)
    assert len(reg.warnings) == 1
    assert "beta_services.csv" in reg.warnings[0] and "agency 'beta'" in reg.warnings[0]


def test_unknown_field_in_mapping_is_named(tmp_path, registry_path):
    text = registry_path.read_text(encoding="utf-8").replace(
        "path: files/beta_services.csv", "path: files/beta_services.csv\n        fields: {servise_id: code}"
    )
    registry_path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError, match="did you mean 'service_id'"):
        registry.load(registry_path)


def test_yes_no_stay_text_in_value_maps(tmp_path, registry_path):
    text = registry_path.read_text(encoding="utf-8").replace(
        "path: files/beta_services.csv", "path: files/beta_services.csv\n        values: {smart: {Y: true, no: false}}"
    )
    registry_path.write_text(text, encoding="utf-8")
    source = registry.load(registry_path).agency("beta").sources[0]
    assert dict(source.values["smart"]) == {"Y": True, "no": False}


def test_select_unknown_agency(reg):
    assert [a.id for a in reg.select(["beta"])] == ["beta"]
    with pytest.raises(UsageError, match="unknown agency 'gamma'"):
        reg.select(["gamma"])


def test_bundled_registry_loads():
    path = Path(__file__).resolve().parent.parent / "metadata" / "agencies.yml"
    reg = registry.load(path)
    assert 5 <= len(reg.agencies) <= 7
    assert not reg.warnings


NETWORK_REGISTRY = """\
portal:
  fetch_deadline_s: 30
  fetch_max_bytes: 0
  allow_private_networks: "yes"
  harvest_concurrency: 2
agencies:
  - id: net
    name_fa: شبکه
    name_en: Network
    sources:
      - id: a
        dataset: services
        kind: http
      - id: b
        dataset: service_performance
        kind: ckan
        url: ftp://portal.example.org
      - id: c
        dataset: activities
        kind: jsonapi
        url: https://gsb.example.ir/api?apikey=s3cret
        headers: {Authorization: Bearer abc123, Accept: application/json}
        pagination: {style: scroll}
      - id: d
        dataset: targets
        kind: file
        path: x.csv
        records: data
        new_agencies: {name_en: org_title}
      - id: e
        dataset: service_standards
        kind: datapackage
        url: https://example.org/datapackage.json
        unpivot: {field: nope, value: applications, columns: {a: b}}
      - id: f
        dataset: services
        kind: http
        url: https://example.org/other.csv
      - id: g
        dataset: services
        kind: http
        url: https://example.org/again.csv
"""


def test_network_sources_are_checked_with_lines(tmp_path):
    (tmp_path / "x.csv").write_text("a\n1\n", encoding="utf-8")
    path = tmp_path / "agencies.yml"
    path.write_text(NETWORK_REGISTRY, encoding="utf-8")
    with pytest.raises(RegistryError) as e:
        registry.load(path)
    text = str(e.value)
    for expected in (
        ":3: fetch_max_bytes must be a whole number from 1",
        ":4: allow_private_networks must be true or false",
        "of kind 'http' needs a 'url'",
        ":17: url 'ftp://portal.example.org' of a source of agency 'net' must start with https:// or http://",
        "of kind 'ckan' needs an 'organization'",
        "header 'Authorization' of a source of agency 'net' holds a secret written in the registry",
        "'pagination.style' of a source of agency 'net' must be one of page, offset, next, link, cursor",
        "'records' applies only to sources of kind 'jsonapi'",
        "'new_agencies' of a source of agency 'net' needs an 'agency_column'",
        "'unpivot.field' of a source of agency 'net' must name a field of 'service_standards'",
        "agency 'net' has two sources of dataset 'services'",
    ):
        assert expected in text, expected
    assert "abc123" not in text and "s3cret" not in text


def test_network_source_keys_load(tmp_path):
    path = tmp_path / "agencies.yml"
    path.write_text(
        """\
portal: {allow_private_networks: true, fetch_deadline_s: 5, harvest_concurrency: 8}
agencies:
  - id: net
    name_fa: شبکه
    name_en: Network
    sources:
      - dataset: service_performance
        kind: jsonapi
        url: https://user:pw@gsb.example.ir/api?page=1&api_key=s3cret
        records: data.items
        headers: {Authorization: "Bearer ${NET_TOKEN}"}
        pagination: {style: page, size: 50}
        unpivot: {field: channel, value: applications, columns: {web: online, tel: phone}}
""",
        encoding="utf-8",
    )
    reg = registry.load(path)
    source = reg.agency("net").sources[0]
    assert (
        reg.portal.allow_private_networks and reg.portal.fetch_deadline_s == 5.0 and reg.portal.harvest_concurrency == 8
    )
    assert source.headers["Authorization"] == "Bearer ${NET_TOKEN}" and source.pagination["size"] == 50
    assert source.unpivot.columns == {"web": "online", "tel": "phone"}
    # Run records and messages carry the location without credentials.
    assert source.location == "https://gsb.example.ir/api?page=1&api_key=REDACTED"


SHAPES = """\
portal:
  title_en: [1]
  default_language: de
  timezone: Mars/Olympus
  license: {id: x, titel: y}
  plan_start_year: 1403
  smart_plan: {start_year: 99}
agencies:
  - id: tax
    name_fa: م
    contact_email: nope
    website: javascript:alert(1)
    colour: blue
    sources:
      - dataset: services
        path: s.csv
        format: pdf
        encoding: no-such-codec
        year_pivot: 120
        sheet: [a]
        fields: {name_en: [x], servce_id: a}
        values: {smart: 3}
      - dataset: service_performance
        kind: ftp
      - dataset: targets
        kind: jsonapi
        url: https://api.example.ir/x
        path: t.csv
        select: {dataset_name: x}
        pagination: {style: next, sise: 5}
      - 5
  - text
"""
EXPECTED = {  # line -> words of its problem
    2: "'portal.title_en' must be text, not a list",
    3: "default_language must be one of fa, en",
    4: "unknown timezone 'Mars/Olympus'",
    5: "unknown key 'titel' in 'portal.license' (did you mean 'title'?)",
    6: "set either plan_start_year or smart_plan, not both",
    9: "agency 'tax' has no 'name_en'",
    11: "contact_email 'nope' of agency 'tax'",
    12: "website 'javascript:alert(1)' of agency 'tax' must start with https:// or http://",
    13: "unknown key 'colour' in agency 'tax'",
    17: "format 'pdf' is not one of csv, xlsx, json",
    18: "unknown encoding 'no-such-codec'",
    19: "year_pivot must be a whole number from 0 to 99",
    20: "'sheet' of a source of agency 'tax' must be text, not a list",
    21: "unknown key 'servce_id' in 'fields' of a source of agency 'tax' (not a field of 'services') (did you mean 'service_id'?)",
    22: "'values.smart' of a source of agency 'tax' must be a mapping of keys to values, not int",
    24: "source kind 'ftp' is not supported; use one of file, http, ckan, datapackage, jsonapi",
    28: "a source of agency 'tax' of kind 'jsonapi' takes a 'url', not a 'path'",
    29: "'select' applies only to sources of kind 'ckan'",
    30: "unknown key 'sise' in 'pagination' of a source of agency 'tax' (did you mean 'size'?)",
    31: "a source of agency 'tax' must be a mapping of keys to values, not int",
    32: "an agency must be a mapping of keys to values, not text",
}


def test_every_shape_of_problem_is_named_on_its_own_line(tmp_path):
    """pydantic's errors (unknown, missing, wrong kind, union tag) and the whole-file checks, each on its YAML line."""
    (tmp_path / "s.csv").write_text("service_id\nS1\n", encoding="utf-8")
    path = tmp_path / "agencies.yml"
    path.write_text(SHAPES, encoding="utf-8")
    with pytest.raises(RegistryError) as e:
        registry.load(path)
    assert all(line for line, _ in e.value.problems), e.value.problems
    by_line: dict[int, list[str]] = {}
    for line, message in e.value.problems:
        by_line.setdefault(line, []).append(message)
    for line, words in EXPECTED.items():
        assert any(words in m for m in by_line.get(line, [])), (line, words, by_line.get(line))
