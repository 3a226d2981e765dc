"""The portal's optional webhook: one JSON message per failed run, per agency gone stale, and per source
that starts failing or recovers (``source_failing``, ``source_recovered``: from the run before it, issue 23).

An agency may have its own (``webhook_url`` of the agency in the registry):
it receives the messages about that agency only, beside the portal's.

Sent through the guarded fetcher (its deadline, destination checks and
retries), so a hanging or hostile receiver costs at most one fetch deadline
and can never reach an address a harvester could not. A failure to deliver
is reported to the caller and never fails a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shafaf.config.registry import Agency, Portal
from shafaf.core.errors import HarvestError
from shafaf.core.models import Outcome
from shafaf.harvest.net.fetch import FetchPolicy, post_json
from shafaf.state.run_history import change
from shafaf.state.store import Run, StateStore, utc_now

NOTIFY_OUTCOMES = (Outcome.FAILED, Outcome.NEEDS_REVIEW, Outcome.ABORTED)


def run_message(run: Run) -> dict[str, Any]:
    return {
        "event": "run_failed",
        "agency_id": run.agency_id,
        "source_id": run.source_id,
        "run_id": run.run_id,
        "dataset": run.dataset,
        "outcome": str(run.outcome),
        "reason": None if run.reason is None else str(run.reason),
        "message": run.message,
        "started": run.started,
        "finished": run.finished,
    }


def stale_message(agency_id: str, sources: list[str]) -> dict[str, Any]:
    return {"event": "agency_stale", "agency_id": agency_id, "sources": sorted(sources), "at": utc_now()}


def messages(runs: list[Run], stale: dict[str, list[str]], state: StateStore) -> list[dict[str, Any]]:
    """What to send: every failed run, and each agency that became stale since the last message about it.

    ``stale_notices`` in state.db remembers who was announced, so a cron job
    running ``harvest --due`` every few minutes does not repeat itself.
    """
    out = [run_message(r) for r in runs if r.outcome in NOTIFY_OUTCOMES]
    for run in runs:
        turned = change(state, run)
        if turned is not None:
            out.append(dict(run_message(run), event=f"source_{turned}"))
    with state.connect() as conn:
        told = {row[0] for row in conn.execute("SELECT agency_id FROM stale_notices")}
        for agency_id in sorted(set(stale) - told):
            out.append(stale_message(agency_id, stale[agency_id]))
            conn.execute("INSERT INTO stale_notices VALUES (?, ?)", (agency_id, utc_now()))
        for agency_id in told - set(stale):
            conn.execute("DELETE FROM stale_notices WHERE agency_id = ?", (agency_id,))
    return out


def send(portal: Portal, payloads: list[dict[str, Any]], *, agencies: Iterable[Agency] = ()) -> list[str]:
    """Post each message to the portal's webhook and its agency's; the problems met (empty when all arrived)."""
    own = {a.id: a.webhook_url for a in agencies if getattr(a, "webhook_url", None)}
    policy = FetchPolicy.from_portal(portal)
    problems = []
    for payload in payloads:
        targets = [url for url in (portal.webhook_url, own.get(payload.get("agency_id", ""))) if url]
        for url in dict.fromkeys(targets):
            try:
                post_json(url, payload, policy=policy)
            except HarvestError as e:
                problems.append(f"webhook: {e.reason}: {e.message}")
    return problems
