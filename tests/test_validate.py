from __future__ import annotations

import csv
from pathlib import Path

from shafaf.validate import validate_file

FIXTURES = Path(__file__).parent / "fixtures"


def test_frictionless_invalid_fixture_through_a_mapping(tmp_path):
    """capital-invalid.csv: duplicate header, a missing and an extra cell, a duplicate key, a blank row."""
    out = tmp_path / "out.csv"
    report = validate_file(FIXTURES / "capital-invalid.csv", "services", fields={"service_id": "id", "name_en": "name"},
                           agency_id="alpha", out_csv=out)
    assert report.header_problems and "duplicated" in report.header_problems[0]
    assert report.rows_read == 10  # the blank row is not data
    assert report.error_counts == {"missing-cell": 1, "extra-cell": 1}
    assert sorted(report.failed_rows) == [10, 12]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["service_id"] for r in rows] == ["1", "2", "3", "4", "5", "6", "7", "8"]
    assert rows[0]["agency_id"] == "alpha"


def test_type_constraint_and_cross_field_errors_name_row_and_column(tmp_path):
    path = tmp_path / "perf.csv"
    path.write_text(
        "service_id,period_start,period_end,channel,applications,completed,satisfaction\n"
        "S1,2026-09-01,2026-09-30,online,100,90,85\n"
        "S1,2026-10-01,2026-10-31,online,100,120,85\n"     # completed > applications
        "S2,2026-10-01,2026-10-31,fax,10,5,50\n"          # channel not in the enum
        "S3,2026-10-01,2026-10-31,online,many,5,50\n"     # not an integer
        "S4,2026-10-31,2026-10-01,online,10,5,150\n",     # period reversed, satisfaction > 100
        encoding="utf-8",
    )
    report = validate_file(path, "service_performance", agency_id="alpha")
    assert report.rows_read == 5 and report.rows_passed == 1
    where = {(e.row_number, e.field, e.error_type) for e in report.errors}
    assert (3, "completed", "cross-field") in where
    assert (4, "channel", "constraint-error") in where
    assert (5, "applications", "type-error") in where
    assert (6, "satisfaction", "constraint-error") in where
    fax = next(e for e in report.errors if e.field == "channel")
    assert fax.value == "fax" and "enum" in fax.message


def test_duplicate_primary_key_is_reported(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("service_id,name_en\nS1,a\nS1,b\n", encoding="utf-8")
    report = validate_file(path, "services", agency_id="alpha")
    assert report.error_counts == {"primary-key": 1}
    assert report.errors[0].row_number == 3


def test_missing_required_column_is_fatal_and_names_the_columns(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("code,title\n1,a\n", encoding="utf-8")
    report = validate_file(path, "services", agency_id="alpha")
    assert report.fatal_reason == "missing_column"
    assert "'service_id'" in report.fatal_message and "'code'" in report.fatal_message


def test_persian_input_is_normalized_on_the_way_in(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("کد,دوره,مجرا,درخواست\nS1,۱۴۰۵-۰۷,حضوري,۱٬۲۳۴\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    report = validate_file(
        path, "service_performance", agency_id="alpha", out_csv=out,
        fields={"service_id": "کد", "period": "دوره", "channel": "مجرا", "applications": "درخواست"},
        values={"channel": {"حضوری": "in_person"}},
    )
    assert report.valid, report.to_dict()
    row = next(csv.DictReader(out.open(encoding="utf-8")))
    assert row["period_start"] == "2026-09-23" and row["period_end"] == "2026-10-22"
    assert row["period_label"] == "۱۴۰۵-۰۷"
    assert row["channel"] == "in_person" and row["applications"] == "1234"


def test_empty_file_is_fatal(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    report = validate_file(path, "services", agency_id="alpha")
    assert report.fatal_reason == "empty"


def test_jalali_dates_in_date_fields_become_gregorian_even_when_iso_shaped(tmp_path):
    """1405-07-19 is a valid ISO date for frictionless (year 1405 AD): it must be read as Jalali."""
    path = tmp_path / "s.csv"
    path.write_text("service_id,updated\nS1,1405-07-19\nS2,۱۴۰۵/۰۷/۲۰\nS3,2026-10-11\nS4,05/07/19\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    report = validate_file(path, "services", agency_id="alpha", out_csv=out)
    assert [r["updated"] for r in csv.DictReader(out.open(encoding="utf-8"))] == ["2026-10-11", "2026-10-12", "2026-10-11"]
    assert [(e.row_number, e.field, e.error_type) for e in report.errors] == [(5, "updated", "date-error")]
