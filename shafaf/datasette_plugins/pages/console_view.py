"""What the officer's console shows of an agency: each source, its schedule, its last runs and their rejections.

Read from the registry (sources), ``state.db`` (schedules in force, runs,
queued requests: ``harvest_status`` and ``StateStore.runs``) and the
published database (the rejected rows of a run, ``validation_errors``).
Locations are shown without secrets: a URL through ``redact_url`` (no
``user:pass@``, no secret-looking query values), a file by its name only (a
server path says nothing to the officer and something to an attacker).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from shafaf.config.registry import Agency, redact_url
from shafaf.config.schedule import Rule, next_after, parse_utc
from shafaf.core.catalogue import say_n
from shafaf.datasette_plugins import i18n, labels
from shafaf.datasette_plugins.common import DATABASE
from shafaf.datasette_plugins.pages.harvest_status import Context, agency_sources, rule_text
from shafaf.state.store import wall_clock

if TYPE_CHECKING:
    from datasette.app import Datasette

RUNS_SHOWN = 5
REJECTED_SHOWN = 50
PREVIEW_RUNS = 5
HELD = ("needs_review", "suspicious_shrink")  # (outcome, reason) of a file the shrink guard holds


def location(source: Any) -> str:
    """Where the source lives, as the console shows it: a redacted URL, or the file's name."""
    if getattr(source, "url", None):
        return redact_url(source.url)
    path = getattr(source, "path", None)
    return path.name if path is not None else ""


def local_time(moment: dt.datetime | None, tz: str, lang: str) -> dict[str, str] | None:
    """A UTC moment as the page prints it: the local date (for the calendars) and the local time."""
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(tz))
    return {
        "date": local.date().isoformat(),
        "time": i18n.digits(local.strftime("%H:%M"), lang),
        "iso": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def upcoming(rule: Rule, tz: str, lang: str, n: int = PREVIEW_RUNS) -> list[dict[str, str]]:
    """The next ``n`` runs of ``rule`` (what the officer sees before saving it)."""
    out, moment = [], wall_clock()
    for _ in range(n):
        moment = next_after(rule, moment, tz=tz)
        out.append(local_time(moment, tz, lang))
    return out


async def sources(datasette: Datasette, found: Context, agency: Agency, lang: str) -> list[dict[str, Any]]:
    """Every source of the agency with its schedule, last runs, rejected rows and held files."""
    tz = found.registry.portal.timezone
    statuses = {s.source_id: s for s in await agency_sources(datasette, agency.id)}
    runs = await asyncio.to_thread(found.state.runs, agency.id, limit=RUNS_SHOWN * max(1, len(agency.sources)) * 4)
    out = []
    for source in agency.sources:
        status = statuses.get(source.id)
        mine = [r for r in runs if r["source_id"] == source.id]
        finished = [r for r in mine if r["outcome"] != "queued"]
        last = finished[0] if finished else None
        out.append(
            {
                "id": source.id,
                "dataset": source.dataset,
                "dataset_title": labels.dataset(source.dataset, lang),
                "kind": source.kind,
                "location": location(source),
                "rule": rule_text(status.rule, lang) if status else "",
                "cron": status.rule.cron if status and status.rule else None,
                "rule_json": status.rule.to_json() if status and status.rule else None,
                "overridden": bool(status and status.overridden),
                "problem": status.schedule_problem if status else None,
                "next": local_time(parse_utc(status.next_due) if status else None, tz, lang),
                "queued": [r["run_id"] for r in mine if r["outcome"] == "queued"],
                "runs": [_run(r, lang) for r in finished[:RUNS_SHOWN]],
                "held": _run(last, lang) if last and (last["outcome"], last["reason"]) == HELD else None,
                "rejected": await rejected(datasette, agency.id, source.id, lang),
            }
        )
    return out


def _run(row: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "run_id": row["run_id"],
        "started": row["started"],
        "outcome": row["outcome"],
        "outcome_label": i18n.outcome_label(row["outcome"], lang),
        "reason": row["reason"],
        **run_message(row, lang),
        "rows_read": row["rows_read"],
        "rows_passed": row["rows_passed"],
        "rows_failed": row["rows_failed"],
    }


def run_message(row: dict[str, Any], lang: str) -> dict[str, str | None]:
    """The run's message, and its language when it is not the page's.

    Runs store their message in English, as the harvester wrote it. A run that passed rows is said again in
    the page's language from its counts; any other message (a server's error, a held file) is shown as stored,
    marked as English so that it is read and spoken as English.
    """
    message = row.get("message")
    if lang == "en" or not message:
        return {"message": message, "message_lang": None}
    if row.get("outcome") in ("ok", "unchanged") and row.get("rows_passed") is not None:
        return {
            "message": say_n(lang, "%(n)s row passed", "%(n)s rows passed", row["rows_passed"]),
            "message_lang": None,
        }
    return {"message": message, "message_lang": "en"}


async def rejected(datasette: Datasette, agency_id: str, source_id: str, lang: str) -> dict[str, Any] | None:
    """The rejected rows of the source's newest published run that had any, with their messages."""
    db = datasette.get_database(DATABASE)
    try:
        newest = await db.execute(
            "select run_id, count(*) as n from validation_errors where agency_id = :a and source_id = :s "
            "group by run_id order by run_id desc limit 1",
            {"a": agency_id, "s": source_id},
        )
        first = newest.first()
        if first is None:
            return None
        rows = await db.execute(
            "select file, row_number, field, value, error_type, message, message_fa from validation_errors "
            "where run_id = :r and agency_id = :a and source_id = :s order by row_number limit :n",
            {"r": first["run_id"], "a": agency_id, "s": source_id, "n": REJECTED_SHOWN},
        )
    except sqlite3.Error:  # an older published file without the table: nothing to show
        return None
    return {
        "run_id": first["run_id"],
        "count": first["n"],
        "rows": [
            {
                "file": r["file"],
                "row": r["row_number"],
                "field": r["field"],
                "value": r["value"],
                "type": r["error_type"],
                "message": (r["message_fa"] or r["message"]) if lang == "fa" else r["message"],
            }
            for r in rows.rows
        ],
    }
