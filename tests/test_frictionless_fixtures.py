"""frictionless-py's own invalid tables: our report lists what frictionless itself finds in them.

Each fixture is validated twice: by frictionless (``Resource.validate``, with
its inferred schema or the schema the fixture comes with) and by Shafaf (the
file mapped onto the ``services`` standard). Errors are compared by type and
row (cells) or by column (header) wherever the two can be compared: blank
rows, which Shafaf skips on purpose (trailing spreadsheet rows are not data),
are compared as a count; errors only our standard can see (a required
service ID, a key repeated in the standard's sense) are listed per fixture.
"""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import pytest
from frictionless import Resource, Schema

from shafaf.validate.engine import Report, validate_file
from shafaf.validate.mapping import MappingOptions

FIXTURES = Path(__file__).parent / "fixtures"
FRICTIONLESS = FIXTURES / "frictionless"

ROW_TYPES = {"missing-cell", "extra-cell", "type-error", "primary-key"}
HEADER_TYPES = {"blank-label", "duplicate-label"}

CASES: dict[str, dict[str, Any]] = {
    "invalid.csv": {"fields": {"service_id": "id", "name_en": "name"}},
    "capital-invalid.csv": {"fields": {"service_id": "name", "fee": "id"}, "dir": FIXTURES},
    "duplicate-headers.csv": {"fields": {"service_id": "id", "name_en": "name"}},
    "blank-headers.csv": {"fields": {"service_id": "id"}},
    "blank-rows.csv": {"fields": {"service_id": "id", "name_en": "name"}},
    "blank-rows-multiple.csv": {"fields": {"service_id": "id", "name_en": "name"}},
    "structure-errors.csv": {"fields": {"service_id": "id", "name_en": "name"}},
    "defective-rows.csv": {"fields": {"service_id": "id", "name_en": "name", "standard_days": "age"}},
    "schema-errors.csv": {
        "fields": {"service_id": "name", "fee": "id", "standard_days": "age"},
        "schema": {
            "fields": [
                {"name": "id", "type": "integer"},
                {"name": "name", "type": "string"},
                {"name": "age", "type": "integer"},
            ]
        },
        # Row 4 has no name, which is our service_id: the standard requires it.
        "ours_only": {("constraint-error", 4)},
    },
    "unique-field.csv": {"fields": {"service_id": "id", "name_en": "name"}, "schema": "unique-field.json"},
}


def frictionless_errors(path: Path, schema: Any = None) -> list[Any]:
    """What frictionless itself reports for ``path``."""
    if isinstance(schema, dict):
        schema = Schema.from_descriptor(schema)
    resource = Resource(path=path.name, basepath=str(path.parent), schema=schema)
    report = resource.validate()
    assert len(report.tasks) == 1
    return report.tasks[0].errors


def ours(name: str, case: dict[str, Any]) -> Report:
    path = case.get("dir", FRICTIONLESS) / name
    return validate_file(path, "services", mapping=MappingOptions(fields=case["fields"], agency_id="alpha"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_our_report_lists_what_frictionless_reports(name):
    case = CASES[name]
    theirs = frictionless_errors(case.get("dir", FRICTIONLESS) / name, case.get("schema"))
    assert theirs, f"frictionless finds nothing wrong in {name}: not a useful fixture"
    report = ours(name, case)

    their_rows = collections.Counter((e.type, e.row_number) for e in theirs if e.type in ROW_TYPES)
    our_rows = collections.Counter((e.error_type, e.row_number) for e in report.errors)
    extra = case.get("ours_only", set())
    assert their_rows == collections.Counter({k: n for k, n in our_rows.items() if k not in extra})
    assert extra <= set(our_rows)

    their_header = sorted((e.type, e.field_number) for e in theirs if e.type in HEADER_TYPES)
    assert sorted((e.error_type, e.column_number) for e in report.header_errors) == their_header

    blank = [e.row_number for e in theirs if e.type == "blank-row"]
    assert report.blank_rows == len(blank) and not set(blank) & set(report.failed_rows)

    for error in [*report.errors, *report.header_errors]:
        assert error.message and error.message_fa, error
        assert error.message != error.message_fa
    assert report.valid is (not our_rows)


def test_a_repeated_key_points_at_the_row_frictionless_points_at():
    theirs = frictionless_errors(FRICTIONLESS / "unique-field.csv", "unique-field.json")
    key = next(e for e in theirs if e.type == "primary-key")
    assert key.note == "the same as in the row at position 2"
    error = next(e for e in ours("unique-field.csv", CASES["unique-field.csv"]).errors if e.error_type == "primary-key")
    assert error.row_number == key.row_number == 10
    assert error.message == "Same key (Agency, Service ID: alpha, ao) as row 2"
    assert error.message_fa == "کلید این سطر (دستگاه، شناسه خدمت: alpha، ao) همان کلید سطر ۲ است"


def test_structural_errors_name_the_column_and_the_value():
    report = ours("invalid.csv", CASES["invalid.csv"])
    short = [e for e in report.errors if e.error_type == "missing-cell" and e.row_number == 2]
    assert [e.column_number for e in short] == [3, 4]
    assert short[1].message == "The row ends before column 4 ('name (2)'): it has 2 cells, the header has 4 columns"
    assert short[1].message_fa == "سطر پیش از ستون ۴ («name (2)») تمام شده است: ۲ خانه دارد و سرستون ۴ ستون"
    long = next(e for e in report.errors if e.error_type == "extra-cell")
    assert (long.row_number, long.column_number, long.value) == (5, 5, "3")
    assert long.message == "Value '3' in column 5, past the header's 4 columns"
    blank, dup = report.header_errors
    assert blank.message_fa == "ستون ۳ نام ندارد و به هیچ فیلد استاندارد نسبت داده نمی‌شود"
    assert dup.message == "Column 4 ('name') has the same name as column 2; only column 2 is matched to the standard"


def test_type_errors_of_frictionless_fixtures_read_naturally():
    report = ours("capital-invalid.csv", CASES["capital-invalid.csv"])
    error = next(e for e in report.errors if e.error_type == "type-error")
    assert (error.row_number, error.field, error.value, error.column_number) == (12, "fee", "x", 1)
    assert error.message == "Fee (rials): 'x' is not a whole number"
    assert error.message_fa == "«هزینه (ریال)»: «x» عدد صحیح نیست"
