"""What each validation problem says, in every language of the catalogue: row, cell and header messages.

Each message is an English msgid of the one gettext catalogue
(``shafaf.core.catalogue``) with ``%(name)s`` values, rendered once per
language: the report keeps them as ``message`` / ``message_fa``. Messages
name the column by its title in the standard (``title`` / ``title_fa``) and
quote the value as the agency wrote it. Whole-file refusals are in
``file_messages``; names and fixes of each error type in ``kinds``.

Writing conventions, so every message reads the same way:

- English quotes values in '...'; Persian in «...» (the catalogue's
  ``'%(value)s'``).
- Numbers Shafaf writes (row and column numbers, limits, counts) are in the
  language's digits; values the agency wrote are quoted exactly as written.
- Codes that are part of the standard (online, in_person, field names) stay
  Latin in every language: they are what the agency must type.
- In English, a message built on what frictionless or normalize said (a
  ``detail``) keeps their words; other languages say it from the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shafaf import standard
from shafaf.core.catalogue import N_, SOURCE_LANGUAGE, Phrase, Text, in_every_language, join, number, say
from shafaf.validate.kinds import kind_of

MAX_QUOTED = 80  # longer values are cut in messages (the report keeps the whole value)


def quote(value: Any, lang: str) -> str:
    """A value as the agency wrote it, quoted; an empty one said as such."""
    text = "" if value is None else str(value)
    if not text.strip():
        return say(lang, "empty")
    if len(text) > MAX_QUOTED:
        text = text[: MAX_QUOTED - 1] + "…"
    # TRANSLATORS: a value quoted as the agency wrote it.
    return say(lang, "'%(value)s'", value=text)


def column_prefixed(dataset: str, field: str | None, problem: str, lang: str) -> str:
    """``problem`` after the column's title (``Column: problem``); ``problem`` alone when there is no column."""
    title = standard.field_title(dataset, field, lang)
    # TRANSLATORS: a problem said after the column it is in; Persian quotes the column's title.
    return say(lang, "%(column)s: %(problem)s", column=title, problem=problem) if title else problem


def _spec(dataset: str, field: str | None) -> dict[str, Any]:
    return standard._field_specs(dataset).get(field or "", {})


# --- row and cell messages ------------------------------------------------------------------

_TYPE_WORDS = {
    "integer": Phrase("a whole number"),
    "number": Phrase("a number"),
    "date": Phrase("a date"),
    "datetime": Phrase("a date and time"),
    "year": Phrase("a year"),
    "yearmonth": Phrase("a year and month"),
    "boolean": Phrase("yes or no"),
    "uri": Phrase("a web address"),
    "string": Phrase("text"),
}

# What to write instead, where the type alone does not say it.
_TYPE_HINTS = {
    "boolean": Phrase(" (write yes/no, true/false, 1/0 or بله/خیر)"),
    "date": Phrase(" (write e.g. 1402/07/15 or 2024-03-05)"),
}

# Patterns of the standard, said in words.
_PATTERNS = {
    "^[a-z0-9-]{1,64}$": Phrase("lowercase Latin letters, digits and hyphens, at most 64"),
    "^[A-Za-z0-9._-]{1,64}$": Phrase("Latin letters, digits, '.', '_' and '-', no spaces, at most 64"),
    "^https?://.+": Phrase("a web address starting with http:// or https://"),
    "^[a-z][a-z0-9_]{0,63}$": Phrase("a lowercase Latin letter, then lowercase letters, digits or '_', at most 64"),
}

_UNPIVOT = re.compile(r"\(for (\w+)=(.+?)\)")


def _type_error(dataset: str, field: str | None, value: str, facts: Mapping[str, Any], lang: str) -> str:
    spec = _spec(dataset, field)
    ftype = "uri" if spec.get("format") == "uri" else spec.get("type", "")
    found = _UNPIVOT.search(str(facts.get("detail") or ""))
    where = say(lang, " (for %(field)s=%(meaning)s)", field=found[1], meaning=found[2]) if found else ""
    if found and not ftype:
        ftype = "number"  # an unpivoted column holds figures
    word = _TYPE_WORDS[ftype][lang] if ftype in _TYPE_WORDS else ftype or say(lang, "valid")
    hint = _TYPE_HINTS[ftype][lang] if ftype in _TYPE_HINTS else ""
    problem = say(
        lang, "%(value)s%(where)s is not %(kind)s%(hint)s", value=quote(value, lang), where=where, kind=word, hint=hint
    )
    return column_prefixed(dataset, field, problem, lang)


def _constraint_error(dataset: str, field: str | None, value: str, facts: Mapping[str, Any], lang: str) -> str:
    which = facts.get("constraint") or ""
    limit = _spec(dataset, field).get("constraints", {}).get(which)
    q, n = quote(value, lang), number(limit, lang)
    if which == "required":
        title = standard.field_title(dataset, field, lang)
        if not title:
            return say(lang, "This column is required but the cell is empty")
        return say(lang, "%(column)s is required but the cell is empty", column=title)
    if which == "minimum":
        problem = say(lang, "%(value)s is below the minimum of %(limit)s", value=q, limit=n)
    elif which == "exclusiveMinimum":
        problem = say(lang, "%(value)s must be more than %(limit)s", value=q, limit=n)
    elif which == "maximum":
        problem = say(lang, "%(value)s is above the maximum of %(limit)s", value=q, limit=n)
    elif which == "exclusiveMaximum":
        problem = say(lang, "%(value)s must be less than %(limit)s", value=q, limit=n)
    elif which == "enum":
        allowed = join((str(v) for v in limit or []), lang)
        problem = say(lang, "%(value)s is not one of the allowed values (%(allowed)s)", value=q, allowed=allowed)
    elif which == "pattern":
        form = (
            _PATTERNS[str(limit)][lang] if str(limit) in _PATTERNS else say(lang, "matching %(pattern)s", pattern=limit)
        )
        problem = say(lang, "%(value)s is not in the required form: %(form)s", value=q, form=form)
    elif which == "maxLength":
        problem = say(lang, "the value is longer than %(limit)s characters", limit=n)
    elif which == "minLength":
        problem = say(lang, "the value is shorter than %(limit)s characters", limit=n)
    else:
        problem = (
            say(lang, "%(value)s breaks the rule %(rule)s", value=q, rule=which)
            if which
            else say(lang, "%(value)s breaks the rule of the column", value=q)
        )
        problem += f" ({limit})" if limit is not None else ""
    return column_prefixed(dataset, field, problem, lang)


def _missing_cell(facts: Mapping[str, Any], lang: str) -> str:
    col, label = number(facts.get("column_number"), lang), facts.get("label") or ""
    cells, width = facts.get("cells"), facts.get("header_width")
    text = (
        say(lang, "The row ends before column %(column)s (%(label)s)", column=col, label=quote(label, lang))
        if label
        else say(lang, "The row ends before column %(column)s", column=col)
    )
    if cells is not None and width is not None:
        text = say(
            lang,
            "%(start)s: it has %(cells)s cells, the header has %(width)s columns",
            start=text,
            cells=number(cells, lang),
            width=number(width, lang),
        )
    return text


def _extra_cell(value: str, facts: Mapping[str, Any], lang: str) -> str:
    col, width = number(facts.get("column_number"), lang), facts.get("header_width")
    if width is not None:
        return say(
            lang,
            "Value %(value)s in column %(column)s, past the header's %(width)s columns",
            value=quote(value, lang),
            column=col,
            width=number(width, lang),
        )
    return say(
        lang,
        "Value %(value)s in column %(column)s, past the last column of the header",
        value=quote(value, lang),
        column=col,
    )


def _primary_key(dataset: str, facts: Mapping[str, Any], lang: str) -> str:
    keys = join((standard.field_title(dataset, f, lang) for f in facts.get("key_fields") or []), lang)
    values = join((str(v) for v in facts.get("key_values") or []), lang)
    return say(
        lang,
        "Same key (%(columns)s: %(values)s) as row %(row)s",
        columns=keys,
        values=values,
        row=number(facts.get("first_row"), lang),
    )


def _foreign_key(facts: Mapping[str, Any], value: str, lang: str) -> str:
    agency = facts.get("agency_id")
    if agency:
        return say(
            lang,
            "Service %(value)s is not in the services list of agency %(agency)s",
            value=quote(value, lang),
            agency=quote(agency, lang),
        )
    return say(lang, "Service %(value)s is not in this agency's services list", value=quote(value, lang))


def _cross_field(dataset: str, field: str | None, value: str, facts: Mapping[str, Any], lang: str) -> str:
    values = {
        "column": standard.field_title(dataset, field, lang),
        "value": quote(value, lang),
        "other": standard.field_title(dataset, facts.get("other"), lang),
        "other_value": quote(facts.get("other_value", ""), lang),
    }
    if facts.get("rule") == "before":
        return say(lang, "%(column)s (%(value)s) is before %(other)s (%(other_value)s)", **values)
    return say(lang, "%(column)s (%(value)s) is larger than %(other)s (%(other_value)s)", **values)


# What normalize says about a date or period it cannot read (its English words), said in the catalogue.
_DATE_DETAILS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"month (?P<month>\d+) is not between 1 and 12"), N_("month %(month)s is not between 1 and 12")),
    (
        re.compile(r"year (?P<year>\d+) is neither a Jalali"),
        N_("year %(year)s is neither a Jalali (1300–1499) nor a Gregorian (1900–2099) year"),
    ),
    (
        re.compile(r"year (?P<year>\d+) looks (?P<looks>\w+) but the source's calendar is (?P<declared>\w+)"),
        N_("year %(year)s looks %(looks)s but the source's calendar is %(declared)s"),
    ),
    (re.compile(r"is not a valid (?P<calendar>\w+) date"), N_("no such day in the %(calendar)s calendar")),
    (re.compile(r"two-digit year"), N_("the year has two digits; write it in full (e.g. 1402)")),
    (re.compile(r"the period is empty"), N_("the period is empty")),
]
_CALENDARS = {"jalali": Phrase("Jalali"), "gregorian": Phrase("Gregorian")}


def _date_error(
    dataset: str, field: str | None, value: str, error_type: str, facts: Mapping[str, Any], lang: str
) -> str:
    detail = str(facts.get("detail") or "")
    if lang == SOURCE_LANGUAGE and detail:
        text = detail if not value.strip() or value.strip() in detail else f"{quote(value, lang)}: {detail}"
        return column_prefixed(dataset, field, text, lang)
    if error_type == "period-error":
        text = say(
            lang,
            "%(value)s is not a period this portal reads (e.g. 2024-03, 1402-07, 2023-2024, 1402)",
            value=quote(value, lang),
        )
    else:
        text = say(lang, "%(value)s is not a date like 2024-03-05 or 1402/07/15", value=quote(value, lang))
    for pattern, message in _DATE_DETAILS:
        if m := pattern.search(detail):
            parts = {
                k: _CALENDARS[v.lower()][lang] if v.lower() in _CALENDARS else number(v, lang)
                for k, v in m.groupdict().items()
            }
            text = f"{quote(value, lang)}: {say(lang, message, **parts)}"
            break
    return column_prefixed(dataset, field, text, lang)


def _header_error(error_type: str, facts: Mapping[str, Any], lang: str) -> str:
    col = number(facts.get("column_number"), lang)
    if error_type == "blank-label":
        return say(lang, "Column %(column)s has no name, so it is matched to no field of the standard", column=col)
    return say(
        lang,
        "Column %(column)s (%(label)s) has the same name as column %(first)s; "
        "only column %(first)s is matched to the standard",
        column=col,
        label=quote(facts.get("label") or "", lang),
        first=number(facts.get("first_column"), lang),
    )


def _other(dataset: str, error_type: str, field: str | None, value: str, facts: Mapping[str, Any], lang: str) -> str:
    """A type without its own wording: in English the reader's or frictionless' words; else its plain name."""
    name = kind_of(error_type).name
    detail = str(facts.get("detail") or name.en)
    if lang == SOURCE_LANGUAGE:
        text = detail
    elif value.strip():
        text = say(lang, "%(kind)s: %(value)s", kind=name[lang], value=quote(value, lang))
    else:
        text = say(lang, "%(kind)s (%(detail)s)", kind=name[lang], detail=detail)
    return column_prefixed(dataset, field, text, lang)


def _row_error(
    dataset: str, error_type: str, field: str | None, value: str, facts: Mapping[str, Any], lang: str
) -> str:
    if error_type == "type-error":
        return _type_error(dataset, field, value, facts, lang)
    if error_type == "constraint-error":
        return _constraint_error(dataset, field, value, facts, lang)
    if error_type == "missing-cell":
        return _missing_cell(facts, lang)
    if error_type == "extra-cell":
        return _extra_cell(value, facts, lang)
    if error_type in ("primary-key", "unique-error") and facts.get("first_row"):
        return _primary_key(dataset, facts, lang)
    if error_type == "foreign-key":
        return _foreign_key(facts, value, lang)
    if error_type == "cross-field":
        return _cross_field(dataset, field, value, facts, lang)
    if error_type in ("date-error", "period-error"):
        return _date_error(dataset, field, value, error_type, facts, lang)
    if error_type == "wrong-agency":
        problem = say(
            lang,
            "the row belongs to agency %(value)s, not %(expected)s",
            value=quote(value, lang),
            expected=quote(facts.get("expected"), lang),
        )
        return column_prefixed(dataset, "agency_id", problem, lang)
    if error_type in ("blank-label", "duplicate-label"):
        return _header_error(error_type, facts, lang)
    if error_type == "blank-row":
        return say(lang, "The row is blank and was skipped")
    return _other(dataset, error_type, field, value, facts, lang)


def row_error(dataset: str, error_type: str, field: str | None, value: str, **facts: Any) -> Text:
    """The message of one row, cell or header error, in every language.

    ``facts`` are what the type needs: ``constraint`` (constraint-error),
    ``column_number``/``label``/``cells``/``header_width`` (structure and
    header), ``first_row``/``key_fields``/``key_values`` (primary-key),
    ``agency_id`` (foreign-key), ``other``/``other_value``/``rule``
    (cross-field), ``detail`` (date-error, period-error, wrong-agency and
    any type without its own wording: frictionless' English message).
    """
    return in_every_language(lambda lang: _row_error(dataset, error_type, field, value, facts, lang))
