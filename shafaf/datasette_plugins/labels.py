"""The words pages show for the codes the standard and agencies store (``in_progress``, ``citizens``, ``days``).

A code is never printed on a page as stored (issue 18): it is shown through
its label here, in the page language. A code the portal has no word for (a
target an agency named itself) is returned as None, and the template prints
it as code (``<code dir="ltr">``), marked as what it is rather than passed
off as a word. The labels are gettext msgids like every other word of the
pages (``docs/translating.md``).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup, escape

from shafaf import standard
from shafaf.core.models import Reason
from shafaf.datasette_plugins import cell_values, column_notes, i18n
from shafaf.datasette_plugins.i18n import N_
from shafaf.standard.indicator_defs import BY_NAME

# activities.status and activities.kind (the standard's enums).
ACTIVITY_STATUS: dict[str, str] = {
    "planned": N_("planned"),
    "in_progress": N_("in progress"),
    "completed": N_("completed"),
    "cancelled": N_("cancelled"),
}
ACTIVITY_KIND: dict[str, str] = {
    "programme": N_("programme"),
    "project": N_("project"),
    "regulation": N_("regulation"),
    "other": N_("other"),
}
# services.audience.
AUDIENCE: dict[str, str] = {
    "citizens": N_("citizens"),
    "businesses": N_("businesses"),
    "government": N_("government agencies"),
    "foreign_nationals": N_("foreign nationals"),
}
# targets.unit and the indicators' units: what a figure counts.
UNITS: dict[str, str] = {
    "percent": N_("percent"),
    "share": N_("percent"),
    "days": N_("days"),
    "day": N_("days"),
    "services": N_("services"),
    "applications": N_("applications"),
    "per_1000_applications": N_("per 1,000 applications"),
    "rial": N_("rials"),
    "rials": N_("rials"),
    "months": N_("months"),
    "score": N_("points of 100"),
    "rows": N_("rows"),
}
# Target names agencies use (standard/targets.KNOWN_TARGETS and the demo's), in words.
TARGETS: dict[str, str] = {
    "smart_services_share": N_("Share of smart services"),
    "share_smart": N_("Share of smart services"),
    "smart_share": N_("Share of smart services"),
    "smart_services": N_("Share of smart services"),
    "digital_uptake": N_("Digital uptake"),
    "digital_takeup": N_("Digital uptake"),
    "online_share": N_("Share of applications made online"),
    "e_prescription_share": N_("Share of electronic prescriptions"),
    "on_time_delivery": N_("Share delivered on time"),
    "gsb_connected_services": N_("Services connected to the Government Service Bus"),
    "national_portal_services": N_("Services on the national portal"),
    "fully_online_services": N_("Fully online services"),
    "complaints": N_("Complaints"),
    "complaints_per_1000": N_("Complaints per 1,000 applications"),
    "satisfaction": N_("Satisfaction"),
    "smart_card_issuance_days": N_("Days to issue a smart card"),
    "pension_files_digitized": N_("Pension files digitised"),
    "clearance_days": N_("Days to clear goods"),
}


def _label(table: dict[str, str], code: str | None, lang: str) -> str | None:
    if code is None or code not in table:
        return None
    return i18n.gettext(table[code], lang)


# A source's kind (registry ``kind``), as the availability tables name it.
SOURCE_KIND: dict[str, str] = {
    "file": N_("file"),
    "http": N_("web address"),
    "ckan": N_("CKAN portal"),
    "datapackage": N_("data package"),
    "jsonapi": N_("service-bus API"),
    "dcat": N_("DCAT catalog"),
}


def source_kind(code: str | None, lang: str) -> str | None:
    return _label(SOURCE_KIND, code, lang)


def activity_status(code: str | None, lang: str) -> str | None:
    return _label(ACTIVITY_STATUS, code, lang)


def audience(code: str | None, lang: str) -> str | None:
    return _label(AUDIENCE, code, lang)


def unit(code: str | None, lang: str) -> str | None:
    """A unit in words (``روز``); None for a unit the portal does not know."""
    return _label(UNITS, (code or "").strip().lower() or None, lang)


def target(code: str | None, lang: str) -> str | None:
    """A target's name in words: ours for the names agencies use, the indicator's title for our indicators."""
    found = _label(TARGETS, (code or "").strip().lower() or None, lang)
    if found is None and code in BY_NAME:
        return i18n.indicator_title(code, lang)
    return found


def dataset(table: str | None, lang: str) -> str | None:
    """A dataset's or public table's title (the standard's ``title_fa``/``title``); a name it lacks as stored."""
    if not table:
        return None
    try:
        return i18n.table_title(table, lang)
    except KeyError:
        return table


def column(table: str | None, name: str | None, lang: str) -> str | None:
    """A column's title in the standard (``title_fa`` on Persian pages); None when the standard has no such column."""
    if not table or not name:
        return None
    try:
        title = i18n.field_title(table, name, lang)
    except (KeyError, FileNotFoundError, ValueError):
        return None
    return None if title == name else title  # the standard names a column it has no title for as itself


def rejected_row(row: dict[str, Any], lang: str) -> dict[str, Any]:
    """A ``validation_errors`` row for the pages: its message in the page language, dataset and column in words."""
    return dict(
        row,
        message=(row["message_fa"] or row["message"]) if lang == "fa" else row["message"],
        dataset_title=dataset(row["dataset"], lang),
        field_title=column(row["dataset"], row["field"], lang),
    )


# Column and value names inside our formulas (``indicator_defs``): every Latin word of a Persian formula,
# and the snake_case names of an English one.
_CODE_WORDS = {"fa": re.compile(r"[A-Za-z_][A-Za-z0-9_]*"), "en": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")}


def code_words(text: str | None, lang: str) -> Markup:
    """One of *our* texts with the names in it marked as code (``<code dir="ltr">``).

    For the portal's own texts only, where a Latin word is a name or a literal
    to type: indicator definitions, and the validation report's messages on
    /validate (a column, a value of the checked file, the spellings a column
    accepts). Never for published harvested text, whose Latin words are not
    code. Every piece is escaped, and only the ``<code>`` tags are ours. A
    Persian page then shows its Latin names as the code they are, isolated
    left-to-right, rather than as untranslated words.
    """
    text = text or ""
    pattern = _CODE_WORDS.get(lang, _CODE_WORDS["en"])
    out, last = [], 0
    for match in pattern.finditer(text):
        out += [
            escape(text[last : match.start()]),
            Markup('<code dir="ltr">'),
            escape(match.group()),
            Markup("</code>"),
        ]
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


@pass_context
def code_words_filter(context: Any, text: str | None) -> Markup:
    """``{{ formula | shafaf_code_words }}``: ``code_words`` in the page language."""
    return code_words(text, context.get("lang", i18n.DEFAULT_LANGUAGE))


# Why a run failed or was held (core.models.Reason): what the run tables say in place of the code.
REASONS: dict[str, str] = {
    Reason.NOT_FOUND: N_("file not found"),
    Reason.UNREADABLE: N_("file unreadable"),
    Reason.ENCODING: N_("text in an unknown encoding"),
    Reason.EMPTY: N_("empty file"),
    Reason.MISSING_COLUMN: N_("a required column is missing"),
    Reason.STRUCTURE: N_("malformed table"),
    Reason.TOO_MANY_INVALID_ROWS: N_("too many invalid rows"),
    Reason.NO_VALID_ROWS: N_("no valid rows"),
    Reason.PUBLISH_ERROR: N_("publishing failed"),
    Reason.TIMEOUT: N_("no answer in time"),
    Reason.DEADLINE_EXCEEDED: N_("took longer than allowed"),
    Reason.CONNECTION_ERROR: N_("could not connect"),
    Reason.TLS_ERROR: N_("security certificate problem"),
    Reason.HTTP_ERROR: N_("the server answered with an error"),
    Reason.TOO_LARGE: N_("file too large"),
    Reason.TRUNCATED_BODY: N_("file cut off"),
    Reason.DESTINATION_BLOCKED: N_("address not allowed"),
    Reason.SCHEME_BLOCKED: N_("kind of address not allowed"),
    Reason.REDIRECT_LOOP: N_("too many redirects"),
    Reason.UNEXPECTED_CONTENT_TYPE: N_("unexpected kind of file"),
    Reason.INVALID_JSON: N_("invalid JSON"),
    Reason.INVALID_XML: N_("invalid XML"),
    Reason.UNSAFE_XML: N_("unsafe XML refused"),
    Reason.AUTH_FAILED: N_("signing in to the service failed"),
    Reason.UNSAFE_PATH: N_("unsafe path"),
    Reason.ARCHIVE_REJECTED: N_("archive refused"),
    Reason.SECRET_MISSING: N_("credentials missing"),
    Reason.NO_RESOURCES: N_("no data files found"),
    Reason.SOURCE_ERROR: N_("the source answered with an error"),
    Reason.COUNT_MISMATCH: N_("row count does not match"),
    Reason.SUSPICIOUS_SHRINK: N_("much smaller than before: held"),
    Reason.DISK_FULL: N_("disk full"),
    Reason.INTERNAL: N_("internal error"),
    Reason.ALREADY_RUNNING: N_("already running"),
    Reason.LEASE_EXPIRED: N_("the run stopped unexpectedly"),
}
_HTTP_STATUS = re.compile(r"http_(\d{3})")


def reason(code: str | None, lang: str) -> str | None:
    """Our words for why a run failed or was held (``http_404``: the server's status); None for a code we
    do not know."""
    if not code:
        return None
    if code in REASONS:
        return i18n.gettext(REASONS[code], lang)
    status = _HTTP_STATUS.fullmatch(code)
    if status:
        return i18n.gettext("the server answered %(status)s", lang) % {"status": i18n.digits(status[1], lang)}
    return None


@pass_context
def reason_filter(context: Any, code: str | None) -> Markup:
    """``{{ run.reason | shafaf_reason }}``: the words, the code as their tooltip; an unknown code as code."""
    words = reason(code, context.get("lang", i18n.DEFAULT_LANGUAGE))
    if words is None:
        return Markup('<code dir="ltr">{}</code>').format(code or "")
    return Markup('<span title="{}">{}</span>').format(code, words)


# Units a figure's number does not already say (a percentage carries its sign, a yes/no is a word).
_SELF_EVIDENT = ("share", "percent", "boolean", "score")


def figure_unit(code: str | None, lang: str) -> str | None:
    """The word printed after a figure (``روز``, ``درخواست``); None where the number already says it."""
    if code in _SELF_EVIDENT:
        return None
    return unit(code, lang)


# Datasette's filter lookups (datasette/filters.py), by key: the words its table form shows in the page language.
LOOKUP_SYMBOLS: dict[str, str] = {"exact": "=", "not": "!=", "gt": ">", "gte": "\u2265", "lt": "<", "lte": "\u2264"}
LOOKUPS: dict[str, str] = {
    "contains": N_("contains"),
    "notcontains": N_("does not contain"),
    "endswith": N_("ends with"),
    "startswith": N_("starts with"),
    "like": N_("like"),
    "notlike": N_("not like"),
    "glob": N_("glob"),
    "in": N_("in"),
    "notin": N_("not in"),
    "arraycontains": N_("array contains"),
    "arraynotcontains": N_("array does not contain"),
    "date": N_("date"),
    "isnull": N_("is null"),
    "notnull": N_("is not null"),
    "isblank": N_("is blank"),
    "notblank": N_("is not blank"),
}


def lookup(key: str, display: str, lang: str) -> str:
    """A Datasette filter lookup in words (``شامل``); one we do not know is shown as Datasette names it."""
    if key in LOOKUP_SYMBOLS:
        return LOOKUP_SYMBOLS[key]
    return i18n.gettext(LOOKUPS[key], lang) if key in LOOKUPS else display


def table_helpers(lang: str) -> dict[str, Any]:
    """Functions our overrides of Datasette's templates call: a table's, a column's and a lookup's words."""

    def table_name(table: str) -> str | None:
        try:
            return i18n.table_title(table, lang)
        except (KeyError, FileNotFoundError):
            return None

    return {
        "shafaf_is_boolean": lambda table, name: (table, name) in boolean_columns(),
        "shafaf_table_title": table_name,
        "shafaf_column_title": lambda table, name: column(table, name, lang),
        "shafaf_column_note": lambda table, name: column_notes.descriptions(table, lang).get(name),
        "shafaf_lookup": lambda key, display: lookup(key, display, lang),
        "shafaf_row_link": lambda cell: cell_values.row_link(cell, lang),
    }


@functools.cache
def boolean_columns() -> frozenset[tuple[str, str]]:
    """(table, column) of every boolean in the standard: Datasette's pages show them as yes/no, not 1/0."""
    return frozenset(
        (kind, field["name"])
        for kind in standard.DATASET_KINDS
        for field in standard.fields(kind)
        if field.get("type") == "boolean"
    )
