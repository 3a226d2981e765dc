"""Every normalization rule, value by value: digits, separators, letters, invisible marks, search form, periods."""

from __future__ import annotations

import datetime as dt

import pytest

from shafaf.normalize import (
    PeriodError,
    clean_code,
    clean_text,
    fold_digits,
    number_text,
    parse_date,
    parse_period,
    search_form,
    unify_letters,
)
from shafaf.normalize.text import INVISIBLES, SEARCH_FOLDS
from shafaf.validate.mapping import MappingOptions, normalize_cell

D = dt.date
ZWNJ, ZWJ, ZWSP, LRM, RLM, ALM, BOM = "\u200c", "\u200d", "\u200b", "\u200e", "\u200f", "\u061c", "\ufeff"
LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI = (
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
)


# --- digits and separators ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("۱۲۳۴۵۶۷۸۹۰", "1234567890"),  # Persian digits
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),  # Arabic-Indic digits
        ("۸۵٫۵", "85.5"),  # Arabic decimal separator
        ("۱٬۲۳۴", "1,234"),  # Arabic thousands separator
        ("٣٫١٤", "3.14"),
        ("۱۴۰۲-۰۷", "1402-07"),
        ("S-۰۱", "S-01"),
        ("abc 12", "abc 12"),  # ASCII untouched
        ("کارت", "کارت"),  # letters untouched
    ],
)
def test_fold_digits(raw, expected):
    assert fold_digits(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1234", "1234"),
        ("1,234", "1234"),  # ASCII thousands separator
        ("1,234,567.5", "1234567.5"),
        ("-1,234", "-1234"),
        ("۱٬۲۳۴", "1234"),  # Arabic thousands separator
        ("۱٬۲۳۴٫۵", "1234.5"),  # and decimal separator
        ("٨٥٫٥", "85.5"),
        ("1 234", "1234"),  # space as a thousands separator
        ("1\u00a0234", "1234"),  # no-break space
        ("1\u202f234", "1234"),  # narrow no-break space
        (" 12 ", "12"),
        (f"{RLM}۱۲۳{LRM}", "123"),  # bidi marks around a number
        (f"۱۲{ZWNJ}۳", "123"),
        (f"{BOM}42", "42"),
        ("1,5", "1,5"),  # not grouped by three: left to fail as a number, never read as 15
        ("12,34", "12,34"),
        ("1,2345", "1,2345"),
        ("85%", "85%"),
    ],
)
def test_number_text(raw, expected):
    assert number_text(raw) == expected


# --- letters -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("كارت ملي", "کارت ملی"),  # Arabic kaf and yeh
        ("يك", "یک"),
        ("تهـــران", "تهران"),  # tatweel
        ("کارت‌ملی", "کارت‌ملی"),  # ZWNJ is not unify_letters' business
        ("مدرسة", "مدرسة"),  # teh marbuta kept in stored text
        ("آب", "آب"),  # alef madda kept
        ("خانۀ", "خانۀ"),  # heh with yeh above kept
        ("پائیز", "پائیز"),  # yeh with hamza kept
        ("ABC", "ABC"),
    ],
)
def test_unify_letters(raw, expected):
    assert unify_letters(raw) == expected


# --- invisible characters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        (f"کتاب{ZWNJ}ها", f"کتاب{ZWNJ}ها"),  # between two letters: kept
        (f"می{ZWNJ}شود", f"می{ZWNJ}شود"),
        (f"{ZWNJ}کتاب", "کتاب"),  # at the start of a word
        (f"کتاب{ZWNJ}", "کتاب"),  # at the end
        (f"کتاب{ZWNJ} ها", "کتاب ها"),  # before a space
        (f"کتاب {ZWNJ}ها", "کتاب ها"),  # after a space
        (f"کتاب{ZWNJ}{ZWNJ}ها", f"کتاب{ZWNJ}ها"),  # doubled: one kept
        (f"۱۲{ZWNJ}۳", "۱۲۳"),  # between digits
        (f"کتابً{ZWNJ}ها", f"کتابً{ZWNJ}ها"),  # after a letter with a vowel mark
        (f"{ZWJ}کارت", "کارت"),
        (f"{ZWSP}کارت", "کارت"),
        (f"{RLM}کارت ملی{LRM}", "کارت ملی"),
        (f"{ALM}کارت", "کارت"),
        (f"{BOM}کارت", "کارت"),
        (f"{RLE}کارت{PDF}", "کارت"),
        (f"{LRE}abc{PDF}", "abc"),
        (f"{RLO}abc{PDF}", "abc"),
        (f"{LRO}abc{PDF}", "abc"),
        (f"{LRI}abc{PDI}", "abc"),
        (f"{RLI}کارت{PDI}", "کارت"),
        (f"{FSI}کارت{PDI}", "کارت"),
        ("x\x00y", "xy"),  # NUL
        ("a\tb\nc", "a\tb\nc"),  # tab and line breaks are text
        ("plain", "plain"),
    ],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        (f"S{ZWNJ}12", "S12"),  # every ZWNJ goes from a code
        (f"{RLM}S-12{LRM}", "S-12"),
        (f"{BOM}S-12", "S-12"),
        (f"{LRI}۱۲۳{PDI}", "۱۲۳"),  # digits are folded by the caller, not here
        (f" {ALM}12 ", "12"),
        (f"A{ZWSP}B{ZWJ}C", "ABC"),
        ("x\x00y\x1f", "xy"),
        ("S-12", "S-12"),
    ],
)
def test_clean_code(raw, expected):
    assert clean_code(raw) == expected


@pytest.mark.parametrize("char", [c for c, _ in INVISIBLES])
def test_every_invisible_leaves_codes(char):
    assert clean_code(f"A{char}1") == "A1"


# --- normalize_cell, the one place cells are normalized per field type -----------------------------


@pytest.mark.parametrize(
    "raw, field_type, is_code, expected",
    [
        ("  صدور گواهی  ", "string", False, "صدور گواهی"),
        (f"{RLM}كارت ملي{ZWNJ}", "string", False, "کارت ملی"),  # stored as written after letter unification
        (f"کارت{ZWNJ}های ملی", "string", False, f"کارت{ZWNJ}های ملی"),
        ("کارت ۱۲", "string", False, "کارت ۱۲"),  # digits in text stay as written
        ("تهـــران", "string", False, "تهران"),
        (f"S{ZWNJ}۱۲", "string", True, "S12"),  # a code: invisible marks gone, digits folded
        (f"{LRM}SRV-۰۰۷{RLM}", "string", True, "SRV-007"),
        ("۱٬۲۳۴", "integer", False, "1234"),
        ("1,234", "integer", False, "1234"),
        (f"{RLM}۱٬۲۳۴{LRM}", "integer", False, "1234"),
        ("۸۵٫۵", "number", False, "85.5"),
        ("1 234", "integer", False, "1234"),
        ("1,5", "number", False, "1,5"),
        (f"{LRM}۱۴۰۲/۰۷/۱۵", "date", False, "1402/07/15"),
        ("بله", "boolean", False, "بله"),
        (" yes ", "boolean", False, "yes"),
        ("", "integer", False, ""),
    ],
)
def test_normalize_cell(raw, field_type, is_code, expected):
    assert normalize_cell(raw, field_type, is_code=is_code) == expected


# --- search form --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        (f"كتاب{ZWNJ}ها", "کتاب ها"),  # the example: Arabic kaf, ZWNJ vs space
        ("کتاب   ها", "کتاب ها"),  # whitespace collapsed
        ("پائیز", "پاییز"),  # yeh with hamza
        ("مدرسة", "مدرسه"),  # teh marbuta
        ("خانۀ", "خانه"),  # heh with yeh above
        ("آب", "اب"),  # alef madda
        ("أحمد", "احمد"),  # alef with hamza above
        ("إسلام", "اسلام"),  # alef with hamza below
        ("مؤسسه", "موسسه"),  # waw with hamza
        ("مُدیر", "مدیر"),  # damma removed
        ("کتابً", "کتاب"),  # tanween removed
        ("علّت", "علت"),  # shadda removed
        ("موسى", "موسی"),  # alef maksura
        ("ﻛﺘﺎﺏ", "کتاب"),  # Arabic presentation forms (NFKC)
        ("تهـــران", "تهران"),
        ("سال ۱۴۰۲", "سال 1402"),  # digits folded
        ("٪۵۰", "%50"),
        (f"{RLM}Tax Office{LRM}", "tax office"),  # casefolded
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
    ],
)
def test_search_form_makes_variants_equal(a, b):
    assert search_form(a) == search_form(b)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (f"كتاب{ZWNJ}ها", "کتاب ها"),
        (f"  {RLM}صدور   گواهی{LRM} ", "صدور گواهی"),
        ("Passport  RENEWAL", "passport renewal"),
        ("", ""),
    ],
)
def test_search_form_values(raw, expected):
    assert search_form(raw) == expected


@pytest.mark.parametrize("a, b", [("کتاب", "کباب"), ("مهر", "مهره")])
def test_search_form_keeps_different_words_different(a, b):
    assert search_form(a) != search_form(b)


@pytest.mark.parametrize("char, replacement", [(c, r) for c, r, _ in SEARCH_FOLDS])
def test_every_search_fold_applies(char, replacement):
    assert search_form(f"ب{char}ب") == " ".join(f"ب{replacement}ب".split()).casefold()


# --- periods ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label, calendar, pivot, start, end",
    [
        # days
        ("1402/07/15", None, None, D(2023, 10, 7), D(2023, 10, 7)),
        ("۱۴۰۲-۰۷-۱۵", None, None, D(2023, 10, 7), D(2023, 10, 7)),
        ("1402.7.15", None, None, D(2023, 10, 7), D(2023, 10, 7)),
        ("1402/07/15 10:30", None, None, D(2023, 10, 7), D(2023, 10, 7)),
        (f"{RLM}۱۴۰۲/۰۷/۱۵{LRM}", None, None, D(2023, 10, 7), D(2023, 10, 7)),
        ("2024-03-05", None, None, D(2024, 3, 5), D(2024, 3, 5)),
        ("1403/12/30", None, None, D(2025, 3, 20), D(2025, 3, 20)),  # leap Esfand
        # Gregorian months
        ("2024-02", None, None, D(2024, 2, 1), D(2024, 2, 29)),
        ("2023/11", None, None, D(2023, 11, 1), D(2023, 11, 30)),
        ("March 2024", None, None, D(2024, 3, 1), D(2024, 3, 31)),
        ("Sept 2023", None, None, D(2023, 9, 1), D(2023, 9, 30)),
        # Jalali months
        ("1402-07", None, None, D(2023, 9, 23), D(2023, 10, 22)),  # the Jalali-month trap: never 1402 AD
        ("۱۴۰۲-۰۷", None, None, D(2023, 9, 23), D(2023, 10, 22)),
        ("1402/7", "jalali", None, D(2023, 9, 23), D(2023, 10, 22)),
        ("1402-01", None, None, D(2023, 3, 21), D(2023, 4, 20)),
        ("1402-12", None, None, D(2024, 2, 20), D(2024, 3, 19)),  # common Esfand: 29 days
        ("1403-12", None, None, D(2025, 2, 19), D(2025, 3, 20)),  # leap Esfand: 30 days
        ("مهر ۱۴۰۲", None, None, D(2023, 9, 23), D(2023, 10, 22)),
        ("مهر ماه ۱۴۰۲", None, None, D(2023, 9, 23), D(2023, 10, 22)),
        ("۱۴۰۲ مهر", None, None, D(2023, 9, 23), D(2023, 10, 22)),
        ("ارديبهشت 1402", None, None, D(2023, 4, 21), D(2023, 5, 21)),  # Arabic yeh in the name
        ("اسفند ۱۴۰۳", None, None, D(2025, 2, 19), D(2025, 3, 20)),
        # quarters
        ("2024-Q1", None, None, D(2024, 1, 1), D(2024, 3, 31)),
        ("2024 Q4", None, None, D(2024, 10, 1), D(2024, 12, 31)),
        ("Q2 2024", None, None, D(2024, 4, 1), D(2024, 6, 30)),
        ("1402-Q1", None, None, D(2023, 3, 21), D(2023, 6, 21)),  # Jalali quarter
        ("1402Q2", None, None, D(2023, 6, 22), D(2023, 9, 22)),
        ("1403-Q4", None, None, D(2024, 12, 21), D(2025, 3, 20)),
        ("فصل دوم ۱۴۰۲", None, None, D(2023, 6, 22), D(2023, 9, 22)),
        (f"سه{ZWNJ}ماهه سوم ۱۴۰۲", None, None, D(2023, 9, 23), D(2023, 12, 21)),
        ("سه ماهه ۴ ۱۴۰۲", None, None, D(2023, 12, 22), D(2024, 3, 19)),
        ("بهار ۱۴۰۲", None, None, D(2023, 3, 21), D(2023, 6, 21)),
        ("پاییز ۱۴۰۲", None, None, D(2023, 9, 23), D(2023, 12, 21)),
        ("زمستان ۱۴۰۳", None, None, D(2024, 12, 21), D(2025, 3, 20)),
        # years and fiscal years
        ("1402", None, None, D(2023, 3, 21), D(2024, 3, 19)),  # Iranian fiscal year = Jalali year
        ("۱۴۰۳", None, None, D(2024, 3, 20), D(2025, 3, 20)),
        ("سال ۱۴۰۲", None, None, D(2023, 3, 21), D(2024, 3, 19)),
        ("سال مالی ۱۴۰۲", "jalali", None, D(2023, 3, 21), D(2024, 3, 19)),
        ("2024", "gregorian", None, D(2024, 1, 1), D(2024, 12, 31)),
        ("2024", None, None, D(2024, 1, 1), D(2024, 12, 31)),
        ("2023-2024", None, None, D(2023, 4, 1), D(2024, 3, 31)),  # Canada-style fiscal year
        ("2023/2024", None, None, D(2023, 4, 1), D(2024, 3, 31)),
        ("2023–2024", None, None, D(2023, 4, 1), D(2024, 3, 31)),  # en dash
        # two-digit years with a pivot (year first, as Persian dates are written)
        ("98/11/30", "jalali", 50, D(2020, 2, 19), D(2020, 2, 19)),
        ("۹۸/۱۱/۳۰", "jalali", 50, D(2020, 2, 19), D(2020, 2, 19)),
        ("00/02/13", "jalali", 50, D(2021, 5, 3), D(2021, 5, 3)),  # below the pivot: 1400
        ("98/11", "jalali", 50, D(2020, 1, 21), D(2020, 2, 19)),
        ("98-11", "jalali", 50, D(2020, 1, 21), D(2020, 2, 19)),
        ("مهر ۹۸", "jalali", 50, D(2019, 9, 23), D(2019, 10, 22)),
        ("98/11/30", "gregorian", 50, D(1998, 11, 30), D(1998, 11, 30)),  # 98 cannot be a day or month
        ("20-02", "gregorian", 50, D(2020, 2, 1), D(2020, 2, 29)),  # 20 cannot be a month
        ("98-Q1", "jalali", 50, D(2019, 3, 21), D(2019, 6, 21)),
    ],
)
def test_parse_period(label, calendar, pivot, start, end):
    period = parse_period(label, calendar=calendar, pivot=pivot)
    # The label is kept as written, cleaned like any text (stray marks out, Arabic yeh/kaf unified).
    assert (period.start, period.end, period.label) == (start, end, clean_text(unify_letters(label)).strip())


@pytest.mark.parametrize(
    "label, calendar, pivot, message",
    [
        ("98/11/30", None, None, "two-digit year; write the year in full"),
        ("98/11/30", None, None, "year_pivot"),
        ("98/11", "jalali", None, "two-digit year"),
        ("98/11/30", None, 50, "not calendar"),  # a pivot needs the calendar
        ("2/19/20", "gregorian", 50, "month/day/year"),  # US M/D/YY is never guessed
        ("2/19/20", None, None, "month/day/year"),
        ("12/31/2020", "gregorian", None, "YYYY-MM-DD"),
        ("19/02/2020", None, None, "day/month/year"),
        ("20/02/19", "gregorian", 50, "may be month/day/year"),  # 20 could be a day: ambiguous
        ("11-12", "gregorian", 50, "month/year or year/month"),
        ("12", None, None, "two-digit number"),
        ("98", "jalali", 50, "two-digit number"),
        ("1402-07", "gregorian", None, "looks jalali but the source's calendar is gregorian"),
        ("2024-03", "jalali", None, "looks gregorian but the source's calendar is jalali"),
        ("1700", None, None, "neither a Jalali"),
        ("1402-13", None, None, "not between 1 and 12"),
        ("1402/12/30", None, None, "not a valid jalali date"),  # 1402 is not leap
        ("2023-02-29", None, None, "not a valid gregorian date"),
        ("مهر 2023", None, None, "not a jalali year"),
        ("March 1402", None, None, "not a gregorian year"),
        ("بهار 2024", None, None, "not a jalali year"),
        ("2023-2025", None, None, "not a fiscal year"),
        ("1402-1403", None, None, "not a fiscal year"),
        ("سال مالی 2024", None, None, "Gregorian fiscal year is written like 2023-2024"),
        ("next month", None, None, "not a period"),
        ("", None, None, "empty"),
        ("   ", None, None, "empty"),
    ],
)
def test_parse_period_refuses_to_guess(label, calendar, pivot, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(label, calendar=calendar, pivot=pivot)


def test_period_label_is_cleaned_like_text():
    assert parse_period(f"{RLM}ارديبهشت ۱۴۰۲{LRM}").label == "اردیبهشت ۱۴۰۲"
    assert parse_period(" ۱۴۰۲-۰۷ ").label == "۱۴۰۲-۰۷"  # digits as written


@pytest.mark.parametrize(
    "text, calendar, pivot, expected",
    [
        ("1402/07/15", None, None, D(2023, 10, 7)),
        ("۱۴۰۲-۰۷-۱۵", None, None, D(2023, 10, 7)),
        ("1402-07-15", None, None, D(2023, 10, 7)),  # ISO-shaped but Jalali by its range
        ("2024-03-05", None, None, D(2024, 3, 5)),
        ("2024-03-05T10:30:00", None, None, D(2024, 3, 5)),  # an Excel datetime cell
        ("98/11/30", "jalali", 50, D(2020, 2, 19)),
        ("99/12/30", "jalali", 50, D(2021, 3, 20)),  # 1399 is leap
    ],
)
def test_parse_date(text, calendar, pivot, expected):
    assert parse_date(text, calendar=calendar, pivot=pivot) == expected


@pytest.mark.parametrize(
    "text, calendar, pivot, message",
    [
        ("1402-07", None, None, "not a date"),  # a month is not a day
        ("98/11/30", None, None, "write the year in full"),
        ("2/19/20", "gregorian", 50, "month/day/year"),
        ("1402/07/15", "gregorian", None, "looks jalali"),
        ("yesterday", None, None, "not a date"),
    ],
)
def test_parse_date_refuses_to_guess(text, calendar, pivot, message):
    with pytest.raises(PeriodError, match=message):
        parse_date(text, calendar=calendar, pivot=pivot)


@pytest.mark.parametrize("year", range(1395, 1411))
def test_jalali_years_tile_without_gaps(year):
    """Each Jalali year starts the day after the previous one ends, and its quarters tile it."""
    this, following = parse_period(str(year)), parse_period(str(year + 1))
    assert following.start - this.end == dt.timedelta(days=1)
    quarters = [parse_period(f"{year}-Q{q}") for q in range(1, 5)]
    assert quarters[0].start == this.start and quarters[-1].end == this.end
    assert all(b.start - a.end == dt.timedelta(days=1) for a, b in zip(quarters, quarters[1:]))
    months = [parse_period(f"{year}-{m:02d}") for m in range(1, 13)]
    assert sum((m.end - m.start).days + 1 for m in months) == (this.end - this.start).days + 1


# --- end to end through validate_file: the Jalali-month trap -----------------------------------------------


def test_jalali_month_trap_end_to_end(tmp_path):
    """frictionless alone would take ۱۴۰۲-۰۷ as the yearmonth 1402-07 AD; mapped, it is Mehr 1402."""
    import csv

    from shafaf.validate.engine import validate_file

    path, out = tmp_path / "service_performance.csv", tmp_path / "out.csv"
    path.write_text(
        "service_id,period,channel,applications\n"
        "S1,۱۴۰۲-۰۷,online,۱٬۲۳۴\n"
        "S1,1402-08,in_person,10\n"
        f"S1,{RLM}مهر ۱۴۰۲{LRM},phone,5\n"
        "S1,2024-03,kiosk,7\n",
        encoding="utf-8",
    )
    report = validate_file(path, "service_performance", mapping=MappingOptions(agency_id="post"), out_csv=out)
    assert report.valid, report.to_dict()
    rows = [
        (r["period_start"], r["period_end"], r["period_label"], r["applications"])
        for r in csv.DictReader(out.open(encoding="utf-8", newline=""))
    ]
    assert rows == [
        ("2023-09-23", "2023-10-22", "۱۴۰۲-۰۷", "1234"),
        ("2023-10-23", "2023-11-21", "1402-08", "10"),
        ("2023-09-23", "2023-10-22", "مهر ۱۴۰۲", "5"),  # stray bidi marks are not kept in the label
        ("2024-03-01", "2024-03-31", "2024-03", "7"),
    ]
    assert not any(start.startswith("1402") for start, *_ in rows)


def test_a_jalali_month_in_a_date_column_is_an_error_not_year_1402(tmp_path):
    from shafaf.validate.engine import validate_file

    path = tmp_path / "service_performance.csv"
    path.write_text(
        "service_id,period_start,period_end,channel\n"
        "S1,1402-07,1402-07,online\n"  # a month where a day is required
        "S2,۱۴۰۲-۰۷-۰۱,۱۴۰۲-۰۷-۳۰,online\n",  # Jalali days: read as such
        encoding="utf-8",
    )
    report = validate_file(path, "service_performance", mapping=MappingOptions(agency_id="post"))
    assert report.rows_failed == 1 and report.rows_passed == 1
    assert {(e.row_number, e.field, e.error_type) for e in report.errors} == {
        (2, "period_start", "date-error"),
        (2, "period_end", "date-error"),
    }


def test_two_digit_periods_follow_the_source_pivot_end_to_end(tmp_path):
    from shafaf.validate.engine import validate_file

    path = tmp_path / "service_performance.csv"
    path.write_text("service_id,period,channel\nS1,98/11,online\nS1,00/01,online\n", encoding="utf-8")
    refused = validate_file(path, "service_performance", mapping=MappingOptions(agency_id="post", calendar="jalali"))
    assert refused.rows_failed == 2 and "year_pivot" in refused.errors[0].message
    read = validate_file(
        path, "service_performance", mapping=MappingOptions(agency_id="post", calendar="jalali", year_pivot=50)
    )
    assert read.valid and read.rows_passed == 2
