"""The compiled schema against frictionless, its reference: the same verdicts, row by row and cell by cell.

Three levels: every field of the standard reading a table of awkward cells
(as frictionless' ``Field.read_cell`` does); frictionless-py's own invalid
fixtures validated both ways (the cases of ``test_frictionless_fixtures``);
and generated performance files with injected errors of every kind, whose
whole reports must be equal: the same rows rejected, with the same error
types, fields, values and notes (listed in row order by both).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import random
from pathlib import Path

import pytest
from frictionless import Schema
from test_frictionless_fixtures import CASES, FRICTIONLESS

from benchmarks import generate
from shafaf import standard
from shafaf.validate import columnar
from shafaf.validate.compiled_schema import CompiledSchema, cell_reader
from shafaf.validate.engine import ENGINES, validate_file
from shafaf.validate.keys import HashedKeys
from shafaf.validate.mapping import MappingOptions

AWKWARD_CELLS = [
    "",
    " ",
    "0",
    "1",
    "-1",
    "+3",
    " 42 ",
    "1_000",
    "1.0",
    "1.50",
    "-0.5",
    "1e3",
    "1E-2",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1,000",
    "12abc",
    "abc",
    "۱۲",
    "١٢",
    "0x1F",
    "100",
    "101",
    "100.0",
    "99.99",
    "2024-01-05",
    "2024-1-5",
    "2024-02-30",
    "2024-13-01",
    "20240105",
    " 2024-01-05",
    "2024-01-05 ",
    "0000-01-01",
    "9999-12-31",
    "1403-07-19",
    "۲۰۲۴-۰۱-۰۵",
    "2024/01/05",
    "2024-01-05T00:00:00",
    "true",
    "false",
    "True",
    "FALSE",
    "yes",
    "no",
    "Y",
    "N",
    "بله",
    "خیر",
    "t",
    "online",
    "ONLINE",
    "in_person",
    "citizens",
    "planned",
    "timeliness",
    "a" * 65,
    "a" * 64,
    "tax",
    "Tax",
    "tax-1",
    "tax_1",
    "S-01",
    "S 01",
    "S.01",
    "x" * 300,
    "https://example.ir/x",
    "javascript:alert(1)",
]


def same_verdicts(report: dict) -> dict:
    """A report with its errors in row order: the compiled path finds them row by row (one pass), the
    reference reads the whole file before it checks it (two passes); what they find must be the same."""
    return {**report, "errors": sorted(report["errors"], key=lambda e: (e["row_number"] or 0, repr(sorted(e.items()))))}


def _kinds() -> list[str]:
    return list(standard.DATASET_KINDS)


@pytest.mark.parametrize("kind", _kinds())
def test_every_field_of_the_standard_reads_awkward_cells_as_frictionless_does(kind):
    schema = Schema.from_descriptor(standard.load_schema(kind))
    for field in schema.fields:
        ours, theirs = cell_reader(field), field.create_cell_reader()
        for cell in AWKWARD_CELLS:
            assert repr(ours(cell)) == repr(theirs(cell)), (kind, field.name, cell)  # repr: NaN is not NaN


@pytest.mark.parametrize("name", sorted(CASES))
def test_frictionless_fixtures_get_the_same_report_from_both_engines(name):
    case = CASES[name]
    path = case.get("dir", FRICTIONLESS) / name
    reports = [
        same_verdicts(
            validate_file(
                path, "services", mapping=MappingOptions(fields=case["fields"], agency_id="alpha"), engine=engine
            ).to_dict()
        )
        for engine in ENGINES
    ]
    assert reports[0] == reports[2] and reports[1] == reports[2]


def _spoil_more(path: Path, rate: float, seed: int) -> int:
    """Every kind of cell error the schema can see, at ``rate``: types, enums, bounds, patterns, dates, required."""
    rng = random.Random(seed)
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    header, spoiled = rows[0], 0
    at = {name: i for i, name in enumerate(header)}
    mistakes = [
        ("channel", "ONLINE"),
        ("channel", ""),
        ("applications", "-5"),
        ("applications", "1.5"),
        ("median_days", "abc"),
        ("median_days", "-0.1"),
        ("satisfaction", "100.01"),
        ("satisfaction", "NaN"),
        ("availability_pct", "1e3"),
        ("period_start", "2024-02-30"),
        ("period_end", "1403/07/19"),
        ("period_label", "x" * 65),
        ("service_id", "S 01"),
        ("service_id", ""),
        ("cost", "1,000"),
        ("complaints", " 7 "),
        ("completed", "+3"),
    ]
    for n, row in enumerate(rows[1:], start=1):
        if rng.random() < rate:
            if rng.random() < 0.15 and n > 1:  # a repeated primary key: a copy of a row before, near or far
                row[:] = rows[rng.randrange(1, n)]
            else:
                field, value = rng.choice(mistakes)
                row[at[field]] = value
            spoiled += 1
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return spoiled


@pytest.mark.slow
@pytest.mark.parametrize("seed, rate", [(1, 0.05), (2, 0.05), (3, 0.05), (4, 0.004), (5, 0.001)])
def test_generated_files_with_injected_errors_get_the_same_report_from_both_engines(tmp_path, monkeypatch, seed, rate):
    # Small batches, and files where most batches hold no error: the columnar engine's bulk paths (plain
    # numbers, bounds on the extremes, keys looked up in earlier batches) are the ones held to the reference.
    monkeypatch.setattr(columnar, "BATCH", 128)
    monkeypatch.setattr(HashedKeys, "RUN_CAP", 512)  # keys of sealed runs, settled from their file, too
    generate.write_agency(tmp_path, "bench", rows=3000, invalid_rate=rate * 0.4, seed=seed)
    path = tmp_path / "service_performance.csv"
    assert _spoil_more(path, rate, seed) >= 3000 * rate / 2
    services = {f"S{i:05d}" for i in range(generate.services_needed(3000))}
    reports = []
    for engine in ENGINES:
        out = tmp_path / f"{engine}.csv"
        report = validate_file(
            path,
            "service_performance",
            mapping=MappingOptions(agency_id="bench"),
            known_services=services,
            out_csv=out,
            engine=engine,
        )
        reports.append((same_verdicts(report.to_dict()), out.read_bytes()))
    (theirs, their_rows) = reports[-1]
    assert theirs["rows_failed"] >= 3000 * rate / 2 and "constraint-error" in theirs["error_counts"]
    for engine, (ours, our_rows) in zip(ENGINES, reports):
        assert ours == theirs, engine
        assert our_rows == their_rows, engine  # the staged rows, byte for byte


def test_a_row_is_typed_as_frictionless_types_it():
    schema = Schema.from_descriptor(standard.load_schema("service_performance"))
    row = ["tax", "S1", "2024-01-01", "2024-01-31", "", "online", "10", "9", "8", "1.5", "80", "0", "", "99.9"]
    typed, errors = CompiledSchema(schema).read(row)
    assert errors == []
    assert typed["period_start"] == dt.date(2024, 1, 1) and typed["applications"] == 10
    assert str(typed["median_days"]) == "1.5" and typed["period_label"] is None and typed["cost"] is None


@pytest.mark.parametrize(
    "name, constraints",
    [
        ("required", [True, False]),
        ("minimum", [0, 1, decimal.Decimal("0.5")]),
        ("maximum", [100, decimal.Decimal("1")]),
        ("exclusiveMinimum", [0]),
        ("exclusiveMaximum", [100]),
        ("minLength", [0, 3]),
        ("maxLength", [3, 64]),
    ],
)
def test_each_constraint_check_is_frictionless_own(name, constraints):
    from frictionless.schema import field as frictionless_field

    from shafaf.validate.compiled_schema import _check

    values = [
        None,
        0,
        1,
        -1,
        100,
        101,
        decimal.Decimal("0.5"),
        decimal.Decimal("NaN"),
        decimal.Decimal("Infinity"),
        decimal.Decimal("-Infinity"),
        99.5,
        float("nan"),
    ]
    if "Length" in name:
        values = [None, "", "ab", "abc", "abcd", "x" * 65]
    for c in constraints:
        ours = _check(name, c) or (lambda v: True)
        for v in values:
            assert ours(v) == getattr(frictionless_field, f"check_{name}")(c, v), (name, c, v)


def test_pattern_and_enum_checks_are_frictionless_own():
    import re

    from frictionless.schema import field as frictionless_field

    from shafaf.validate.compiled_schema import _check

    pattern = re.compile("^[a-z0-9-]{1,64}$")
    for v in [None, "tax", "Tax", "", "a" * 65, "tax\n"]:
        assert _check("pattern", pattern)(v) == frictionless_field.check_pattern(pattern, v), v
    for v in [None, "online", "ONLINE", ""]:
        assert _check("enum", ["online", "phone"])(v) == frictionless_field.check_enum(["online", "phone"], v), v


@pytest.mark.parametrize("seed", [7, 8])
def test_the_second_shape_gets_the_same_report_from_every_engine(tmp_path, monkeypatch, seed):
    """Mapped Persian column names, one Jalali period label in Persian digits, no agency column, a value map."""
    monkeypatch.setattr(columnar, "BATCH", 128)
    monkeypatch.setattr(HashedKeys, "RUN_CAP", 512)
    generate.write_agency(tmp_path, "bench", rows=2000, invalid_rate=0.004, seed=seed, shape="labels")
    path = tmp_path / "service_performance.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rng = random.Random(seed)
    for row in rows[1:]:  # what such files hold besides: unknown labels and channels, Arabic letters, repeats
        if rng.random() < 0.01:
            row[rng.choice([1, 2])] = rng.choice(["۱۳۹۹-۱۳", "", "نامعلوم", "بر خط", "تلفني", "1399-02"])
    rows[50] = rows[10]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    options = dict(
        mapping=MappingOptions(
            fields=generate.LABELS_FIELDS,
            values={"channel": {fa: en for en, fa in generate.CHANNELS_FA.items()}},
            calendar="jalali",
            agency_id="bench",
        )
    )
    reports = []
    for engine in ENGINES:
        out = tmp_path / f"{engine}.csv"
        report = validate_file(path, "service_performance", out_csv=out, engine=engine, **options)
        reports.append((same_verdicts(report.to_dict()), out.read_bytes()))
    theirs, their_rows = reports[-1]
    assert theirs["rows_failed"] > 10 and "primary-key" in theirs["error_counts"] and theirs["rows_staged"] > 1900
    for engine, (ours, our_rows) in zip(ENGINES, reports):
        assert ours == theirs, engine
        assert our_rows == their_rows, engine


BIG = "x" * 300


@pytest.mark.parametrize(
    "data",
    [
        b'service_id,name_en\nS1,"One\nS2,Two\nS3,Three\n',  # an open quote mid-file, rows with errors before it
        b"service_id,name_en\nS1,One\nS2,bad id ok\n" * 3 + b'S9,"Two',  # opened on the last line, no newline
        b'service_id,"name_en\nS1,One\n',  # opened in the header
        b'"service_id\n',  # the header alone, open
        b'service_id,description\nS1,"line one\nline two"\nS2,"say ""hi"""\n',  # closed quotes across lines
        b"service_id,name_en\r\nS1,One\r\nS2,Two",  # CRLF, no newline at the end
        b"service_id;name_en\nS1;One\nS2;Two\n",  # another delimiter
        b"service_id,name_en\nS1,One\n\n\n",  # trailing blank lines
        b"service_id,name_en\n" + b"S1,One\n" * 300 + b"S2," + BIG.encode() + b"\n",  # a field over the limit
        b"",  # nothing, and only a header
        b"service_id,name_en\n",
        b'  ,  \n"S1\n',  # a blank header, then an open quote: the quote is said first
    ],
    ids=lambda d: str(len(d)),
)
def test_the_open_quote_check_folded_into_the_columnar_read_gives_the_row_engines_verdict(tmp_path, monkeypatch, data):
    """The columnar engine checks for a quote left open in its one read (csv_batches), not a whole pass first."""
    monkeypatch.setattr(columnar, "BATCH", 2)  # the last row held back across batches
    path = tmp_path / "services.csv"
    path.write_bytes(data)
    limit = csv.field_size_limit()
    csv.field_size_limit(200)
    try:
        reports = []
        for engine in ENGINES:
            out = tmp_path / f"{engine}.csv"
            report = validate_file(
                path, "services", mapping=MappingOptions(agency_id="alpha"), out_csv=out, engine=engine
            ).to_dict()
            reports.append((same_verdicts(report), out.read_bytes() if out.exists() else None))
    finally:
        csv.field_size_limit(limit)
    assert reports[0] == reports[2] and reports[1] == reports[2]
