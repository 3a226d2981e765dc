"""What agencies ask of the portal, kept in ``state.db``: "harvest now" and their own schedules.

The public web process writes only here, and only for a request carrying
the agency's token; the scheduler (or ``shafaf harvest --due``) starts the
queued runs. A request is answered at once with the ids of the runs it
queued (one per source), so the agency can follow them in the run history.
A queued run is started only while it is still queued (``state.claim``), so
two schedulers never both run it and a scheduler stopped before starting it
leaves it for the next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from shafaf.config.registry import Agency, Registry, Source
from shafaf.config.schedule import Rule, format_utc, next_after, parse_utc, problem_text
from shafaf.config.schedule_limits import Limits, accept_rule
from shafaf.core.errors import RateLimited, ScheduleError, UsageError
from shafaf.core.models import Outcome
from shafaf.state import store as state_mod
from shafaf.state.asked_by import queued_message
from shafaf.state.store import Run, StateStore, new_run_id, utc_now

WINDOW = dt.timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class HarvestRequest:
    request_id: str
    agency_id: str
    source_id: str | None  # None: every source of the agency
    requested: str
    run_ids: dict[str, str]  # source id -> queued run id


def request_harvest(
    state: StateStore,
    agency: Agency,
    *,
    source_id: str | None = None,
    token_id: str | None = None,
    per_hour: int,
    by: str = "the agency",
    accept_shrink: bool = False,
) -> HarvestRequest:
    """Queue a harvest of the agency (or one source); RateLimited past ``per_hour`` requests in the last hour.

    ``by`` says who asked ("the agency through its console"): it heads the run's message in the public run
    history; ``token_id`` (which token asked) stays in ``harvest_requests``, private. ``accept_shrink``: the
    runs accept a file the shrink guard would hold (the caller checks that the portal lets agencies do so).
    """
    sources = [s for s in agency.sources if source_id is None or s.id == source_id]
    if not sources:
        raise UsageError(
            f"agency {agency.id!r} has no source {source_id!r}"
            if source_id
            else f"agency {agency.id!r} has no sources to harvest"
        )
    now = state_mod.wall_clock()
    with state.immediate() as conn:  # the count and the insert are one step: no burst slips past the limit
        recent = [
            parse_utc(r[0])
            for r in conn.execute(
                "SELECT requested FROM harvest_requests WHERE agency_id = ? AND requested > ? ORDER BY requested",
                (agency.id, format_utc(now - WINDOW)),
            )
        ]
        if len(recent) >= per_hour:
            oldest = recent[-per_hour] if per_hour else now
            wait = max(1, int(((oldest or now) + WINDOW - now).total_seconds()) + 1)
            raise RateLimited(
                f"agency {agency.id!r} asked for {len(recent)} harvests in the last hour; the portal allows {per_hour}",
                retry_after=wait,
            )
        runs = {s.id: _queued(agency, s, by, accept_shrink) for s in sources}
        request = HarvestRequest(
            request_id=new_run_id(),
            agency_id=agency.id,
            source_id=source_id,
            requested=format_utc(now),
            run_ids={k: r.run_id for k, r in runs.items()},
        )
        conn.execute(
            "INSERT INTO harvest_requests VALUES (?, ?, ?, ?, ?, ?)",
            (
                request.request_id,
                agency.id,
                source_id,
                request.requested,
                token_id,
                json.dumps(request.run_ids, sort_keys=True),
            ),
        )
        for run in runs.values():
            row = run.as_row()
            conn.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})", row)
    return request


def _queued(agency: Agency, source: Source, by: str, accept_shrink: bool) -> Run:
    return Run.of_source(
        agency.id,
        source,
        run_id=new_run_id(),
        started=utc_now(),
        outcome=Outcome.QUEUED,
        message=queued_message(by, accept_shrink=accept_shrink),
    )


def queued_runs(state: StateStore) -> list[dict[str, str]]:
    """Every queued run, oldest first: what the scheduler owes the agencies."""
    with state.connect() as conn:
        rows = conn.execute(
            "SELECT run_id, agency_id, source_id FROM runs WHERE outcome = ? ORDER BY run_id", (str(Outcome.QUEUED),)
        )
        return [dict(r) for r in rows]


def pending(state: StateStore, agency_id: str) -> list[dict[str, str]]:
    """The agency's queued runs, for its page."""
    with state.connect() as conn:
        rows = conn.execute(
            "SELECT run_id, source_id, dataset, started FROM runs WHERE agency_id = ? AND outcome = ? ORDER BY started",
            (agency_id, str(Outcome.QUEUED)),
        )
        return [dict(r) for r in rows]


# --- schedules set by the agency or an operator


def set_schedule(
    state: StateStore, agency: Agency, source_id: str, rule: Rule | object, *, by: str, limits: Limits, tz: str
) -> tuple[Rule, dt.datetime]:
    """Store a schedule over the registry's, with its next run; nothing is stored for a rule the portal
    does not accept (ScheduleError says why) or an unknown source (UsageError)."""
    _source(agency, source_id)
    parsed = accept_rule(rule.to_json() if isinstance(rule, Rule) else rule, limits=limits)
    upcoming = next_after(parsed, state_mod.wall_clock(), tz=tz)  # computed before storing: it must have one
    with state.connect() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO schedule_overrides VALUES (?, ?, ?, ?, ?)",
            (agency.id, source_id, json.dumps(parsed.to_json(), sort_keys=True), utc_now(), by),
        )
    return parsed, upcoming


def reset_schedule(state: StateStore, agency: Agency, source_id: str | None = None) -> int:
    """Back to the registry's schedule for one source (or all of the agency's); how many were reset."""
    if source_id is not None:
        _source(agency, source_id)
    with state.connect() as conn:
        if source_id is None:
            return conn.execute("DELETE FROM schedule_overrides WHERE agency_id = ?", (agency.id,)).rowcount
        return conn.execute(
            "DELETE FROM schedule_overrides WHERE agency_id = ? AND source_id = ?", (agency.id, source_id)
        ).rowcount


@dataclasses.dataclass(frozen=True)
class InForce:
    """The rule a source is scheduled by: the override set by the agency or an operator, else the registry's.

    ``problem`` is set when the stored override cannot be used (written by an
    older Shafaf, edited in state.db by hand, or no longer within the portal's
    limits); the source is then not scheduled until the override is set again
    or reset, and every view reports the problem for that source only.
    """

    rule: Rule | None
    overridden: bool = False
    problem: str | None = None


def in_force(registry: Registry, state: StateStore) -> dict[tuple[str, str], InForce]:
    """Every registry source's schedule in force, keyed by (agency id, source id)."""
    stored = _overrides(state, registry.portal.schedule_limits)
    out: dict[tuple[str, str], InForce] = {}
    for agency in registry.agencies:
        for source in agency.sources:
            key = (agency.id, source.id)
            out[key] = stored.get(key, InForce(source.schedule))
    return out


def _overrides(state: StateStore, limits: Limits) -> dict[tuple[str, str], InForce]:
    with state.connect() as conn:
        rows = conn.execute("SELECT agency_id, source_id, rule FROM schedule_overrides").fetchall()
    out = {}
    for row in rows:
        try:
            value = json.loads(row["rule"]) if isinstance(row["rule"], str) else row["rule"]
            found = InForce(accept_rule(value, limits=limits), overridden=True)
        except ScheduleError as e:
            found = InForce(None, overridden=True, problem=problem_text(e))
        except (ValueError, RecursionError) as e:  # not JSON at all
            found = InForce(
                None,
                overridden=True,
                problem=problem_text(ScheduleError(f"the stored rule is not JSON ({type(e).__name__})")),
            )
        out[(row["agency_id"], row["source_id"])] = found
    return out


def _source(agency: Agency, source_id: str) -> Source:
    for source in agency.sources:
        if source.id == source_id:
            return source
    known = ", ".join(s.id for s in agency.sources) or "none"
    raise UsageError(f"agency {agency.id!r} has no source {source_id!r} (its sources: {known})")
