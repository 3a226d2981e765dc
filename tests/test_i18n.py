"""Shafaf's words: one gettext catalogue for pages, reports and the CLI, complete, compiled, never applied to harvested text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from shafaf.core import catalogue
from shafaf.datasette_plugins import i18n, language

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "shafaf"
PLUGIN = PACKAGE / "datasette_plugins"
PO = PACKAGE / "core" / "locale" / "fa" / "LC_MESSAGES" / "shafaf.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# The keywords of scripts/update_catalog.sh (``-k N_ -k N_n:1,2 -k Phrase -k say:2 -k say_n:2,3``).
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "N_n": (1, 2), "Phrase": None, "say": (2,), "say_n": (2, 3)}


def extracted_ids() -> set[str]:
    """What ``pybabel extract -F babel.cfg`` with the script's keywords finds, read the same way."""
    method_map = [("**.py", "python"), ("datasette_plugins/templates/**.html", "jinja2")]
    options = {"datasette_plugins/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    ids: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(PACKAGE, method_map, options, keywords=KEYWORDS):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_babel_cfg_and_the_script_extract_what_the_test_extracts() -> None:
    assert "[python: shafaf/**.py]" in (ROOT / "babel.cfg").read_text(encoding="utf-8")
    script = (ROOT / "scripts" / "update_catalog.sh").read_text(encoding="utf-8")
    assert "-k N_ -k N_n:1,2 -k Phrase -k say:2 -k say_n:2,3" in script and "pybabel compile" in script


def catalog() -> dict[str, object]:
    with PO.open("rb") as f:
        return {(m.id if isinstance(m.id, str) else m.id[0]): m for m in read_po(f, locale="fa") if m.id}


def test_every_string_of_the_pages_has_a_persian_translation() -> None:
    ids = extracted_ids()
    assert len(ids) > 100
    messages = catalog()
    missing = sorted(ids - set(messages))
    assert not missing, f"not in fa/LC_MESSAGES/shafaf.po (see docs/translating.md): {missing}"
    untranslated = sorted(i for i in ids if not messages[i].string or messages[i].fuzzy)
    assert not untranslated, untranslated


def test_catalogue_has_no_stale_strings() -> None:
    stale = sorted(set(catalog()) - extracted_ids())
    assert not stale, f"in the catalogue but no longer used: {stale}"


def test_the_compiled_catalogue_is_current() -> None:
    """The ``.mo`` the portal reads says what the ``.po`` says (run scripts/update_catalog.sh after editing)."""
    with PO.with_suffix(".mo").open("rb") as f:
        compiled = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_mo(f) if m.id}
    compiled = {k: tuple(v) if isinstance(v, (list, tuple)) else v for k, v in compiled.items()}
    source = {
        i: tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string
        for i, m in catalog().items()
        if not m.fuzzy
    }
    assert compiled == source, "shafaf.mo is older than shafaf.po: run bash scripts/update_catalog.sh"


def test_the_catalogue_ships_in_the_package_beside_its_reader() -> None:
    assert catalogue.LOCALE_DIR == PACKAGE / "core" / "locale"
    assert catalogue.say("fa", "row %(row)s", row=catalogue.number(12, "fa")) == "سطر ۱۲"
    assert (
        catalogue.say_n(
            "en",
            "%(n)s file checked: %(valid)s valid, %(invalid)s invalid",
            "%(n)s files checked: %(valid)s valid, %(invalid)s invalid",
            1,
            valid=1,
            invalid=0,
        )
        == "1 file checked: 1 valid, 0 invalid"
    )


def test_placeholders_survive_translation() -> None:
    for message in catalog().values():
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for string in strings:
            assert sorted(PLACEHOLDER.findall(ids[0])) == sorted(PLACEHOLDER.findall(string)), message.id


def test_persian_strings_come_from_the_catalogue_and_english_are_the_ids() -> None:
    assert i18n.gettext("Data quality", "fa") == "کیفیت داده"
    assert i18n.gettext("Data quality", "en") == "Data quality"
    assert i18n.outcome_label("needs_review", "fa") == "نیازمند بررسی"
    assert i18n.outcome_label("made-up", "fa") == "made-up"  # unknown outcomes are shown as stored
    assert i18n.channel_label("in_person", "en") == "in person"


def test_templates_translate_only_literal_strings_and_never_mark_text_safe() -> None:
    for template in (PLUGIN / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"\b_\(\s*(.)", text):
            assert match.group(1) in "\"'", f"{template.name}: _() of something that is not a literal string"
        assert "|safe" not in text.replace(" ", ""), template.name
        assert "autoescape false" not in text, template.name


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ("2026-11-23", "fa", ("۲ آذر ۱۴۰۵", "۲۳ نوامبر ۲۰۲۶")),
        ("2026-11-23T10:15:00+00:00", "en", ("23 Nov 2026", "2 Azar 1405")),
        ("not a date", "fa", None),
        (None, "en", None),
    ],
)
def test_dates_show_both_calendars_page_calendar_first(value: object, lang: str, expected: object) -> None:
    assert i18n.date_pair(value, lang) == expected


def test_month_labels_on_persian_pages_are_jalali() -> None:
    assert i18n.month_label("2026-11-01", "en") == "Nov 2026"
    assert i18n.month_label("2024-11-01", "fa") == "آبان ۱۴۰۳"  # a Gregorian month: the Jalali month of its middle
    assert i18n.other_month_label("2024-11-01", "fa") == "نوامبر ۲۰۲۴"  # ... and its Gregorian name for a tooltip
    assert i18n.month_label("2026-11-22", "fa") == "آذر ۱۴۰۵"  # 1 Azar 1405: a Jalali month
    assert i18n.calendar_month("2024-11", "fa") == "آبان ۱۴۰۳"
    assert i18n.calendar_month("2024-11", "en") == "Nov 2024"


def test_consecutive_gregorian_months_get_consecutive_jalali_names() -> None:
    """No two rows of a monthly table share a Persian name, and none is skipped (1990–2044)."""
    import datetime as dt

    names = [i18n.jalali_month_of(dt.date(y, m, 1)) for y in range(1990, 2045) for m in range(1, 13)]
    assert all((b[0] * 12 + b[1]) - (a[0] * 12 + a[1]) == 1 for a, b in zip(names, names[1:]))
    assert i18n.fiscal_year_label("2026-11-23", "fa") == "۱۴۰۵"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"", (b"", None)),
        (b"lang=en", (b"", "en")),
        (b"agency_id=tax&lang=en&_sort=id", (b"agency_id=tax&_sort=id", "en")),
        (b"lang=xx&q=1", (b"q=1", None)),  # unknown language: removed, not chosen
        (b"%6Cang=en", (b"", "en")),
        (b"language=en", (b"language=en", None)),
        (b"q=%D8%B3&lang=fa", (b"q=%D8%B3", "fa")),  # other bytes stay as they came
    ],
)
def test_split_language(query: bytes, expected: tuple[bytes, str | None]) -> None:
    assert language.split_language(query) == expected


@pytest.mark.parametrize(
    ("cron", "lang", "expected"),
    [
        ("0 2 * * *", "fa", "هر روز ساعت ۰۲:۰۰"),
        ("0 2 * * *", "en", "every day at 02:00"),
        ("30 6 * * 6", "en", "every Saturday at 06:30"),
        ("15 * * * *", "en", "every hour at minute 15"),
        ("0 3 1 * *", "en", "day 1 of each Gregorian month at 03:00"),
        ("*/5 2 * * *", "en", None),  # not a common shape: shown as code
        ("0 2 * 1-6 *", "en", None),
    ],
)
def test_common_cron_schedules_are_said_in_words(cron: str, lang: str, expected: str | None) -> None:
    from shafaf.datasette_plugins.cron_words import cron_words

    assert cron_words(cron, lang) == expected
