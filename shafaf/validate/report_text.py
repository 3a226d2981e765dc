"""A validation ``Report`` as people read it: a short text in Persian or English.

What ``shafaf validate`` prints: a verdict line, then for each error type its
count and plain-language name, the first rows of that type (row, column by
its title, the value as written and what is wrong) and what to fix. The same
facts for machines are ``Report.to_dict()``; nothing here decides validity.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from shafaf import standard
from shafaf.core.catalogue import Phrase, join, number, say, say_n
from shafaf.core.models import Skip
from shafaf.validate.file_messages import fatal_message
from shafaf.validate.kinds import fatal_kind, kind_of
from shafaf.validate.messages import column_prefixed
from shafaf.validate.report import Report, RowError

SHOWN_PER_TYPE = 3

SKIP_REASONS: dict[Skip, Phrase] = {
    Skip.NO_DATASET: Phrase("its name does not say which dataset of the standard it is"),
    Skip.OUTSIDE: Phrase("its path leads outside the folder"),
    Skip.REMOTE: Phrase("it is a remote address, not a file in the folder"),
    Skip.MISSING: Phrase("the file is not in the folder"),
    Skip.UNREADABLE: Phrase("it is not a readable file (a link loop, a pipe or device, or no permission)"),
}


def width(text: str) -> int:
    """Columns a string takes in a terminal: joiners and marks take none, wide characters two."""
    total = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def _pad(text: str, to: int) -> str:
    return text + " " * max(0, to - width(text))


def column_label(dataset: str, field: str | None, column_number: int | None, lang: str) -> str:
    """A column as the reader knows it: its title in the standard (and its name, the code in the file)."""
    if not field:
        return number(column_number, lang) if column_number else ""
    title = standard.field_title(dataset, field, lang)
    if title.casefold().replace(" ", "_") == field.casefold():
        # TRANSLATORS: a column's name where the standard gives it no other title (Persian quotes it).
        return say(lang, "%(name)s", name=field)
    # TRANSLATORS: a column of the report: its title in the standard, then its name in the file.
    return say(lang, "%(name)s (%(title)s)", name=field, title=title)


def _where(error: RowError, dataset: str, lang: str) -> str:
    if error.row_number is None:
        return say(lang, "header")
    row = say(lang, "row %(row)s", row=number(error.row_number, lang))
    column = column_label(dataset, error.field, error.column_number, lang)
    return join((row, say(lang, "column %(column)s", column=column)), lang) if column else row


def _detail(error: RowError, dataset: str, lang: str) -> str:
    """The message without the column's title it starts with (the line already names the column)."""
    message = (error.message_fa or error.message) if lang == "fa" else error.message
    prefix = column_prefixed(dataset, error.field, "", lang)
    return message[len(prefix) :] if prefix and message.startswith(prefix) else message


def _verdict(report: Report, lang: str) -> str:
    values = {"file": report.file, "dataset": standard.dataset_title(report.dataset, lang), "kind": report.dataset}
    if report.fatal_reason:
        return say(
            lang,
            "%(file)s: INVALID (%(reason)s: %(problem)s)",
            file=report.file,
            reason=report.fatal_reason,
            problem=fatal_kind(report.fatal_reason).name[lang],
        )
    values |= {
        "passed": number(report.rows_passed, lang, grouped=True),
        "read": number(report.rows_read, lang, grouped=True),
    }
    if report.valid:
        line = say(lang, "%(file)s: valid as %(dataset)s ('%(kind)s'): %(passed)s of %(read)s rows passed", **values)
    else:
        line = say(lang, "%(file)s: INVALID as %(dataset)s ('%(kind)s'): %(passed)s of %(read)s rows passed", **values)
    if report.rows_failed:
        line = say(
            lang, "%(line)s, %(failed)s failed", line=line, failed=number(report.rows_failed, lang, grouped=True)
        )
    return line


def _aligned(pairs: Sequence[tuple[str, str]], indent: str) -> list[str]:
    """``where: what`` lines with the messages starting in one column."""
    if not pairs:
        return []
    to = max(width(where) for where, _ in pairs) + 2
    return [f"{indent}{_pad(where + ':', to)}{what}".rstrip() for where, what in pairs]


def _unused(report: Report, lang: str) -> str:
    """The columns the standard does not know, each with the standard's column it looks like, if one does."""
    known = standard.field_names(report.dataset) if report.dataset in standard.DATASET_KINDS else []
    shown = []
    for name in report.unused_columns:
        close = difflib.get_close_matches(name.casefold(), known, n=1, cutoff=0.8)
        shown.append(say(lang, "%(name)s (did you mean %(field)s?)", name=name, field=close[0]) if close else name)
    return say(lang, "columns not in the standard (ignored): %(columns)s", columns=join(shown, lang))


def render(report: Report, lang: str = "en", *, source: str | None = None, show_all: bool = False) -> str:
    """One file's report: what is wrong, where, and what to fix (the first rows of each type, or all of them)."""
    fix = say(lang, "fix")
    lines = [_verdict(report, lang)]
    if source:
        lines.append("  " + say(lang, "from %(source)s", source=source))
    if report.fatal_reason:
        message = (report.fatal_message_fa or report.fatal_message) if lang == "fa" else report.fatal_message
        if message:
            lines.append(f"  {message}")
        lines.append(f"  {fix}: {fatal_kind(report.fatal_reason).fix[lang]}")
        return "\n".join(lines)
    if report.header_errors:
        lines += _aligned(
            [(_where(e, report.dataset, lang), _detail(e, report.dataset, lang)) for e in report.header_errors], "  "
        )
    else:
        header = say(lang, "header")
        lines += [f"  {header}: {p}" for p in report.header_problems]
    if report.unused_columns:
        lines.append("  " + _unused(report, lang))
    if report.blank_rows:
        lines.append("  " + say(lang, "blank rows skipped: %(n)s", n=number(report.blank_rows, lang, grouped=True)))
    for note in report.notes:
        lines.append("  " + say(lang, "note: %(note)s", note=note))
    if (changed := report.changes.summary()) is not None:
        first = report.changes.listed[0].message_fa if lang == "fa" and report.changes.listed else None
        if first:
            changed = say(
                lang,
                "invisible characters were removed from %(n)s value(s); first, %(first)s",
                n=number(report.changes.total, lang, grouped=True),
                first=first,
            )
        lines.append("  " + say(lang, "note: %(note)s", note=changed))
    for drift in report.schema_drift:
        lines.append("  " + say(lang, "columns changed: %(change)s", change=drift))
    hidden = False
    for error_type, count in sorted(report.error_counts.items()):
        kind = kind_of(error_type)
        # TRANSLATORS: a category of errors in the report: its name, its code, how many.
        lines.append(
            "  "
            + say(
                lang,
                "%(code)s: %(count)s (%(name)s)",
                code=error_type,
                name=kind.name[lang],
                count=number(count, lang, grouped=True),
            )
        )
        listed = [e for e in report.errors if e.error_type == error_type]
        shown = listed if show_all else listed[:SHOWN_PER_TYPE]
        lines += _aligned([(_where(e, report.dataset, lang), _detail(e, report.dataset, lang)) for e in shown], "    ")
        if count > len(shown):
            hidden = True
            lines.append("    " + say(lang, "… and %(n)s more", n=number(count - len(shown), lang, grouped=True)))
        lines.append(f"    {fix}: {kind.fix[lang]}")
    if sum(report.error_counts.values()) > len(report.errors):
        lines.append(
            "  "
            + say(
                lang,
                "only the first %(n)s errors are kept in the report (--all and --json list those)",
                n=number(len(report.errors), lang, grouped=True),
            )
        )
    elif hidden:
        lines.append("  " + say(lang, "--all lists every error"))
    return "\n".join(lines)


def render_many(
    reports: Iterable[Report], lang: str = "en", *, skipped: Sequence[tuple[str, str]] = (), show_all: bool = False
) -> str:
    """The reports of a folder's files, one after the other, then a one-line summary."""
    reports = list(reports)
    blocks = [render(r, lang, show_all=show_all) for r in reports]
    valid = sum(r.valid for r in reports)
    tail = []
    for name, reason in skipped:
        why = SKIP_REASONS[reason][lang] if reason in SKIP_REASONS else reason
        tail.append(say(lang, "skipped %(file)s: %(why)s", file=name, why=why))
    tail.append(
        say_n(
            lang,
            "%(n)s file checked: %(valid)s valid, %(invalid)s invalid",
            "%(n)s files checked: %(valid)s valid, %(invalid)s invalid",
            len(reports),
            valid=number(valid, lang),
            invalid=number(len(reports) - valid, lang),
        )
    )
    return "\n\n".join(blocks + ["\n".join(tail)])


def render_fetch_error(url: str, reason: str, message: str, lang: str = "en") -> str:
    """Why the file at ``url`` could not be fetched, and what to check."""
    kind = fatal_kind(reason)
    fix = say(lang, "fix")
    return f"{url}: {kind.name[lang]} ({reason})\n  {message}\n  {fix}: {kind.fix[lang]}"


def fetch_error_dict(url: str, reason: str, message: str) -> dict[str, Any]:
    """The same for --json: shaped like a refused file's report, so scripts read one shape."""
    text = fatal_message(reason, message, file=url, dataset="")
    return {"url": url, "valid": False, "fatal_reason": reason, "fatal_message": text.en, "fatal_message_fa": text.fa}
