"""Feed entries for a source that started failing and one that recovered (``source_availability``, issue 23).

One entry per spell: a failing source's entry is named by the start of its
failures, a recovered one's by its first good fetch after them, so a feed
reader is told once, not on every poll. Recoveries older than
``RECOVERED_SHOWN_DAYS`` are left out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from shafaf.datasette_plugins.common import DATABASE

if TYPE_CHECKING:
    from datasette.app import Datasette

TABLE = "source_availability"
RECOVERED_SHOWN_DAYS = 30


@dataclasses.dataclass(frozen=True)
class SourceEvent:
    agency_id: str
    source_id: str
    dataset: str
    kind: str  # failing or recovered
    at: str  # failing_since or recovered
    failures: int
    reason: str | None
    message: str | None


async def source_events(datasette: Datasette, agency_id: str | None = None) -> tuple[SourceEvent, ...]:
    db = datasette.get_database(DATABASE)
    if TABLE not in await db.table_names():
        return ()
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=RECOVERED_SHOWN_DAYS)).strftime("%Y-%m-%dT%H:%M:%SZ")
    where = "AND agency_id = :agency" if agency_id else ""
    rows = (
        await db.execute(
            f"SELECT agency_id, source_id, dataset, status, failing_since, recovered, consecutive_failures, "
            f"last_failure_reason, last_failure_message FROM {TABLE} "
            f"WHERE (status = 'failing' OR recovered >= :since) {where} "
            f"ORDER BY coalesce(failing_since, recovered) DESC, agency_id, source_id LIMIT 50",
            {"since": since, "agency": agency_id},
        )
    ).rows
    return tuple(
        SourceEvent(
            r["agency_id"],
            r["source_id"],
            r["dataset"],
            "failing" if r["status"] == "failing" else "recovered",
            r["failing_since"] if r["status"] == "failing" else r["recovered"],
            r["consecutive_failures"] or 0,
            r["last_failure_reason"],
            r["last_failure_message"],
        )
        for r in rows
    )


def add_entries(fg: Any, events: tuple[SourceEvent, ...], *, names: dict[str, str], page_url: Any, when: Any) -> None:
    """An Atom entry per event; ``page_url(agency_id)`` is the agency's page, ``when`` parses stored times."""
    for event in events:
        url = page_url(event.agency_id)
        name = names.get(event.agency_id, event.agency_id)
        entry = fg.add_entry(order="append")
        entry.id(f"{url}#source-{event.kind}-{event.source_id}-{event.at}")
        entry.link(href=url, rel="alternate", type="text/html")
        entry.updated(when(event.at))
        entry.category(term=f"source_{event.kind}", label=f"source {event.kind}")
        if event.kind == "failing":
            why = f" ({event.reason})" if event.reason else ""
            entry.title(f"{name}: source {event.source_id} ({event.dataset}) is failing{why}")
            entry.summary(
                f"{event.failures} runs in a row failed to fetch since {event.at}. "
                f"{(event.message or '')[:2000]} The last publication stays on the portal.".strip()
            )
        else:
            entry.title(f"{name}: source {event.source_id} ({event.dataset}) recovered")
            entry.summary(f"Fetched again on {event.at} after failing (last failure: {event.reason or 'unknown'}).")
