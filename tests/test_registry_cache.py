"""The checked-registry cache: a warm read gives the very registry a cold one does, and never hides a change."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from shafaf.config import registry, registry_cache, registry_codec
from shafaf.core.errors import RegistryError

ROOT = Path(__file__).resolve().parent.parent

EVERY_KIND = textwrap.dedent("""\
    portal:
      allow_private_networks: true
      fetch_deadline_s: 5
      row_error_threshold: 1
      smart_plan: {start_year: 1403}
      themes: {services: [GOVE]}
    agencies:
      - id: net
        name_fa: شبکه
        name_en: Network
        website: https://net.example.ir
        contact_email: info@net.example.ir
        sources:
          - dataset: service_performance
            kind: jsonapi
            url: https://gsb.example.ir/api?token=x
            records: data.items
            headers: {Authorization: "Bearer ${NET_TOKEN}"}
            pagination: {style: page, size: 50}
            unpivot: {field: channel, value: applications, columns: {web: online, tel: phone}}
            schedule: {jalali_day: 5, at: "02:00", working_days: true}
            auth:
              oauth2: {token_url: https://gsb.example.ir/token, client_id: "${ID}", client_secret: "${SECRET}"}
            tls: {client_cert: "${CERT}", client_key: "${KEY}", ca_bundle: certs/ca.pem}
            soap: {action: http://gsb.example.ir/Get, body: "<Get><p>{page}</p></Get>", params: {a: b}}
          - dataset: services
            kind: ckan
            url: https://ckan.example.org
            organization: net
            select: {resource_format: csv}
            schedule: "0 3 * * *"
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
            values: {status: {"1": done, 2: started}}
      - id: local
        name_fa: محلی
        name_en: Local
        sources:
          - dataset: services
            kind: file
            path: data/services.csv
          - dataset: service_performance
            kind: file
            path: data/missing.csv
    """)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of its own that keeps registries of any size."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SHAFAF_CACHE_DIR", str(folder))
    monkeypatch.setattr(registry_cache, "SMALLEST", 0)
    return folder


def write(folder: Path, text: str = EVERY_KIND) -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "services.csv").write_text("service_id\nS1\n", encoding="utf-8")
    path = folder / "agencies.yml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: str) -> int:
    return EVERY_KIND.splitlines().index(f"        path: {path}") + 1


def warm_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on a read that checks the file again fails the test."""

    def refuse(*args: object) -> None:
        raise AssertionError("the registry was checked again")

    monkeypatch.setattr(registry, "_check", refuse)


@pytest.mark.parametrize("which", ["every kind", "demo", "canada example"])
def test_a_warm_read_is_the_registry_a_cold_read_gives(tmp_path, cache, monkeypatch, which):
    path = {
        "every kind": lambda: write(tmp_path),
        "demo": lambda: ROOT / "metadata" / "agencies.yml",
        "canada example": lambda: ROOT / "metadata" / "examples" / "canada-service-inventory.yml",
    }[which]()
    cold = registry.load(path)
    assert len(list(cache.glob("registry-*.json"))) == 1
    warm_only(monkeypatch)
    warm = registry.load(path)
    assert warm == cold
    for a, b in zip(warm.agencies, cold.agencies):  # equal, and of the same types all the way down
        assert [repr(s) for s in a.sources] == [repr(s) for s in b.sources]


def test_where_files_point_is_looked_at_on_every_read(tmp_path, cache, monkeypatch):
    path = write(tmp_path)
    cold = registry.load(path)
    assert len(cold.warnings) == 1
    assert cold.warnings[0].startswith(
        f"{path}:{line_of('data/missing.csv')}: file 'data/missing.csv' of agency 'local'"
    )
    warm_only(monkeypatch)
    (tmp_path / "data" / "missing.csv").write_text("service_id\n", encoding="utf-8")
    (tmp_path / "data" / "services.csv").unlink()
    warm = registry.load(path)
    assert len(warm.warnings) == 1 and "'data/services.csv'" in warm.warnings[0]
    assert warm.warnings[0].startswith(f"{path}:{line_of('data/services.csv')}: ")
    # The same bytes elsewhere: the paths resolve beside the new file, and the CA bundle too.
    other = tmp_path / "elsewhere"
    other.mkdir()
    moved = write(other)
    placed = registry.load(moved)
    sources = {(s.agency_id, s.dataset): s for a in placed.agencies for s in a.sources}
    assert sources["local", "services"].path == (other / "data" / "services.csv").resolve()
    assert sources["net", "service_performance"].tls.ca_bundle == (other / "certs" / "ca.pem").resolve()


def test_a_relative_registry_path_resolves_against_the_working_folder_of_each_read(tmp_path, cache, monkeypatch):
    write(tmp_path)
    monkeypatch.chdir(tmp_path)
    cold = registry.load("agencies.yml")
    warm_only(monkeypatch)
    assert registry.load("agencies.yml") == cold
    assert cold.agencies[1].sources[0].path == (tmp_path / "data" / "services.csv").resolve()


def test_a_changed_file_is_checked_again_and_a_refused_one_is_never_kept(tmp_path, cache):
    path = write(tmp_path)
    registry.load(path)
    path.write_text(EVERY_KIND.replace("name_en: Local", "name_en: Locals"), encoding="utf-8")
    assert registry.load(path).agencies[1].name_en == "Locals"
    assert len(list(cache.glob("registry-*.json"))) == 2
    path.write_text(EVERY_KIND.replace("kind: ckan", "kind: ftp"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RegistryError, match="ftp"):
            registry.load(path)
    assert len(list(cache.glob("registry-*.json"))) == 2


def test_another_version_of_the_code_checks_the_file_again(tmp_path, cache, monkeypatch):
    path = write(tmp_path)
    registry.load(path)
    monkeypatch.setattr(registry_cache, "code_fingerprint", lambda: "an edited checkout")
    checked = []
    real = registry._check
    monkeypatch.setattr(registry, "_check", lambda *a: checked.append(1) or real(*a))
    registry.load(path)
    assert checked == [1]


@pytest.mark.parametrize(
    "entry",
    [
        b"",
        b"{not json",
        b'{"format": 1}',
        b'{"format": 99, "checked": {}}',
        b'{"format": 1, "checked": {"@": "Path", "x": 1}}',  # a class the codec does not rebuild
        b'{"format": 1, "checked": {"@": "Source", "id": "x"}}',  # not a Checked, missing fields
        b'{"format": 1, "checked": {"@tuple": [1], "@path": "x"}}',
        b'{"format": 1, "checked": {"@eval": "1"}}',
        b'{"format": 1, "checked": [1, 2]}',
        "\ud800".encode("utf-8", "surrogatepass"),
    ],
)
def test_a_torn_or_foreign_entry_costs_only_the_check(tmp_path, cache, entry):
    path = write(tmp_path)
    cold = registry.load(path)
    (kept,) = cache.glob("registry-*.json")
    kept.write_bytes(entry)
    assert registry.load(path) == cold
    assert json.loads(kept.read_bytes())["format"] == registry_cache.FORMAT  # written anew


def test_a_cache_that_cannot_be_written_or_is_off_costs_only_the_check(tmp_path, monkeypatch):
    path = write(tmp_path)
    monkeypatch.setattr(registry_cache, "SMALLEST", 0)
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    for setting in (str(blocker / "cache"), "off", ""):
        monkeypatch.setenv("SHAFAF_CACHE_DIR", setting)
        assert registry.load(path).agencies[0].id == "net"
    assert not (tmp_path / "off").exists()


def test_a_value_the_codec_does_not_write_leaves_the_registry_uncached(tmp_path, cache):
    import dataclasses
    import datetime as dt

    path = write(tmp_path)
    cold = registry._check(path, path.read_bytes())
    source = dataclasses.replace(cold.agencies[0].sources[0], pagination={"from": dt.date(2024, 1, 1)})
    odd = dataclasses.replace(cold, agencies=(dataclasses.replace(cold.agencies[0], sources=(source,)),))
    registry_cache.keep(path.read_bytes(), odd)
    assert not list(cache.glob("registry-*.json"))
    with pytest.raises(registry_codec.Unencodable):
        registry_codec.encode(object())


def test_small_registries_are_not_kept_and_old_entries_are_pruned(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SHAFAF_CACHE_DIR", str(folder))
    path = write(tmp_path)
    registry.load(path)
    assert not folder.exists()  # under SMALLEST bytes
    monkeypatch.setattr(registry_cache, "SMALLEST", 0)
    for n in range(registry_cache.KEEP + 3):
        path.write_text(EVERY_KIND.replace("name_en: Local", f"name_en: Local {n}"), encoding="utf-8")
        registry.load(path)
    assert len(list(folder.glob("registry-*.json"))) == registry_cache.KEEP
