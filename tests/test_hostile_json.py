"""Hostile JSON never crashes, hangs or bloats a harvest (docs/reliability.md H14; issue 15 case 4).

Each document is harvested by the real ``shafaf harvest`` in a child under
``RLIMIT_AS`` (``cli_child``): a regression fails here instead of taking
the machine. Before ``jsonguard``, 60 KB of ``[`` peaked at 2.2 GB, 400 KB
was killed for memory, a 5,000-digit integer crashed the child with a
segmentation fault (ijson), ``1e999999`` was published as ``inf`` and a
50 MB string took minutes. The same bounded loader reads file and HTTP
tables, JSON API pages, data package descriptors and CKAN answers, and
``shafaf validate``; an XLSX cell holding JSON text is text, never parsed.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import openpyxl
import pytest
from cli_child import file_registry, run
from faultserver import respond

pytestmark = pytest.mark.slow  # each hostile document is harvested by a memory-limited process

PEAK_MB = 250  # a harvest of a small file peaks near 70 MB here; 2.2 GB before
RECORD = b'{"service_id": "S1", "name_fa": "\xd8\xae\xd8\xaf\xd9\x85\xd8\xaa", "name_en": "One"}'
JSON = {"Content-Type": "application/json"}


def deep(levels: int, opening: bytes = b"[", closing: bytes = b"]", inner: bytes = b"") -> bytes:
    return opening * levels + inner + closing * levels


HOSTILE = {
    # id: (document, words the message must hold)
    "60 KB of [": (deep(30_000), ["30,000 levels", "limit is 64"]),
    "400 KB of [": (deep(200_000), ["levels deep", "limit is 64"]),
    "nested objects": (deep(30_000, b'{"a":', b"}", b"1"), ["30,000 levels", "limit is 64"]),
    "mixed arrays and objects": (deep(10_000, b'[{"a":', b"}]", b"1"), ["20,000 levels", "limit is 64"]),
    "deep inside a record array": (
        b"[" + RECORD + b', {"service_id": "S2", "name_en": ' + deep(30_000) + b"}]",
        ["levels deep", "limit is 64"],
    ),
    "1e999999": (b'[{"service_id": "S1", "name_en": "One", "fee": 1e999999}]', ["1e999999", "64-bit"]),
    "a million digits": (
        b'[{"service_id": "S1", "name_en": "One", "fee": ' + b"9" * 1_000_000 + b"}]",
        ["1,000,000 characters", "at most 400"],
    ),
    "5,000 digits (ijson's segfault)": (b'[{"service_id": "S1", "fee": ' + b"9" * 5_000 + b"}]", ["5,000 characters"]),
    "NaN": (b'[{"service_id": "S1", "name_en": "One", "fee": NaN}]', ["NaN", "not a JSON number"]),
    "Infinity": (b'[{"service_id": "S1", "name_en": "One", "fee": -Infinity}]', ["Infinity", "not a JSON number"]),
    "a 50 MB string": (b'[{"service_id": "S1", "name_en": "' + b"x" * 50_000_000 + b'"}]', ["text value", "at most"]),
    "not UTF-8": (b'[{"service_id": "S1", "name_en": "caf\xe9"}]', ["not UTF-8 at byte"]),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_json_file_fails_invalid_json_in_bounded_memory(tmp_path, case):
    document, words = HOSTILE[case]
    (tmp_path / "services.json").write_bytes(document)
    reg = file_registry(tmp_path, {"alpha": "services.json"})
    result = run(["harvest", "--json", "--registry", str(reg), "--data-dir", str(tmp_path / "var")], timeout=120)
    assert not result.crashed, (result.returncode, result.stderr[-2000:])
    assert result.returncode == 1
    (record,) = result.runs()
    assert (record["outcome"], record["reason"]) == ("failed", "invalid_json"), record
    for word in words:
        assert word in record["message"], record["message"]
    assert "services.json" in record["message"] and str(tmp_path) not in record["message"]
    assert result.peak_mb is not None and result.peak_mb < PEAK_MB, f"peaked at {result.peak_mb:.0f} MB"


@pytest.mark.parametrize(
    "document, top",
    [(b"5", "a single number"), (b'"x"', "a text string"), (b"null", "null"), (b'{"a": 1}', "an object")],
)
def test_a_json_table_whose_top_level_is_not_a_list_says_what_it_holds(tmp_path, document, top):
    (tmp_path / "services.json").write_bytes(document)
    reg = file_registry(tmp_path, {"alpha": "services.json"})
    result = run(["harvest", "--json", "--registry", str(reg), "--data-dir", str(tmp_path / "var")])
    assert not result.crashed and result.returncode == 1
    (record,) = result.runs()
    assert record["reason"] == "structure" and top in record["message"], record
    assert str(tmp_path) not in record["message"]  # frictionless' own words named the file by its absolute path


def test_a_good_json_table_still_harvests(tmp_path):
    (tmp_path / "services.json").write_bytes(
        b"[" + RECORD + b', {"service_id": "S2", "name_en": "Two", "standard_days": 1e2, "fee": 12345678901234567890}]'
    )
    reg = file_registry(tmp_path, {"alpha": "services.json"})
    result = run(["harvest", "--json", "--registry", str(reg), "--data-dir", str(tmp_path / "var")])
    assert result.returncode == 0, result.stderr
    assert [(r["outcome"], r["rows_passed"]) for r in result.runs()] == [("ok", 2)]


@pytest.mark.parametrize("case", ["60 KB of [", "1e999999", "a million digits", "NaN"])
def test_shafaf_validate_refuses_the_same_documents(tmp_path, case):
    document, words = HOSTILE[case]
    (tmp_path / "services.json").write_bytes(document)
    result = run(["validate", str(tmp_path / "services.json"), "--json"])
    assert not result.crashed and result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["fatal_reason"] == "invalid_json" and all(w in report["fatal_message"] for w in words)
    assert result.peak_mb < PEAK_MB


def test_json_text_in_an_xlsx_cell_is_left_as_text(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["service_id", "name_en", "description"])
    sheet.append(["S1", "One", "[" * 2000 + "]" * 2000])
    sheet.append(["S2", "Two", '{"fee": 1e999999, "x": NaN}'])
    book.save(tmp_path / "services.xlsx")
    result = run(["validate", str(tmp_path / "services.xlsx"), "--json"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["rows_passed"] == 2


# --- the same loader for every network answer ----------------------------------------------


def network_registry(root: Path, source: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "agencies.yml"
    path.write_text(
        textwrap.dedent("""\
        portal:
          allow_private_networks: true
          fetch_deadline_s: 10
          fetch_retries: 0
        agencies:
          - id: alpha
            name_fa: الف
            name_en: Alpha
            sources:
        """)
        + textwrap.indent(textwrap.dedent(source), " " * 6),
        encoding="utf-8",
    )
    return path


ANSWERS = {  # what a loopback server answers, and the words of the failure
    "60 KB of [": (deep(30_000), "levels deep; the limit is 64"),
    "1e999999": (b'{"items": [{"service_id": "S1", "fee": 1e999999}], "count": 1e999999}', "1e999999"),
    "5,000 digits": (b'{"items": [{"service_id": "S1", "fee": ' + b"9" * 5000 + b"}]}", "5,000 characters"),
    "NaN": (b'{"items": [{"service_id": "S1", "fee": NaN}]}', "NaN"),
}


def harvest_network(tmp_path: Path, source: str) -> dict:
    reg = network_registry(tmp_path, source)
    result = run(["harvest", "--json", "--registry", str(reg), "--data-dir", str(tmp_path / "var")])
    assert not result.crashed, result.stderr[-2000:]
    assert result.returncode == 1 and result.peak_mb < PEAK_MB
    (record,) = result.runs()
    return record


@pytest.mark.parametrize("case", list(ANSWERS))
def test_a_json_api_page(fault_server, tmp_path, case):
    body, words = ANSWERS[case]
    url = fault_server.add("/api", respond(200, body, JSON))
    record = harvest_network(
        tmp_path,
        f"""\
        - dataset: services
          kind: jsonapi
          url: {url}
          records: items
        """,
    )
    assert record["reason"] == "invalid_json" and words in record["message"], record


@pytest.mark.parametrize("case", list(ANSWERS))
def test_a_data_package_descriptor(fault_server, tmp_path, case):
    body, words = ANSWERS[case]
    url = fault_server.add("/datapackage.json", respond(200, body.replace(b'"items"', b'"resources"'), JSON))
    record = harvest_network(
        tmp_path,
        f"""\
        - dataset: services
          kind: datapackage
          url: {url}
        """,
    )
    assert record["reason"] == "invalid_json" and words in record["message"], record


@pytest.mark.parametrize("case", list(ANSWERS))
def test_a_ckan_answer(fault_server, tmp_path, case):
    body, words = ANSWERS[case]
    org = json.dumps({"success": True, "result": {"id": "o", "name": "org"}}).encode()
    fault_server.add("/api/3/action/organization_show", respond(200, org, JSON))
    fault_server.add(
        "/api/3/action/package_search",
        respond(200, b'{"success": true, "result": {"count": 1, "results": [' + body + b"]}}", JSON),
    )
    record = harvest_network(
        tmp_path,
        f"""\
        - dataset: services
          kind: ckan
          url: {fault_server.base_url}
          organization: org
        """,
    )
    assert record["reason"] == "invalid_json" and words in record["message"], record
    assert "package_search" in record["message"]
