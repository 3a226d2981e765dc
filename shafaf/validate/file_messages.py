"""Why a whole file was refused, in every language of the catalogue (``fatal_message``/``fatal_message_fa``).

English is what the code that refused the file said (its ``detail``); the
other languages say the same facts from the catalogue, so a Persian reader
gets a Persian sentence even where the detail came from frictionless.
"""

from __future__ import annotations

import re
from typing import Any

from shafaf import standard
from shafaf.core.catalogue import SOURCE_LANGUAGE, Text, in_every_language, join, number, say
from shafaf.core.models import Reason
from shafaf.validate.kinds import fatal_kind

_MISSING = re.compile(r"has no column (?P<missing>.+?) required by the .+?; its columns are: (?P<columns>.*)$", re.S)
_MORE = re.compile(r" and ([\d,]+) more$")


def _names(listed: str, lang: str) -> str:
    """``'a', 'b (for c)' and 3 more`` (as the reader wrote it in English) in ``lang``."""
    names = join((say(lang, "'%(value)s'", value=n) for n in re.findall(r"'([^']*)'", listed)), lang)
    if more := _MORE.search(listed):
        return say(lang, "%(columns)s and %(n)s more columns", columns=names, n=number(more[1], lang))
    return names


def _fatal(reason: str, detail: str, file: str, dataset: str, facts: dict[str, Any], lang: str) -> str:
    if reason == Reason.MISSING_COLUMN and (m := _MISSING.search(detail)):
        return say(
            lang,
            "The file %(file)s has no column %(missing)s that the standard %(dataset)s requires; "
            "its columns are: %(columns)s",
            file=file,
            missing=_names(m["missing"], lang),
            dataset=standard.dataset_title(dataset, lang),
            columns=_names(m["columns"], lang) or say(lang, "none"),
        )
    if reason == Reason.TOO_MANY_INVALID_ROWS and "rows_failed" in facts:
        return say(
            lang,
            "%(failed)s of %(read)s rows of the file %(file)s failed, more than the portal accepts; "
            "the last accepted data stays published",
            failed=number(facts["rows_failed"], lang, grouped=True),
            read=number(facts["rows_read"], lang, grouped=True),
            file=file,
        )
    if reason == Reason.NO_VALID_ROWS and "rows_read" in facts:
        return say(
            lang,
            "None of the %(read)s rows of the file %(file)s passed validation; the last accepted data stays published",
            read=number(facts["rows_read"], lang, grouped=True),
            file=file,
        )
    problem = fatal_kind(reason).name[lang]
    if detail:
        return say(lang, "%(file)s: %(problem)s (details: %(detail)s)", file=file, problem=problem, detail=detail)
    return say(lang, "%(file)s: %(problem)s", file=file, problem=problem)


def fatal_message(reason: str, detail: str, *, file: str, dataset: str, **facts: Any) -> Text:
    """Why a whole file was refused, in every language; English is ``detail`` when there is one."""

    def render(lang: str) -> str:
        if lang == SOURCE_LANGUAGE:
            return detail or _fatal(reason, "", file, dataset, facts, lang).removeprefix(f"{file}: ")
        return _fatal(reason, detail, file, dataset, facts, lang)

    return in_every_language(render)
