"""A validation ``Report`` as a web page reads it: the same facts ``shafaf validate`` prints, as data.

``report_text`` writes the report for a terminal; the "check my file" page
(``/validate``) needs the same verdict, the same error types with their plain
names and fixes, and the same rows, but as fields a template lays out. This
module builds them with ``report_text``'s own pieces, so the page and the
command cannot drift apart. Values stay as the agency wrote them: the page
prints them through autoescape.
"""

from __future__ import annotations

from typing import Any

from shafaf import standard
from shafaf.validate.file_messages import fatal_message
from shafaf.validate.kinds import fatal_kind, kind_of
from shafaf.validate.report import Report
from shafaf.validate.report_text import _detail, _verdict, _where, column_label

SHOWN_PER_TYPE = 50  # rows listed per error type on the page (the JSON report lists up to MAX_LISTED_ERRORS)


def view(report: Report, lang: str) -> dict[str, Any]:
    """The page's facts of one report in ``lang`` ("fa" or "en")."""
    fatal = None
    if report.fatal_reason:
        kind = fatal_kind(report.fatal_reason)
        message = (report.fatal_message_fa or report.fatal_message) if lang == "fa" else report.fatal_message
        fatal = {
            "reason": report.fatal_reason,
            "name": kind.name[lang],
            "message": message or "",
            "fix": kind.fix[lang],
        }
    types = []
    for error_type, count in sorted(report.error_counts.items()):
        kind = kind_of(error_type)
        listed = [e for e in report.errors if e.error_type == error_type]
        rows = [
            {
                "row": e.row_number,
                "column": column_label(report.dataset, e.field, e.column_number, lang),
                "value": e.value,
                "where": _where(e, report.dataset, lang),
                "message": _detail(e, report.dataset, lang),
            }
            for e in listed[:SHOWN_PER_TYPE]
        ]
        types.append(
            {
                "type": error_type,
                "count": count,
                "name": kind.name[lang],
                "fix": kind.fix[lang],
                "rows": rows,
                "more": count - len(rows),
            }
        )
    header = [
        {"where": _where(e, report.dataset, lang), "message": _detail(e, report.dataset, lang)}
        for e in report.header_errors
    ]
    return {
        "verdict": _verdict(report, lang),
        "valid": report.valid,
        "dataset": report.dataset,
        "dataset_title": standard.dataset_title(report.dataset, lang),
        "rows_read": report.rows_read,
        "rows_passed": report.rows_passed,
        "rows_failed": report.rows_failed,
        "fatal": fatal,
        "header": header or [{"where": "", "message": p} for p in report.header_problems],
        "unused_columns": list(report.unused_columns),
        "blank_rows": report.blank_rows,
        "notes": list(report.notes),
        "types": types,
    }


def fetch_error_view(url: str, reason: str, message: str, lang: str) -> dict[str, Any]:
    """The page's facts when the file at ``url`` could not be fetched (shaped like a refused file's)."""
    kind = fatal_kind(reason)
    text = fatal_message(reason, message, file=url, dataset="")
    return {
        "verdict": f"{url}: {kind.name[lang]} ({reason})",
        "valid": False,
        "dataset": "",
        "dataset_title": "",
        "rows_read": 0,
        "rows_passed": 0,
        "rows_failed": 0,
        "fatal": {"reason": reason, "name": kind.name[lang], "message": text[lang], "fix": kind.fix[lang]},
        "header": [],
        "unused_columns": [],
        "blank_rows": 0,
        "notes": [],
        "types": [],
    }
