from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish
from shafaf.validate import report as report_mod
from shafaf.validate.engine import validate_file
from shafaf.validate.mapping import MappingOptions

FIXTURES = Path(__file__).parent / "fixtures"


def test_frictionless_invalid_fixture_through_a_mapping(tmp_path):
    """capital-invalid.csv: duplicate header, a missing and an extra cell, a duplicate key, a blank row."""
    out = tmp_path / "out.csv"
    report = validate_file(
        FIXTURES / "capital-invalid.csv",
        "services",
        mapping=MappingOptions(fields={"service_id": "id", "name_en": "name"}, agency_id="alpha"),
        out_csv=out,
    )
    assert report.header_problems and "duplicated" in report.header_problems[0]
    assert [(e.error_type, e.column_number) for e in report.header_errors] == [("duplicate-label", 3)]
    assert report.rows_read == 10 and report.blank_rows == 1  # the blank row is not data
    # Row 10 ('8,Warsaw') is short a cell and repeats row 9's id; row 12 has a cell too many.
    assert report.error_counts == {"missing-cell": 1, "extra-cell": 1, "primary-key": 1}
    assert sorted(report.failed_rows) == [10, 12]
    key = next(e for e in report.errors if e.error_type == "primary-key")
    assert key.row_number == 10 and "row 9" in key.message and "سطر ۹" in key.message_fa
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["service_id"] for r in rows] == ["1", "2", "3", "4", "5", "6", "7", "8"]
    assert rows[0]["agency_id"] == "alpha"


def test_type_constraint_and_cross_field_errors_name_row_and_column(tmp_path):
    path = tmp_path / "perf.csv"
    path.write_text(
        "service_id,period_start,period_end,channel,applications,completed,satisfaction\n"
        "S1,2026-09-01,2026-09-30,online,100,90,85\n"
        "S1,2026-10-01,2026-10-31,online,100,120,85\n"  # completed > applications
        "S2,2026-10-01,2026-10-31,fax,10,5,50\n"  # channel not in the enum
        "S3,2026-10-01,2026-10-31,online,many,5,50\n"  # not an integer
        "S4,2026-10-31,2026-10-01,online,10,5,150\n",  # period reversed, satisfaction > 100
        encoding="utf-8",
    )
    report = validate_file(path, "service_performance", mapping=MappingOptions(agency_id="alpha"))
    assert report.rows_read == 5 and report.rows_passed == 1
    where = {(e.row_number, e.field, e.error_type) for e in report.errors}
    assert (3, "completed", "cross-field") in where
    assert (4, "channel", "constraint-error") in where
    assert (5, "applications", "type-error") in where
    assert (6, "satisfaction", "constraint-error") in where
    fax = next(e for e in report.errors if e.field == "channel")
    assert fax.value == "fax" and "allowed values" in fax.message and "online" in fax.message
    assert fax.message_fa.startswith("«مجرا»") and "مقادیر مجاز" in fax.message_fa
    assert fax.column_number == 4
    assert all(e.message and e.message_fa for e in report.errors)


def test_duplicate_primary_key_is_reported(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("service_id,name_en\nS1,a\nS1,b\n", encoding="utf-8")
    report = validate_file(path, "services", mapping=MappingOptions(agency_id="alpha"))
    assert report.error_counts == {"primary-key": 1}
    assert report.errors[0].row_number == 3


def test_missing_required_column_is_fatal_and_names_the_columns(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("code,title\n1,a\n", encoding="utf-8")
    report = validate_file(path, "services", mapping=MappingOptions(agency_id="alpha"))
    assert report.fatal_reason == "missing_column"
    assert "'service_id'" in report.fatal_message and "'code'" in report.fatal_message
    assert "«service_id»" in report.fatal_message_fa and "«code»" in report.fatal_message_fa
    assert "«فهرست خدمات»" in report.fatal_message_fa


def test_persian_input_is_normalized_on_the_way_in(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("کد,دوره,مجرا,درخواست\nS1,۱۴۰۵-۰۷,حضوري,۱٬۲۳۴\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    report = validate_file(
        path,
        "service_performance",
        mapping=MappingOptions(
            agency_id="alpha",
            fields={"service_id": "کد", "period": "دوره", "channel": "مجرا", "applications": "درخواست"},
            values={"channel": {"حضوری": "in_person"}},
        ),
        out_csv=out,
    )
    assert report.valid, report.to_dict()
    row = next(csv.DictReader(out.open(encoding="utf-8")))
    assert row["period_start"] == "2026-09-23" and row["period_end"] == "2026-10-22"
    assert row["period_label"] == "۱۴۰۵-۰۷"
    assert row["channel"] == "in_person" and row["applications"] == "1234"


def test_empty_file_is_fatal(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    report = validate_file(path, "services", mapping=MappingOptions(agency_id="alpha"))
    assert report.fatal_reason == "empty"


def test_jalali_dates_in_date_fields_become_gregorian_even_when_iso_shaped(tmp_path):
    """1405-07-19 is a valid ISO date for frictionless (year 1405 AD): it must be read as Jalali."""
    path = tmp_path / "s.csv"
    path.write_text("service_id,updated\nS1,1405-07-19\nS2,۱۴۰۵/۰۷/۲۰\nS3,2026-10-11\nS4,05/07/19\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    report = validate_file(path, "services", mapping=MappingOptions(agency_id="alpha"), out_csv=out)
    assert [r["updated"] for r in csv.DictReader(out.open(encoding="utf-8"))] == [
        "2026-10-11",
        "2026-10-12",
        "2026-10-11",
    ]
    assert [(e.row_number, e.field, e.error_type) for e in report.errors] == [(5, "updated", "date-error")]


def _perf(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "perf.csv"
    path.write_text(
        "service_id,period,channel,applications,completed,satisfaction,availability_pct\n" + rows, encoding="utf-8"
    )
    return path


def test_percentages_outside_0_to_100_name_the_field_in_both_languages(tmp_path):
    path = _perf(
        tmp_path, "S1,2026-09,online,10,5,120,99\nS2,2026-09,online,10,5,80,-1\nS3,2026-09,online,10,5,100,0\n"
    )
    report = validate_file(path, "service_performance", mapping=MappingOptions(agency_id="alpha"))
    assert report.rows_passed == 1 and sorted(report.failed_rows) == [2, 3]
    sat, avail = report.errors
    assert (sat.row_number, sat.field, sat.value, sat.error_type) == (2, "satisfaction", "120", "constraint-error")
    assert sat.message == "Satisfaction (0-100): '120' is above the maximum of 100"
    assert sat.message_fa == "«رضایت (۰ تا ۱۰۰)»: «120» بیشتر از بیشینه مجاز (۱۰۰) است"
    assert (avail.row_number, avail.field, avail.value) == (3, "availability_pct", "-1")
    assert avail.message == "Availability (%): '-1' is below the minimum of 0"
    assert avail.message_fa.startswith("«دسترس‌پذیری (٪)»: «-1» کمتر از کمینه مجاز (۰)")


def test_values_are_reported_as_the_agency_wrote_them(tmp_path):
    """Persian digits are folded to check the value, but the report shows what is in the file."""
    path = _perf(tmp_path, "S1,۱۴۰۵-۰۷,online,۱۰۰,۱۲۰,۱۵۰,\n")
    report = validate_file(path, "service_performance", mapping=MappingOptions(agency_id="alpha"))
    found = {e.field: e for e in report.errors}
    assert found["satisfaction"].value == "۱۵۰" and "«۱۵۰»" in found["satisfaction"].message_fa
    assert found["satisfaction"].error_type == "constraint-error"
    assert "completed" not in found  # cross-field rules run only on rows whose cells all passed
    path = _perf(tmp_path, "S1,۱۴۰۵-۰۷,online,۱۰۰,۱۲۰,50,\n")
    cross = validate_file(path, "service_performance", mapping=MappingOptions(agency_id="alpha")).errors[0]
    assert (cross.field, cross.value, cross.error_type) == ("completed", "۱۲۰", "cross-field")
    assert cross.message == "Completed ('۱۲۰') is larger than Applications ('۱۰۰')"
    assert cross.message_fa == "«انجام‌شده» («۱۲۰») بیشتر از «درخواست‌ها» («۱۰۰») است"


def test_services_not_in_the_agencys_list_are_a_foreign_key_error(tmp_path):
    path = _perf(tmp_path, "S1,2026-09,online,10,5,80,99\nS9,2026-09,online,10,5,80,99\nS2,2026-09,online,10,5,80,99\n")
    out = tmp_path / "out.csv"
    report = validate_file(
        path, "service_performance", mapping=MappingOptions(agency_id="alpha"), known_services={"S1", "S2"}, out_csv=out
    )
    assert report.error_counts == {"foreign-key": 1} and sorted(report.failed_rows) == [3]
    error = report.errors[0]
    assert (error.row_number, error.field, error.value, error.column_number) == (3, "service_id", "S9", 1)
    assert error.message == "Service 'S9' is not in the services list of agency 'alpha'"
    assert error.message_fa == "خدمت «S9» در فهرست خدمات دستگاه «alpha» نیست"
    assert [r["service_id"] for r in csv.DictReader(out.open(encoding="utf-8"))] == ["S1", "S2"]
    # Without an agency the message says "this agency"; without known services nothing is checked.
    anonymous = validate_file(path, "service_performance", known_services={"S1", "S2"})
    assert anonymous.errors[0].message == "Service 'S9' is not in this agency's services list"
    assert validate_file(path, "service_performance", mapping=MappingOptions(agency_id="alpha")).valid


def test_a_repeated_key_names_the_source_row_of_its_first_occurrence(tmp_path):
    """Row numbers are the file's, even with blank rows and rejected rows in between."""
    path = tmp_path / "s.csv"
    path.write_text("service_id,audience\nS1,citizens\n,\nS2,aliens\nS1,citizens\nS1,citizens\n", encoding="utf-8")
    report = validate_file(path, "services", mapping=MappingOptions(agency_id="alpha"))
    keys = [e for e in report.errors if e.error_type == "primary-key"]
    assert [(e.row_number, e.value) for e in keys] == [(5, "alpha, S1"), (6, "alpha, S1")]
    assert all("as row 2" in e.message for e in keys)


def test_the_error_list_is_capped_but_the_counts_are_not(tmp_path, monkeypatch):
    monkeypatch.setattr(report_mod, "MAX_LISTED_ERRORS", 5)
    path = tmp_path / "s.csv"
    path.write_text("service_id,audience\n" + "".join(f"S{i},aliens\n" for i in range(40)), encoding="utf-8")
    report = validate_file(path, "services", mapping=MappingOptions(agency_id="alpha"))
    assert report.error_counts == {"constraint-error": 40} and report.rows_failed == 40
    data = report.to_dict()
    assert data["errors_listed"] == 5 and len(data["errors"]) == 5
    assert {"message", "message_fa", "row_number", "field", "value", "error_type"} <= set(data["errors"][0])
    assert "fatal_message_fa" in data and data["blank_rows"] == 0


def test_unreadable_dates_and_periods_say_what_was_written(tmp_path):
    path = _perf(tmp_path, "S1,1402-13,online,1,1,,\n")
    error = validate_file(path, "service_performance", mapping=MappingOptions(agency_id="alpha")).errors[0]
    assert (error.error_type, error.field, error.value) == ("period-error", "period", "1402-13")
    assert "'1402-13'" in error.message and "month 13" in error.message
    assert error.message_fa == "«دوره»: «1402-13»: ماه ۱۳ بین ۱ و ۱۲ نیست"


def test_persian_messages_are_published_with_the_rejected_rows(registry_path, tmp_path):
    from shafaf.config import registry
    from shafaf.core.datadir import DataDir

    perf = registry_path.parent / "files" / "alpha_performance.csv"
    perf.write_text(perf.read_text(encoding="utf-8") + "S9,2026-10,online,10,5,5,101\n", encoding="utf-8")
    reg, data = registry.load(registry_path), DataDir(tmp_path / "var")
    harvest(reg.agencies, registry=reg, data=data)
    staged = json.loads((data.packages("alpha") / "reports" / "service_performance.json").read_text(encoding="utf-8"))
    assert {e["error_type"] for e in staged["errors"]} == {"constraint-error", "foreign-key"}
    assert all(e["message_fa"] for e in staged["errors"]) and "fatal_message_fa" in staged
    publish(reg.agencies, registry=reg, data=data)
    with sqlite3.connect(data.public_db) as db:
        rows = db.execute(
            "SELECT row_number, field, error_type, message, message_fa FROM validation_errors "
            "WHERE agency_id = 'alpha' ORDER BY error_type"
        ).fetchall()
    assert rows == [
        (
            6,
            "satisfaction",
            "constraint-error",
            "Satisfaction (0-100): '101' is above the maximum of 100",
            "«رضایت (۰ تا ۱۰۰)»: «101» بیشتر از بیشینه مجاز (۱۰۰) است",
        ),
        (
            6,
            "service_id",
            "foreign-key",
            "Service 'S9' is not in the services list of agency 'alpha'",
            "خدمت «S9» در فهرست خدمات دستگاه «alpha» نیست",
        ),
    ]


def test_every_row_cell_and_header_error_of_frictionless_has_a_name_and_a_fix_in_both_languages():
    import inspect

    import frictionless.errors as fe

    from shafaf.validate import kinds

    bases = (fe.RowError, fe.CellError, fe.LabelError, fe.HeaderError)
    types = {c.type for c in vars(fe).values() if inspect.isclass(c) and issubclass(c, bases) and c not in bases}
    ours = {"cross-field", "date-error", "period-error", "wrong-agency", "header-error"}
    assert types | ours <= set(kinds.ERROR_TYPES)
    reasons = {
        "missing_column",
        "encoding",
        "unreadable",
        "empty",
        "structure",
        "too_many_invalid_rows",
        "no_valid_rows",
    }
    assert reasons <= set(kinds.FATAL_REASONS)
    for kind in [*kinds.ERROR_TYPES.values(), *kinds.FATAL_REASONS.values()]:
        for text in (kind.name, kind.fix):
            assert text.en and text.fa and text.en != text.fa
            # Persian digits throughout, except in codes (UTF-8, cp1256) and Gregorian examples as typed (2024-03-05).
            latin = re.sub(r"[A-Za-z][\w.-]*|\b[0-9]{4}(?:-(?:Q[1-4]|[0-9]{2,4}))*\b", "", text.fa)
            assert not re.search(r"[0-9]", latin), text.fa


def test_policy_refusals_have_persian_texts_for_staging():
    from shafaf.validate.file_messages import fatal_message

    text = fatal_message(
        "too_many_invalid_rows",
        "10 of 48 rows of s.csv failed validation",
        file="s.csv",
        dataset="services",
        rows_failed=10,
        rows_read=48,
    )
    assert text.en == "10 of 48 rows of s.csv failed validation"
    assert text.fa.startswith("۱۰ سطر از ۴۸ سطر فایل «s.csv» رد شد")
    assert "سطر" in fatal_message("no_valid_rows", "", file="s.csv", dataset="services", rows_read=3).fa
