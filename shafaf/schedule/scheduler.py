"""The scheduler: run what is due and what agencies asked for, publish what changed, repeat.

``run_due`` is one pass (``shafaf harvest --due`` from a system cron or
systemd timer is exactly one pass); ``run_forever`` (``shafaf scheduler``)
makes a pass at start-up, so a slot missed while the portal was down runs
once, and then sleeps until the next slot or the next look for requests.

- What is due: a source's latest slot at or before now has no run since it
  (``schedule.due_since``, decided by ``schedule.owed`` from two slots
  computed once per rule); however many slots were missed, one run is owed.
- Exactly one run: every run claims its source's lease (``state.claim``);
  a scheduled run passes the slot, so two passes at once run it once.
- Time: slots are computed in UTC from the wall clock at each pass; the
  waits between passes are monotonic (``Event.wait``) and never longer than
  ``scheduler_poll_s``, so a wall clock jump is noticed within one poll.
- Bounded: at most ``harvest_concurrency`` runs at once, one agency's
  sources in order; each fetch has the fetcher's own deadline.
- Stopping: ``stop`` (set on SIGTERM) lets running runs finish and starts no
  new one; an agency's queued runs not started stay queued for the next pass.
- A schedule that cannot be computed (``agency_requests.InForce.problem``, or
  a ScheduleError while evaluating it) leaves that source unscheduled and is
  one of the pass's ``problems``; every other source is scheduled as usual.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import threading
from collections.abc import Callable

from shafaf.config.registry import Agency, Registry, Source
from shafaf.config.schedule import Rule, format_utc, last_at_or_before, next_after, owed, parse_utc, problem_text
from shafaf.core.datadir import DataDir
from shafaf.core.errors import ScheduleError
from shafaf.core.models import Outcome, Trigger
from shafaf.harvest.runner import Runner, prune_raw
from shafaf.schedule import webhook
from shafaf.state import agency_requests, due_index, run_history
from shafaf.state import store as state_mod
from shafaf.state.freshness import ATTEMPTS, stale_agencies
from shafaf.state.store import Run, StateStore


@dataclasses.dataclass(frozen=True)
class Job:
    agency: Agency
    source: Source
    trigger: Trigger
    run_id: str | None = None  # the queued run of a request
    due_after: str | None = None  # the slot a scheduled run is owed for


@dataclasses.dataclass
class Pass:
    """What one pass did."""

    runs: list[Run] = dataclasses.field(default_factory=list)
    published: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)  # publish and webhook troubles, for the log


def due_jobs(
    registry: Registry, state: StateStore, *, now: dt.datetime, problems: list[str] | None = None
) -> list[Job]:
    """The scheduled sources owed a run at ``now``; a source whose schedule cannot be computed is left
    out and named in ``problems``.

    Only the sources ``schedule_due`` says may be due are evaluated
    (``due_index``): a pass costs in proportion to what is due, not to the
    registry.
    """
    tz = registry.portal.timezone
    rules = agency_requests.in_force(registry, state)
    scheduled = {
        key: due_index.rule_text(found.rule, found.problem, tz=tz)
        for key, found in rules.items()
        if found.rule is not None or found.problem is not None
    }
    with state.immediate() as conn:
        due_index.sync(conn, scheduled)
        maybe = due_index.candidates(conn, now)
    order = {key: i for i, key in enumerate(rules)}  # registry order, as the jobs always were
    keys = sorted((k for k in maybe if k in order), key=order.__getitem__)
    history = state.latest(keys)
    sources = {(a.id, s.id): (a, s) for a in registry.agencies for s in a.sources} if keys else {}
    jobs: list[Job] = []
    computed = []
    slots: dict[Rule, tuple[dt.datetime | None, dt.datetime | None] | ScheduleError] = {}
    for key in keys:
        agency, source = sources[key]
        found = rules[key]
        if found.rule is not None and found.rule not in slots:  # the cron work: once per distinct rule
            slots[found.rule] = _slots(found.rule, now, tz=tz)
        try:
            if found.problem is not None:
                raise ScheduleError(found.problem)
            if found.rule is None:
                continue
            computed_slots = slots[found.rule]
            if isinstance(computed_slots, ScheduleError):
                raise computed_slots
            latest, following = computed_slots
            last_attempt = history[key].newest_of(*ATTEMPTS)
            slot = owed(latest, following, last_attempt=parse_utc(last_attempt), now=now)
        except ScheduleError as e:
            if problems is not None:
                problems.append(f"{agency.id}/{source.id}: {found.problem or problem_text(e)}")
            continue
        computed.append(
            (key, maybe[key], last_attempt, due_index.next_due(latest, following, last_attempt=parse_utc(last_attempt)))
        )
        if slot is not None:
            jobs.append(Job(agency, source, Trigger.SCHEDULE, due_after=format_utc(slot)))
    if computed:
        with state.immediate() as conn:
            due_index.remember(conn, computed)
    return jobs


def _slots(rule: Rule, now: dt.datetime, *, tz: str) -> tuple[dt.datetime | None, dt.datetime | None] | ScheduleError:
    """The rule's latest slot at or before ``now`` and the slot after it (after ``now`` if it never fired)."""
    try:
        latest = last_at_or_before(rule, now, tz=tz)
        return latest, next_after(rule, latest if latest is not None else now, tz=tz)
    except ScheduleError as e:
        return e


def requested_jobs(registry: Registry, state: StateStore) -> list[Job]:
    """The agencies' queued "harvest now" runs (of sources still in the registry)."""
    sources = {(a.id, s.id): (a, s) for a in registry.agencies for s in a.sources}
    jobs: list[Job] = []
    for row in agency_requests.queued_runs(state):
        found = sources.get((row["agency_id"], row["source_id"]))
        if found is not None:
            jobs.append(Job(found[0], found[1], Trigger.REQUEST, run_id=row["run_id"]))
    return jobs


def run_due(
    registry: Registry,
    data: DataDir,
    *,
    now: dt.datetime | None = None,
    publish: bool = True,
    stop: threading.Event | None = None,
) -> Pass:
    """One pass: requests first, then due sources; publish each agency whose data changed; notify."""
    state = StateStore(data.state_db)
    now = now or state_mod.wall_clock()
    stop = stop or threading.Event()
    problems: list[str] = []
    jobs = requested_jobs(registry, state) + due_jobs(registry, state, now=now, problems=problems)
    result = Pass(runs=_run_jobs(jobs, registry, data, stop=stop), problems=problems)
    for agency_id in dict.fromkeys(r.agency_id for r in result.runs):
        prune_raw(data, agency_id, keep=registry.portal.keep_raw_runs)
    # New data, or a source that started failing or recovered: its availability is public (issue 23).
    changed = list(
        dict.fromkeys(
            r.agency_id for r in result.runs if r.outcome == Outcome.OK or run_history.change(state, r) is not None
        )
    )
    if publish and changed:
        result.published, problems = _publish(registry, data, changed)
        result.problems += problems
    if registry.portal.webhook_url:
        payloads = webhook.messages(result.runs, stale_agencies(registry, state, now=now), state)
        result.problems += webhook.send(registry.portal, payloads, agencies=registry.agencies)
    return result


def seconds_to_next(registry: Registry, state: StateStore, *, now: dt.datetime) -> float:
    """How long to sleep: until the earliest next slot, never longer than the request poll."""
    poll = registry.portal.scheduler_poll_s
    slots = []
    for rule in {found.rule for found in agency_requests.in_force(registry, state).values()} - {None}:
        try:  # once per distinct rule: thousands of sources share a few
            slots.append(next_after(rule, now, tz=registry.portal.timezone))
        except ScheduleError:
            continue  # reported by the pass (due_jobs); never a reason to stop sleeping sensibly
    if not slots:
        return poll
    return max(0.0, min(poll, (min(slots) - now).total_seconds()))


def run_forever(
    load: Callable[[], Registry], data: DataDir, *, stop: threading.Event, on_pass: Callable[[Pass], None] | None = None
) -> None:
    """Passes until ``stop`` is set: one at once (missed slots), then one at each slot or poll.

    ``load`` is called before each pass, so an edited registry takes effect
    without a restart.
    """
    while not stop.is_set():
        registry = load()
        result = run_due(registry, data, stop=stop)
        if on_pass:
            on_pass(result)
        now = state_mod.wall_clock()
        # A slot just reached: wake a moment after it, so it is "at or before now" on the next pass.
        stop.wait(seconds_to_next(registry, StateStore(data.state_db), now=now) + 0.01)


# --- running


def _run_jobs(jobs: list[Job], registry: Registry, data: DataDir, *, stop: threading.Event) -> list[Run]:
    """Agencies in parallel (bounded), one agency's jobs in order; none started once ``stop`` is set."""
    by_agency: dict[str, list[Job]] = {}
    for job in jobs:
        by_agency.setdefault(job.agency.id, []).append(job)
    runner = Runner(registry, data)

    def one_agency(agency_jobs: list[Job]) -> list[Run]:
        out: list[Run] = []
        for job in agency_jobs:
            if stop.is_set():  # a scheduled job is due again next time; a queued one stays queued
                break
            out.extend(
                runner.source(job.agency, job.source, run_id=job.run_id, due_after=job.due_after, trigger=job.trigger)
            )
        return out

    if not by_agency:
        return []
    workers = max(1, min(registry.portal.harvest_concurrency, len(by_agency)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scheduler") as pool:
        results = list(pool.map(one_agency, by_agency.values()))
    return [run for runs in results for run in runs]


def _publish(registry: Registry, data: DataDir, agency_ids: list[str]) -> tuple[list[str], list[str]]:
    from shafaf.publish.refresh import publish_and_export

    results, downloads = publish_and_export(agency_ids, registry=registry, data=data)
    problems = [f"publish {r.agency_id}: {r.message}" for r in results if not r.ok] + ([downloads] if downloads else [])
    return [r.agency_id for r in results if r.ok], problems
