"""A validation ``Report`` as people read it: a short text in Persian or English.

What ``shafaf validate`` prints: a verdict line, then for each error type its
count and plain-language name, the first rows of that type (row, column by
its title, the value as written and what is wrong) and what to fix. The same
facts for machines are ``Report.to_dict()``; nothing here decides validity.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Iterable, Sequence

from shafaf.validate import messages
from shafaf.validate.messages import Text, num
from shafaf.validate.report import Report, RowError

SHOWN_PER_TYPE = 3

_WORDS = {
    "valid": Text("valid", "معتبر"),
    "invalid": Text("INVALID", "نامعتبر"),
    "header": Text("header", "سرستون"),
    "fix": Text("fix", "چه باید کرد"),
    "row": Text("row", "سطر"),
    "column": Text("column", "ستون"),
}

SKIP_REASONS = {
    "no_dataset": Text("its name does not say which dataset of the standard it is",
                       "از نامش پیدا نیست کدام مجموعه‌داده استاندارد است"),
    "outside": Text("its path leads outside the folder", "مسیرش به بیرون از پوشه می‌رود"),
    "remote": Text("it is a remote address, not a file in the folder", "نشانی راه دور است، نه فایلی در پوشه"),
    "missing": Text("the file is not in the folder", "فایل در پوشه نیست"),
    "unreadable": Text("it is not a readable file (a link loop, a pipe or device, or no permission)",
                       "فایل خواندنی نیست (پیوند چرخه‌ای، لوله یا دستگاه، یا بدون اجازه)"),
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
        return num(column_number, lang) if column_number else ""
    title = messages.field_title(dataset, field, lang)
    if lang == "fa":
        return f"«{title}» ({field})" if title != field else f"«{field}»"
    same = title.casefold().replace(" ", "_") == field.casefold()
    return field if same else f"{field} ({title})"


def _where(error: RowError, dataset: str, lang: str) -> str:
    w = {k: v[lang] for k, v in _WORDS.items()}
    sep = "، " if lang == "fa" else ", "
    parts = []
    if error.row_number is not None:
        parts.append(f"{w['row']} {num(error.row_number, lang)}")
    else:
        parts.append(w["header"])
    column = column_label(dataset, error.field, error.column_number, lang)
    if column and error.row_number is not None:
        parts.append(f"{w['column']} {column}")
    return sep.join(parts)


def _detail(error: RowError, dataset: str, lang: str) -> str:
    """The message without the column's title it starts with (the line already names the column)."""
    message = (error.message_fa or error.message) if lang == "fa" else error.message
    title = messages.field_title(dataset, error.field, lang)
    for prefix in (f"«{title}»: ", f"{title}: "):
        if title and message.startswith(prefix):
            return message[len(prefix):]
    return message


def _verdict(report: Report, lang: str) -> str:
    ds = report.dataset
    if lang == "fa":
        verdict = _WORDS["valid" if report.valid else "invalid"].fa
        head = f"{report.file}: {verdict} به‌عنوان «{messages.dataset_title(ds, 'fa')}» ({ds})"
        if report.fatal_reason:
            return f"{head}: {report.fatal_reason} ({messages.fatal_kind(report.fatal_reason).name.fa})"
        line = (f"{head}: {num(report.rows_passed, 'fa', grouped=True)} سطر از "
                f"{num(report.rows_read, 'fa', grouped=True)} سطر پذیرفته شد")
        if report.rows_failed:
            line += f"، {num(report.rows_failed, 'fa', grouped=True)} سطر رد شد"
        return line
    verdict = _WORDS["valid" if report.valid else "invalid"].en
    if report.fatal_reason:
        return f"{report.file}: {verdict} ({report.fatal_reason}: {messages.fatal_kind(report.fatal_reason).name.en})"
    line = f"{report.file}: {verdict} as {ds!r}: {report.rows_passed} of {report.rows_read} rows passed"
    if report.rows_failed:
        line += f", {report.rows_failed} failed"
    return line


def _aligned(pairs: Sequence[tuple[str, str]], indent: str) -> list[str]:
    """``where: what`` lines with the messages starting in one column."""
    if not pairs:
        return []
    to = max(width(where) for where, _ in pairs) + 2
    return [f"{indent}{_pad(where + ':', to)}{what}".rstrip() for where, what in pairs]


def render(report: Report, lang: str = "en", *, source: str | None = None) -> str:
    """One file's report, short: what is wrong, where, and what to fix."""
    fix = _WORDS["fix"][lang]
    lines = [_verdict(report, lang)]
    if source:
        lines.append(f"  {'از' if lang == 'fa' else 'from'} {source}")
    if report.fatal_reason:
        message = (report.fatal_message_fa or report.fatal_message) if lang == "fa" else report.fatal_message
        if message:
            lines.append(f"  {message}")
        lines.append(f"  {fix}: {messages.fatal_kind(report.fatal_reason).fix[lang]}")
        return "\n".join(lines)
    if report.header_errors:
        lines += _aligned([(_where(e, report.dataset, lang), _detail(e, report.dataset, lang)) for e in report.header_errors], "  ")
    else:
        lines += [f"  {_WORDS['header'][lang]}: {p}" for p in report.header_problems]
    if report.unused_columns:
        label = "ستون‌های بیرون از استاندارد (نادیده گرفته شد)" if lang == "fa" else "columns not in the standard (ignored)"
        lines.append(f"  {label}: {('، ' if lang == 'fa' else ', ').join(report.unused_columns)}")
    if report.blank_rows:
        label = "سطرهای خالی (نادیده گرفته شد)" if lang == "fa" else "blank rows skipped"
        lines.append(f"  {label}: {num(report.blank_rows, lang, grouped=True)}")
    for note in report.notes:
        lines.append(f"  {'یادداشت' if lang == 'fa' else 'note'}: {note}")
    if (changed := report.changes.summary()) is not None:
        first = report.changes.listed[0].message_fa if lang == "fa" and report.changes.listed else None
        lines.append(f"  {'یادداشت' if lang == 'fa' else 'note'}: "
                     + (f"از {num(report.changes.total, 'fa', grouped=True)} مقدار نویسه نامرئی حذف شد؛ نخستین: {first}"
                        if first else changed))
    for drift in report.schema_drift:
        lines.append(f"  {'تغییر ستون‌ها' if lang == 'fa' else 'columns changed'}: {drift}")
    for error_type, count in sorted(report.error_counts.items()):
        kind = messages.kind_of(error_type)
        lines.append(f"  {error_type}: {num(count, lang, grouped=True)} ({kind.name[lang]})")
        listed = [e for e in report.errors if e.error_type == error_type]
        shown = listed[:SHOWN_PER_TYPE]
        lines += _aligned([(_where(e, report.dataset, lang), _detail(e, report.dataset, lang)) for e in shown], "    ")
        if count > len(shown):
            more = count - len(shown)
            lines.append(f"    … {'و' if lang == 'fa' else 'and'} {num(more, lang, grouped=True)} "
                         f"{'مورد دیگر' if lang == 'fa' else 'more'}")
        lines.append(f"    {fix}: {kind.fix[lang]}")
    if sum(report.error_counts.values()) > len(report.errors):
        lines.append("  " + (f"گزارش JSON (--json) فقط {num(len(report.errors), 'fa', grouped=True)} خطای نخست را فهرست می‌کند"
                             if lang == "fa" else f"the JSON report (--json) lists the first {len(report.errors)} errors"))
    return "\n".join(lines)


def render_many(reports: Iterable[Report], lang: str = "en", *, skipped: Sequence[tuple[str, str]] = ()) -> str:
    """The reports of a folder's files, one after the other, then a one-line summary."""
    reports = list(reports)
    blocks = [render(r, lang) for r in reports]
    valid = sum(r.valid for r in reports)
    invalid = len(reports) - valid
    tail = []
    for name, reason in skipped:
        why = SKIP_REASONS.get(reason, Text(reason, reason))[lang]
        tail.append(f"{name} کنار گذاشته شد: {why}" if lang == "fa" else f"skipped {name}: {why}")
    if lang == "fa":
        tail.append(f"{num(len(reports), 'fa')} فایل بررسی شد: {num(valid, 'fa')} معتبر، {num(invalid, 'fa')} نامعتبر")
    else:
        tail.append(f"{len(reports)} file{'s' if len(reports) != 1 else ''} checked: {valid} valid, {invalid} invalid")
    return "\n\n".join(blocks + ["\n".join(tail)])


def render_fetch_error(url: str, reason: str, message: str, lang: str = "en") -> str:
    """Why the file at ``url`` could not be fetched, and what to check."""
    kind = messages.fatal_kind(reason)
    if lang == "fa":
        return f"{url}: {kind.name.fa} ({reason})\n  {message}\n  {_WORDS['fix'].fa}: {kind.fix.fa}"
    return f"{url}: {kind.name.en} ({reason})\n  {message}\n  {_WORDS['fix'].en}: {kind.fix.en}"


def fetch_error_dict(url: str, reason: str, message: str) -> dict[str, Any]:
    """The same for --json: shaped like a refused file's report, so scripts read one shape."""
    text = messages.fatal_message(reason, message, file=url, dataset="")
    return {"url": url, "valid": False, "fatal_reason": reason, "fatal_message": text.en, "fatal_message_fa": text.fa}
