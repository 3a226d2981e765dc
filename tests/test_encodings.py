"""Whole files in every encoding agencies send, garbled files refused, malformed CSV handled (H13, H15, H16).

Every file is written here, byte for byte, in the encoding under test; the
real Iranian COVID-19 file is a fixture (tests/fixtures/persian/SOURCE.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
from pathlib import Path

import openpyxl
import pytest

from shafaf.config.registry import Unpivot
from shafaf.core.errors import StageError
from shafaf.normalize import MojibakeGuard, PeriodError, detect_encoding, parse_date
from shafaf.validate.engine import validate_file
from shafaf.validate.header_labels import clean_labels as _labels
from shafaf.validate.mapping import MappingOptions, normalize_cell
from shafaf.validate.readers import open_table

FIXTURES = Path(__file__).parent / "fixtures"
COVID = FIXTURES / "persian" / "Iran_Dailly_Covid19_Stat.csv"
CANADA = FIXTURES / "canada" / "service_inventory_2024.csv.gz"

# The letters Persian has and Arabic lacks, Arabic yeh/kaf as Windows writes them, Persian digits.
PERSIAN = "پ چ ژ گ ک ی"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
# Windows-1256 has no Persian yeh (ی) and no Persian digits: Excel writes Arabic yeh (ي) and ASCII digits.
CP1256_TEXT = "پ چ ژ گ ک ي"


SECOND = "صدور کارت ملی"


def services_csv(name: str, digits: str, second: str = SECOND) -> str:
    return f"service_id,name_fa,standard_days\r\nS1,{name},{digits[1]}{digits[2]}\r\nS2,{second},{digits[3]}\r\n"


def read_all(path: Path, **options) -> tuple[list[str], list[list[str]]]:
    with open_table(path, **options) as table:
        return table.labels, [cells for _, cells, _ in table.rows]


# --- encodings read right -----------------------------------------------------------------------

ENCODED = [
    # (id, codec used to write, bytes prefix, declared, expected detection)
    ("utf-8", "utf-8", b"", None, "utf-8"),
    ("utf-8-bom", "utf-8", b"\xef\xbb\xbf", None, "utf-8-sig"),
    ("utf-8-bom-declared-utf-8", "utf-8", b"\xef\xbb\xbf", "utf-8", "utf-8-sig"),
    ("utf-16le-bom", "utf-16-le", b"\xff\xfe", None, "utf-16"),
    ("utf-16be-bom", "utf-16-be", b"\xfe\xff", None, "utf-16"),
    ("utf-16le-bom-declared-utf-16-le", "utf-16-le", b"\xff\xfe", "utf-16-le", "utf-16"),
    ("utf-16le-no-bom", "utf-16-le", b"", None, "utf-16-le"),
]


@pytest.mark.parametrize("codec, prefix, declared, detected", [e[1:] for e in ENCODED], ids=[e[0] for e in ENCODED])
def test_unicode_files_round_trip_exactly(tmp_path, codec, prefix, declared, detected):
    path = tmp_path / "services.csv"
    path.write_bytes(prefix + services_csv(PERSIAN, PERSIAN_DIGITS).encode(codec))
    if declared is None:
        assert detect_encoding(path)[0] == detected
    labels, rows = read_all(path, encoding=declared)
    assert labels == ["service_id", "name_fa", "standard_days"]  # no BOM in a column name (H16)
    assert rows == [["S1", PERSIAN, "۱۲"], ["S2", "صدور کارت ملی", "۳"]]


@pytest.mark.parametrize("declared", ["cp1256", "windows-1256", None], ids=["declared", "declared-alias", "detected"])
def test_windows_1256_round_trips_exactly(tmp_path, declared):
    """H15: the golden round trip of پ چ ژ گ ک and Arabic yeh, declared or detected, never chardet's guess."""
    path = tmp_path / "services.csv"
    path.write_bytes(services_csv(CP1256_TEXT, "0123456789", SECOND.replace("ی", "ي")).encode("cp1256"))
    encoding, how = detect_encoding(path)
    assert encoding == "cp1256" and "not UTF-8" in how
    labels, rows = read_all(path, encoding=declared)
    assert labels == ["service_id", "name_fa", "standard_days"]
    assert rows == [["S1", CP1256_TEXT, "12"], ["S2", SECOND.replace("ی", "ي"), "3"]]
    assert normalize_cell(rows[0][1], "string") == PERSIAN  # Arabic yeh → Persian yeh when mapped
    assert normalize_cell(rows[1][1], "string") == SECOND


@pytest.mark.parametrize(
    "codec, prefix, text, digits",
    [
        ("utf-8", b"", PERSIAN, PERSIAN_DIGITS),
        ("utf-8", b"\xef\xbb\xbf", PERSIAN, PERSIAN_DIGITS),
        ("utf-16-le", b"\xff\xfe", PERSIAN, PERSIAN_DIGITS),
        ("utf-16-be", b"\xfe\xff", PERSIAN, PERSIAN_DIGITS),
        ("cp1256", b"", CP1256_TEXT, "0123456789"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16le-bom", "utf-16be-bom", "cp1256"],
)
def test_each_encoding_publishes_the_same_rows(tmp_path, codec, prefix, text, digits):
    """Through validate_file: the staged CSV is UTF-8 without a BOM, with exact column names and values."""
    path, out = tmp_path / "services.csv", tmp_path / "out.csv"
    path.write_bytes(
        prefix + services_csv(text, digits, SECOND.replace("ی", "ي") if codec == "cp1256" else SECOND).encode(codec)
    )
    report = validate_file(path, "services", mapping=MappingOptions(agency_id="post"), out_csv=out)
    assert report.fatal_reason is None and report.rows_passed == 2, report.to_dict()
    data = out.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(data.decode("utf-8").splitlines()))
    assert list(rows[0])[:3] == ["agency_id", "service_id", "name_fa"]
    assert [(r["service_id"], r["name_fa"], r["standard_days"]) for r in rows] == [
        ("S1", PERSIAN, "12"),
        ("S2", "صدور کارت ملی", "3"),
    ]


def test_a_bom_wins_over_a_declared_encoding(tmp_path):
    """A UTF-8 BOM cannot start a Windows-1256 file (it would read ï»؟): the mark decides."""
    path = tmp_path / "services.csv"
    path.write_bytes(b"\xef\xbb\xbf" + services_csv(PERSIAN, PERSIAN_DIGITS).encode("utf-8"))
    labels, rows = read_all(path, encoding="cp1256")
    assert labels[0] == "service_id" and rows[0][1] == PERSIAN


def test_json_with_a_bom_is_read(tmp_path):
    """H16: JSON starting with a BOM is decoded as utf-8-sig."""
    path = tmp_path / "services.json"
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps([{"service_id": "S1", "name_fa": PERSIAN}], ensure_ascii=False).encode()
    )
    labels, rows = read_all(path, format="json")
    assert labels == ["service_id", "name_fa"] and rows == [["S1", PERSIAN]]


def test_xlsx_header_loses_its_bom_and_persian_passes_the_guard(tmp_path):
    path = tmp_path / "services.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["\ufeffservice_id", "name_fa", "standard_days"])
    book.active.append(["S1", PERSIAN, "۱۲"])
    book.save(path)
    labels, rows = read_all(path, format="xlsx")
    assert labels == ["service_id", "name_fa", "standard_days"] and rows == [["S1", PERSIAN, "۱۲"]]


# --- garbled text is refused, never published ----------------------------------------------------

PERSIAN_SENTENCE = "سازمان ثبت احوال کشور: صدور شناسنامه و کارت ملی هوشمند"


def garbled(tmp_path: Path, data: bytes, declared: str | None) -> tuple[Path, dict]:
    path, out = tmp_path / "services.csv", tmp_path / "out.csv"
    path.write_bytes(data)
    report = validate_file(path, "services", mapping=MappingOptions(agency_id="post"), encoding=declared, out_csv=out)
    assert report.fatal_reason == "encoding", report.to_dict()
    assert report.rows_passed == 0 and not out.exists()
    return path, report.to_dict()


def persian_file(text: str = PERSIAN_SENTENCE) -> str:
    return f"service_id,name_fa\nS1,{text}\nS2,{text} 2\n"


@pytest.mark.parametrize(
    "declared, text, what",
    [
        ("latin-1", PERSIAN_SENTENCE, "looks garbled"),  # decodes without an error: the guard sees Ø³Ø§...
        ("cp1252", PERSIAN_SENTENCE, "looks garbled"),  # no byte undefined in cp1252: the same signature
        ("cp1252", "صدور فیش", "is not valid cp1252"),  # ف is D9 81, undefined in cp1252: a decoding error
        ("cp1256", PERSIAN_SENTENCE, "looks garbled"),  # ط³ط§ط²ظ…ط§ظ†: all Arabic letters, caught by its signature
        ("cp1251", PERSIAN_SENTENCE, "Cyrillic"),  # Ш§Ш...: Cyrillic, and re-encoding proves it was UTF-8
    ],
)
def test_utf8_persian_declared_in_a_legacy_encoding_fails(tmp_path, declared, text, what):
    _, report = garbled(tmp_path, persian_file(text).encode("utf-8"), declared)
    message = report["fatal_message"]
    assert message.startswith("services.csv") and what in message
    assert "The file is UTF-8: declare `encoding: utf-8`" in message
    if "garbled" in message:
        assert "row 2, column 'name_fa'" in message


NO_KAF = "سازمان ثبت احوال: صدور شناسنامه و تمدید"  # ک is 0x98, undefined in cp1251


@pytest.mark.parametrize(
    "declared, text, what",
    [
        ("utf-8", PERSIAN_SENTENCE, "is not valid utf-8"),  # the bytes of a Windows-1256 file are not UTF-8
        ("latin-1", PERSIAN_SENTENCE, "Latin, Greek or Cyrillic"),  # ÓÇÒãÇä: Latin-1 letters where Persian is expected
        ("cp1251", NO_KAF, "Latin, Greek or Cyrillic"),  # УЗТгЗд: Cyrillic
        ("cp1251", PERSIAN_SENTENCE, "is not valid cp1251"),  # with ک: a decoding error
    ],
)
def test_windows_1256_declared_wrong_fails(tmp_path, declared, text, what):
    data = persian_file(text.replace("ی", "ي")).encode("cp1256")
    _, report = garbled(tmp_path, data, declared)
    assert what in report["fatal_message"] and "declare `encoding: cp1256`" in report["fatal_message"]


def test_replacement_characters_fail(tmp_path):
    """A file converted with errors="replace" somewhere before us: the lost bytes show as U+FFFD."""
    data = persian_file("صدور \ufffd\ufffd\ufffd ملی").encode("utf-8")
    _, report = garbled(tmp_path, data, None)
    assert "U+FFFD" in report["fatal_message"] and "row 2" in report["fatal_message"]


def test_cyrillic_from_a_cp1251_reading_fails_in_a_big_file(tmp_path):
    """The guard decides at the end of the stream, after many good-looking rows."""
    text = NO_KAF.replace("ی", "ي")
    body = "".join(f"S{i},{text}\n" for i in range(2000))
    _, report = garbled(tmp_path, ("service_id,name_fa\n" + body).encode("cp1256"), "cp1251")
    assert "Cyrillic" in report["fatal_message"]


def test_french_accents_pass_when_persian_is_not_expected(tmp_path):
    path = tmp_path / "services.csv"
    path.write_text(
        "service_id,name_en,name_fr\nS1,Passport,Passeport délivré à l'étranger\nS2,Tax,Impôt fédéral\n",
        encoding="utf-8",
    )
    for expect_persian in (False, True):  # a few accents are not a garbled Persian file either
        _, rows = read_all(path, expect_persian=expect_persian)
        assert rows[0][2] == "Passeport délivré à l'étranger"


def test_french_windows_1252_is_detected_when_persian_is_not_expected(tmp_path):
    path = tmp_path / "services.csv"
    path.write_bytes("service_id,name_fr\nS1,Impôt fédéral, été\n".replace(", été", " été").encode("cp1252"))
    assert detect_encoding(path, fallback="cp1252")[0] == "cp1252"
    _, rows = read_all(path, expect_persian=False)
    assert rows == [["S1", "Impôt fédéral été"]]


def test_french_utf8_read_as_latin1_fails_even_when_persian_is_not_expected(tmp_path):
    path = tmp_path / "services.csv"
    path.write_text("service_id,name_fr\nS1,Impôt fédéral\nS2,Délivré\n", encoding="utf-8")
    with pytest.raises(StageError) as e:
        read_all(path, encoding="latin-1", expect_persian=False)
    assert e.value.reason == "encoding" and "Ã©" in e.value.message


def test_the_canadian_inventory_is_not_flagged(tmp_path):
    """1,752 rows of English and French. The file itself holds one garbled "MÃ©tis": noted, not fatal."""
    path = tmp_path / "si.csv"
    path.write_bytes(gzip.decompress(CANADA.read_bytes()))
    for expect_persian in (False, True):
        with open_table(path, expect_persian=expect_persian) as table:
            assert sum(1 for _ in table.rows) == 1752
            assert len(table.notes) == 1 and "MÃ©tis" in table.notes[0] and "published as written" in table.notes[0]


@pytest.mark.parametrize(
    "cell, expect_persian, flagged",
    [
        ("Ø³Ø§Ø²Ù…Ø§Ù†", False, True),  # UTF-8 سازمان read as cp1252
        ("ط³ط§ط²ظ…ط§ظ†", False, True),  # UTF-8 سازمان read as cp1256
        ("ÓÇÒãÇä ËÈÊ", True, True),  # cp1256 سازمان ثبت read as latin-1
        ("ÓÇÒãÇä ËÈÊ", False, False),  # ...is plausible Latin text when Persian is not expected
        ("УЗТгЗд ЛИК", True, True),  # cp1256 read as cp1251
        ("Crème brûlée à la française", True, False),
        ("São Paulo, Ærø, Øresund", True, False),
        ("موضوع«مربع» طلا، ظرف؛ عصر… غذا", True, False),  # ع/ط/ظ/غ before punctuation is Persian
        ("Température 25 °C, Â partir", False, False),  # looks like a signature, does not reverse
        ("صدور \ufffd ملی", True, True),
    ],
)
def test_guard_cells(cell, expect_persian, flagged):
    guard = MojibakeGuard("f.csv", expect_persian=expect_persian)
    guard.see_row(2, [cell, "S1"], ["name", "id"])
    assert (guard.problem() is not None) == flagged


def test_guard_message_names_file_row_column_and_what_to_do():
    guard = MojibakeGuard("post.csv", encoding="latin-1")
    guard.see_row(1, ["service_id", "name_fa"], ["service_id", "name_fa"])
    guard.see_row(7, ["S1", "ÓÇÒãÇä ËÈÊ"], ["service_id", "name_fa"])
    message = guard.problem()
    assert message.startswith("post.csv looks garbled")
    assert "row 7, column 'name_fa' reads 'ÓÇÒãÇä ËÈÊ'" in message
    assert "declare `encoding: cp1256`" in message and "UTF-8" in message


# --- malformed CSV (H13) ---------------------------------------------------------------------------------


def validate_services(tmp_path: Path, data: bytes) -> tuple[dict, list[dict]]:
    path, out = tmp_path / "services.csv", tmp_path / "out.csv"
    path.write_bytes(data)
    report = validate_file(path, "services", mapping=MappingOptions(agency_id="post"), out_csv=out)
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline=""))) if out.exists() else []
    return report.to_dict(), rows


def test_nul_bytes_are_removed_from_cells(tmp_path):
    report, rows = validate_services(tmp_path, "service_id,name_fa\nS\x001,صدور\x00 کارت\nS2,ثبت\n".encode())
    assert report["fatal_reason"] is None
    assert [(r["service_id"], r["name_fa"]) for r in rows] == [("S1", "صدور کارت"), ("S2", "ثبت")]


@pytest.mark.slow
def test_a_50_mb_field_does_not_crash(tmp_path):
    """A 50 MB cell in a column the standard does not use (frictionless' dialect sniffing makes this ~5 s)."""
    data = b"service_id,notes\nS1," + b"x" * (50 * 1024 * 1024) + b"\nS2,short\n"
    report, rows = validate_services(tmp_path, data)
    assert report["fatal_reason"] is None and report["rows_passed"] == 2
    assert [r["service_id"] for r in rows] == ["S1", "S2"]


def test_an_over_long_standard_field_is_a_row_problem(tmp_path):
    report, rows = validate_services(tmp_path, b"service_id,description\nS1," + b"x" * 6000 + b"\nS2,short\n")
    failed = report["errors"][0]  # the standard's description is at most 5,000 characters
    assert (failed["row_number"], failed["field"], failed["error_type"]) == (2, "description", "constraint-error")
    assert [r["service_id"] for r in rows] == ["S2"]


def test_a_field_over_the_csv_limit_is_a_clean_error(tmp_path):
    old = csv.field_size_limit(1000)
    try:
        report, _ = validate_services(tmp_path, b"service_id,description\nS1," + b"x" * 5000 + b"\n")
    finally:
        csv.field_size_limit(old)
    assert report["fatal_reason"] == "structure" and "field larger than field limit" in report["fatal_message"]


def test_mixed_line_endings(tmp_path):
    report, rows = validate_services(tmp_path, b"service_id,name_en\r\nS1,One\rS2,Two\nS3,Three\r\n")
    assert report["fatal_reason"] is None
    assert [(r["service_id"], r["name_en"]) for r in rows] == [("S1", "One"), ("S2", "Two"), ("S3", "Three")]


def test_duplicate_and_blank_headers_are_renamed_never_merged(tmp_path):
    report, rows = validate_services(tmp_path, "service_id,name_fa,name_fa,,x\nS1,اول,دوم,سوم,4\n".encode())
    assert report["fatal_reason"] is None
    assert rows[0]["name_fa"] == "اول"  # the first column of the name is the one matched
    assert {"name_fa (2)", "column 4"} <= set(report["unused_columns"])
    problems = " | ".join(report["header_problems"])
    assert "column 3: the name 'name_fa' is duplicated" in problems and "read as 'name_fa (2)'" in problems
    assert "column 4: the name is blank" in problems


def test_renamed_headers_do_not_collide_with_real_ones():
    labels, _ = _labels(["a", "a", "a (2)", "", "column 4"])
    assert labels == ["a", "a (3)", "a (2)", "column 4 (2)", "column 4"]
    assert len(set(labels)) == len(labels)


@pytest.mark.parametrize(
    "data",
    [
        b'service_id,name_en\nS1,"One\nS2,Two\nS3,Three\n',  # opened mid-file, never closed
        b'service_id,name_en\nS1,One\nS2,"Two',  # opened on the last line, no newline
    ],
)
def test_an_unterminated_quote_is_refused(tmp_path, data):
    report, _ = validate_services(tmp_path, data)
    assert report["fatal_reason"] == "structure" and "never closed" in report["fatal_message"]


def test_a_closed_multiline_quote_is_fine(tmp_path):
    report, rows = validate_services(tmp_path, b'service_id,description\nS1,"line one\nline two"\nS2,"say ""hi"""\n')
    assert report["fatal_reason"] is None
    assert [r["description"] for r in rows] == ["line one\nline two", 'say "hi"']


def test_ragged_rows_are_row_problems(tmp_path):
    report, rows = validate_services(tmp_path, b"service_id,name_en\nS1,One,extra\nS2\nS3,Three\n")
    assert report["fatal_reason"] is None and [r["service_id"] for r in rows] == ["S3"]
    assert report["error_counts"] == {"extra-cell": 1, "missing-cell": 1}


def test_an_empty_header_row_is_a_clean_error(tmp_path):
    report, _ = validate_services(tmp_path, b"\n\nservice_id,name_en\nS1,One\n")
    assert report["fatal_reason"] == "structure" and "first row" in report["fatal_message"]


# --- the real Iranian COVID-19 file: two-digit Jalali years -----------------------------------------------


def covid_rows() -> list[dict[str, str]]:
    with COVID.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_covid_dates_are_refused_without_a_pivot():
    with pytest.raises(PeriodError, match="two-digit year.*year_pivot"):
        parse_date("98/11/30", calendar="jalali")


def test_covid_dates_are_read_right_with_a_pivot():
    """Every row's Persian_Date, read with year_pivot, is the file's own Gregorian_Date (written M/D/YY)."""
    rows = covid_rows()
    assert len(rows) == 440 and rows[0]["Persian_Date"] == "98/11/30"
    assert parse_date("98/11/30", calendar="jalali", pivot=50) == dt.date(2020, 2, 19)
    for row in rows:
        expected = dt.datetime.strptime(row["Gregorian_Date"], "%m/%d/%y").date()
        assert parse_date(row["Persian_Date"], calendar="jalali", pivot=50) == expected, row["Persian_Date"]


COVID_UNPIVOT = Unpivot(
    field="indicator", value="actual", columns={"New_Cases": "new_cases", "New_Deaths": "new_deaths"}
)


def test_covid_file_end_to_end_needs_the_pivot(tmp_path):
    report = validate_file(
        COVID,
        "targets",
        mapping=MappingOptions(
            agency_id="health", fields={"period": "Persian_Date"}, calendar="jalali", unpivot=COVID_UNPIVOT
        ),
    )
    assert report.rows_read == 440 and report.rows_passed == 0
    assert report.rows_failed == 440 and set(report.error_counts) == {"period-error"}
    assert "write the year in full" in report.errors[0].message


def test_covid_file_end_to_end_with_the_pivot(tmp_path):
    out = tmp_path / "targets.csv"
    report = validate_file(
        COVID,
        "targets",
        mapping=MappingOptions(
            agency_id="health",
            fields={"period": "Persian_Date"},
            calendar="jalali",
            year_pivot=50,
            unpivot=COVID_UNPIVOT,
        ),
        out_csv=out,
    )
    # 440 rows of the file, each unpivoted into two published rows
    assert report.fatal_reason is None and (report.rows_passed, report.rows_staged) == (440, 880), report.to_dict()
    gregorian = {
        r["Persian_Date"]: dt.datetime.strptime(r["Gregorian_Date"], "%m/%d/%y").date().isoformat()
        for r in covid_rows()
    }
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert len(rows) == 880
    for row in rows:
        assert row["period_start"] == row["period_end"] == gregorian[row["period_label"]]


@pytest.mark.parametrize(
    "data",
    [b"\xef\xbb\xbf", b"\xff\xfe", b"\r\n\r\n", b"  ,, \n"],
    ids=["utf-8-bom", "utf-16-bom", "blank-lines", "separators"],
)
def test_a_file_of_nothing_but_a_bom_or_blanks_is_empty(tmp_path, data):
    report, _ = validate_services(tmp_path, data)
    assert report["fatal_reason"] == "empty" and "holds no data" in report["fatal_message"]
