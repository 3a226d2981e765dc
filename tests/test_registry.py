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
        "  titel_fa: x\n"                       # line 2: unknown key, with a suggestion
        "agencies:\n"
        "  - id: ok\n"
        "    name_fa: ا\n"
        "    name_en: A\n"
        "    sources:\n"
        "      - dataset: servises\n"            # line 8: unknown dataset kind
        "        path: x.csv\n"
        "        schedule: every day\n"          # line 10: bad cron
        "  - id: ok\n"                           # line 11: duplicate id
        "    name_fa: ب\n"
        "    name_en: B\n"
        "  - id: Bad_Id\n"                       # line 14: bad id pattern
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
    path.write_text("""\
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
""", encoding="utf-8")
    reg = registry.load(path)
    source = reg.agency("net").sources[0]
    assert reg.portal.allow_private_networks and reg.portal.fetch_deadline_s == 5.0 and reg.portal.harvest_concurrency == 8
    assert source.headers["Authorization"] == "Bearer ${NET_TOKEN}" and source.pagination["size"] == 50
    assert source.unpivot.columns == {"web": "online", "tel": "phone"}
    # Run records and messages carry the location without credentials.
    assert source.location == "https://gsb.example.ir/api?page=1&api_key=REDACTED"
