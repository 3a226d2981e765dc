"""What a run tells people is bounded, names no internal path, notes every change, and cannot reverse a title.

Issue 15 case 14. Before: a 20,000-column CSV gave a 189,702-character
message, stored and published (and one whose columns share a name peaked
at 9.4 GB in frictionless); a JSON error put ``var/raw/<agency>/<run>/...``
into the public ``harvest_runs.message``; U+202E and NUL were removed from
values without a word in the report; U+202E in an agency's name reversed
the browser tab's title. Each is checked through the real command line and
a real ``shafaf serve``.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import httpx
import pytest
from cli_child import file_registry, run
from served import served

from shafaf.core.public_message import MAX_CHARS, bounded, listing, without_paths

pytestmark = pytest.mark.slow  # very wide and very long files through the CLI


def harvest_json(registry: Path, data_dir: Path | str, *, cwd: Path | None = None) -> list[dict]:
    result = run(["harvest", "--json", "--registry", str(registry), "--data-dir", str(data_dir)], cwd=cwd, timeout=120)
    assert not result.crashed, result.stderr[-3000:]
    return result.runs()


def published_texts(db: Path) -> list[str]:
    """Every text value of the published database."""
    out = []
    with sqlite3.connect(db) as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]
            for row in conn.execute(f"SELECT * FROM [{table}]"):
                out += [v for v, c in zip(row, columns) if isinstance(v, str)]
    return out


@pytest.mark.parametrize("columns, reason", [(20_000, "structure"), (900, "missing_column")])
def test_a_very_wide_file_gives_a_short_message(tmp_path, columns, reason):
    names = [f"column_number_{i}" for i in range(columns)]
    (tmp_path / "services.csv").write_text(",".join(names) + "\n" + ",".join("x" * len(names)) + "\n", encoding="utf-8")
    reg = file_registry(tmp_path, {"alpha": "services.csv"})
    (record,) = harvest_json(reg, tmp_path / "var")
    assert record["reason"] == reason and len(record["message"]) <= MAX_CHARS, len(record["message"])
    if reason == "missing_column":
        assert "'column_number_9' and 890 more" in record["message"]
    else:
        assert "20,000 columns" in record["message"] and "at most 1,000" in record["message"]
    run(["publish", "--registry", str(reg), "--data-dir", str(tmp_path / "var"), "--no-downloads"])
    assert max(map(len, published_texts(tmp_path / "var" / "shafaf.db"))) <= MAX_CHARS


def test_twenty_thousand_columns_of_one_name_cost_no_memory(tmp_path):
    """frictionless copies the header into each duplicate-label error: 9.4 GB and 7 minutes before the width cap."""
    (tmp_path / "services.csv").write_text(
        "service_id,name_en," + ",".join(["dup"] * 20_000) + "\nS1,One," + ",".join(["x"] * 20_000) + "\n",
        encoding="utf-8",
    )
    reg = file_registry(tmp_path, {"alpha": "services.csv"})
    result = run(["harvest", "--json", "--registry", str(reg), "--data-dir", str(tmp_path / "var")], timeout=60)
    (record,) = result.runs()
    assert record["reason"] == "structure" and result.peak_mb < 200, (record, result.peak_mb)


JSON_TABLES = {
    "empty": b"[]",
    "truncated": b'[{"service_id": "S1"}, {"service_id": "S2"',
    "garbage": b'[{"service_id": "S1"} x]',
    "scalars": b"[1, 2, 3]",
    "object": b'{"service_id": "S1"}',
}


@pytest.mark.parametrize("relative", [False, True], ids=["absolute data dir", "relative data dir"])
def test_no_message_names_a_path_of_the_data_folder(tmp_path, relative):
    sources = {}
    for name, body in JSON_TABLES.items():
        (tmp_path / f"{name}.json").write_bytes(body)
        sources[name] = f"{name}.json"
    (tmp_path / "good.csv").write_text("service_id,name_en\nS1,One\n", encoding="utf-8")
    sources["good"] = "good.csv"
    reg = file_registry(tmp_path, sources)
    data_dir = "var" if relative else str(tmp_path / "var")
    runs = {r["agency_id"]: r for r in harvest_json(reg, data_dir, cwd=tmp_path)}
    assert runs["truncated"]["reason"] == runs["garbage"]["reason"] == "invalid_json"
    assert runs["empty"]["reason"] == "empty"
    assert (
        run(["publish", "--registry", str(reg), "--data-dir", data_dir, "--no-downloads"], cwd=tmp_path).returncode == 0
    )
    leaks = [str(tmp_path / "var"), "var/raw", "var/packages", "/raw/"]
    texts = published_texts(tmp_path / "var" / "shafaf.db")
    assert not [t for t in texts if any(leak in t for leak in leaks)]
    for record in runs.values():
        assert not any(leak in record["message"] for leak in leaks), record["message"]
    with (
        served(reg, tmp_path / "var", tmp_path / "serve.log") as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        for page in [
            "/feed.atom",
            "/agencies/truncated",
            "/agencies/empty/feed.atom",
            "/quality",
            "/shafaf/harvest_runs.json?_shape=array",
            "/shafaf/validation_errors.json?_shape=array",
            "/api/3/action/package_search",
        ]:
            answer = client.get(page)
            assert answer.status_code == 200, page
            assert not any(leak in answer.text for leak in leaks), (page, answer.text[:2000])


def test_removed_bidi_controls_and_nul_are_noted_row_by_row(tmp_path):
    (tmp_path / "services.csv").write_bytes(
        "service_id,name_fa,name_en\nS1,\u202eخدمت,One\x00x\nS2,دو,Two\n".encode("utf-8")
        + "".join(f"S{i},\u202eنام {i},N{i}\n" for i in range(3, 300)).encode("utf-8")
    )
    result = run(["validate", str(tmp_path / "services.csv"), "--json"])
    report = json.loads(result.stdout)
    assert report["valid"] and report["changes_total"] == 299
    first = report["changes"][0]
    assert (first["row_number"], first["field"], first["column_number"]) == (2, "name_fa", 2)
    assert first["removed"] == ["U+202E (right-to-left override)"]
    assert report["changes"][1]["removed"] == ["U+0000 (NUL)"] and report["changes"][1]["field"] == "name_en"
    assert len(report["changes"]) == 100  # bounded; all counted
    text = run(["validate", str(tmp_path / "services.csv"), "--lang", "en"]).stdout
    assert "invisible characters were removed from 299 value(s)" in text and "row 2, column name_fa" in text
    reg = file_registry(tmp_path, {"alpha": "services.csv"})
    harvest_json(reg, tmp_path / "var")
    staged = json.loads((tmp_path / "var" / "packages" / "alpha" / "reports" / "services.json").read_text("utf-8"))
    assert staged["changes_total"] == 299


def test_an_agency_name_cannot_reverse_the_page_title(tmp_path):
    (tmp_path / "national.csv").write_text(
        "dept,dept_name,code,title\ngamma,\u202eGamma Agency,G1,Gamma service\n", encoding="utf-8"
    )
    reg = file_registry(
        tmp_path,
        {},
        extra=textwrap.dedent("""\
          - id: national
            name_fa: دفتر ملی
            name_en: "\u202eNational Office"
            sources:
              - id: all-services
                dataset: services
                path: national.csv
                agency_column: dept
                new_agencies: {name_en: dept_name}
                fields: {agency_id: dept, service_id: code, name_en: title}
        """),
    )
    harvest_json(reg, tmp_path / "var")
    assert (
        run(["publish", "--registry", str(reg), "--data-dir", str(tmp_path / "var"), "--no-downloads"]).returncode == 0
    )
    with (
        served(reg, tmp_path / "var", tmp_path / "serve.log") as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        for page, name in [
            ("/agencies/gamma?lang=en", "\u202eGamma Agency"),
            ("/agencies/national?lang=en", "\u202eNational Office"),
            ("/agencies/gamma/services/G1?lang=en", "\u202eGamma Agency"),
        ]:
            html = client.get(page)
            assert html.status_code == 200, page
            title = html.text.split("<title>", 1)[1].split("</title>", 1)[0]
            assert f"\u2068{name}\u2069" in title, (page, title)


def test_the_message_functions():
    assert listing(range(3)) == "0, 1, 2" and listing(["a"] * 12, limit=2) == "'a', 'a' and 10 more"
    cut = bounded("x" * 10_000)
    assert len(cut) <= MAX_CHARS and cut.endswith(f"... ({10_000 - cut.count('x'):,} more characters)")
    text = "cannot read /srv/portal/var/raw/alpha/2026/services.json or var/raw/alpha/x.csv (see /srv/portal/var)"
    assert without_paths(text, ["/srv/portal/var"]) == "cannot read services.json or var/raw/alpha/x.csv (see var)"
