"""The benchmark suite's smoke mode (10k rows, one run of each tool): it keeps working between real runs."""

from __future__ import annotations

import csv
import json

import pytest

from benchmarks import generate, run

pytestmark = pytest.mark.slow  # the benchmarks' smoke run


def test_the_generator_is_deterministic_and_spoils_the_rows_it_says(tmp_path):
    first = generate.write_agency(tmp_path / "a", "bench", rows=5000, invalid_rate=0.01)
    second = generate.write_agency(tmp_path / "b", "bench", rows=5000, invalid_rate=0.01)
    perf = "service_performance.csv"
    assert (tmp_path / "a" / perf).read_bytes() == (tmp_path / "b" / perf).read_bytes()
    assert first == second and 20 < first < 100
    with (tmp_path / "a" / perf).open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5000
    assert any("۱۴۰" in row["period_label"] for row in rows)  # Jalali labels in Persian digits


def test_smoke_run_writes_every_section(tmp_path):
    md = tmp_path / "benchmarks.md"
    md.write_text(
        "# Benchmarks\n\nbefore\n<!-- results: begin -->\nold\n<!-- results: end -->\nafter\n", encoding="utf-8"
    )
    results = run.main(
        ["--smoke", "--work", str(tmp_path / "work"), "--json", str(tmp_path / "r.json"), "--markdown", str(md)]
    )
    ingest = results["ingest"][0]
    assert ingest["rows"] == 10_000 and ingest["shafaf"]["median_s"] > 0
    assert {"frictionless_validate", "sqlite_utils_insert", "raw_limit", "shafaf_validate"} <= set(ingest)
    labels = results["ingest"][1]  # the second shape: mapped names, period labels, no agency column
    assert labels["shape"] == "labels" and labels["shafaf"]["median_s"] > 0 and "frictionless_validate" in labels
    assert results["reharvest"]["unchanged_s"] > 0
    serve = results["serve"]
    assert all(
        fig["c1"]["failures"] == 0 and fig["c20"]["failures"] == 0 for fig in serve.values() if isinstance(fig, dict)
    )
    assert json.loads((tmp_path / "r.json").read_text())["serve"]["rows"] == 10_000
    text = md.read_text(encoding="utf-8")
    assert "before" in text and "after" in text and "old" not in text and "Shafaf, agency page" in text
