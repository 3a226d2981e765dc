"""Where each source stands: its schedule, last run, next due time, and whether its data is stale.

One function for ``shafaf status``, the scheduler's webhook, the agency page,
the league table and the Atom feeds, so they never disagree. It reads
``state.db`` (the run record is written there first; the public copy in
``harvest_runs`` lags until the next publish) and applies the schedule
rules of ``schedule``.

An agency is stale when one of its scheduled sources has had
``stale_after_missed_runs`` slots pass since its last good run (``ok`` or
``unchanged``: an unchanged answer confirms the data is current).

A source whose schedule cannot be computed (``schedule_problem``) is shown
with the problem, no next run and not stale; the other sources are not
affected.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from shafaf.config.registry import Registry
from shafaf.config.schedule import Rule, format_utc, next_after, nth_previous, older_than_limit, parse_utc, problem_text
from shafaf.core.errors import ScheduleError
from shafaf.core.models import Outcome
from shafaf.state import store as state_mod
from shafaf.state.agency_requests import in_force
from shafaf.state.store import StateStore

GOOD = (Outcome.OK, Outcome.UNCHANGED)
# What counts as having tried a slot: not a skipped or queued run; an aborted one is retried (it never finished).
ATTEMPTS = (Outcome.OK, Outcome.UNCHANGED, Outcome.FAILED, Outcome.NEEDS_REVIEW, Outcome.RUNNING)


@dataclasses.dataclass(frozen=True)
class SourceStatus:
    agency_id: str
    source_id: str
    dataset: str
    rule: Rule | None
    overridden: bool  # the agency (or an operator) set this schedule over the registry's
    last_run: str | None
    outcome: str | None
    reason: str | None
    message: str | None
    rows: int | None
    last_attempt: str | None  # the latest run that was not skipped or only queued
    last_good: str | None
    next_due: str | None
    freshness_days: float | None  # days since the last good run, as of when this was computed
    stale: bool
    schedule_problem: str | None = None  # "schedule cannot be computed: ..." (the source is not scheduled)

    def as_dict(self) -> dict[str, Any]:
        # Shallow: every field is plain but the rule, replaced by its JSON (asdict's deep copy was a tenth of
        # ``shafaf status`` at 5,000 sources).
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "rule"}
        row["schedule"] = self.rule.to_json() if self.rule else None
        return row


def source_statuses(
    registry: Registry, state: StateStore, *, now: dt.datetime | None = None, agency_id: str | None = None
) -> list[SourceStatus]:
    """Every registry source (or one agency's), in registry order."""
    now = now or state_mod.wall_clock()
    tz, missed = registry.portal.timezone, registry.portal.stale_after_missed_runs
    rules = in_force(registry, state)
    agencies = [a for a in registry.agencies if agency_id is None or a.id == agency_id]
    history = state.latest([(a.id, s.id) for a in agencies for s in a.sources])
    slots: dict[Rule, tuple[dt.datetime | None, dt.datetime | None, str | None]] = {}
    out = []
    for agency in agencies:
        for source in agency.sources:
            key = (agency.id, source.id)
            rule, problem = rules[key].rule, rules[key].problem
            runs = history[key]
            run = runs.last or {}
            last_good = runs.newest_of(*GOOD)
            if rule is not None and rule not in slots:  # sources share a few rules; croniter is the cost here
                slots[rule] = _slots(rule, now, tz=tz, missed=missed)
            upcoming, limit, problem = slots[rule] if rule is not None else (None, None, problem)
            out.append(
                SourceStatus(
                    agency_id=agency.id,
                    source_id=source.id,
                    dataset=source.dataset,
                    rule=rule,
                    overridden=rules[key].overridden,
                    last_run=run.get("started"),
                    outcome=run.get("outcome"),
                    reason=run.get("reason"),
                    message=run.get("message"),
                    rows=run.get("rows_passed"),
                    last_attempt=runs.newest_of(*ATTEMPTS),
                    last_good=last_good,
                    next_due=format_utc(upcoming) if upcoming else None,
                    freshness_days=_days(now, last_good),
                    stale=older_than_limit(parse_utc(last_good), limit),
                    schedule_problem=problem,
                )
            )
    return out


def _slots(
    rule: Rule, now: dt.datetime, *, tz: str, missed: int
) -> tuple[dt.datetime | None, dt.datetime | None, str | None]:
    """The next slot and the staleness limit, or the problem that stops them being computed."""
    try:
        return next_after(rule, now, tz=tz), nth_previous(rule, now, missed, tz=tz), None
    except ScheduleError as e:
        return None, None, problem_text(e)


def stale_agencies(registry: Registry, state: StateStore, *, now: dt.datetime | None = None) -> dict[str, list[str]]:
    """Agency id -> its stale sources, for the agencies that have any (the feeds' and the webhook's question)."""
    out: dict[str, list[str]] = {}
    for status in source_statuses(registry, state, now=now):
        if status.stale:
            out.setdefault(status.agency_id, []).append(status.source_id)
    return out


def _days(now: dt.datetime, since: str | None) -> float | None:
    moment = parse_utc(since)
    return None if moment is None else round((now - moment).total_seconds() / 86400, 2)
