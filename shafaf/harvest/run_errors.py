"""What a run becomes when something unforeseen raises inside it: a failed run, never a crashed harvest.

Harvesters, the validator and the stager raise our errors for what a source
can do wrong (``HarvestError``, ``StageError``); the runner records those
with their own reasons. Anything else (a bug, text that cannot be encoded, a
state.db that refused a write) is caught by ``Runner.source`` and handed
here: the run is recorded ``failed`` with reason ``internal`` (``disk_full`` when
the portal's disk is full: not a bug, no traceback kept) and a one-line
public message naming agency, source and location, its lease is freed only
in the same transaction, and the traceback goes once to the operator, into
``raw/<agency>/<run>/traceback.txt`` beside the run's capture, with one line
on the ``shafaf.harvest`` log naming it. The public message never carries
the exception's text: it may hold a path, a secret or the very character
that could not be stored.

If even that write fails, the run keeps its lease: the next process to open
state.db after this one ends sees the holder gone and marks the run
``aborted`` (``leases.reap``). Nothing stays ``running`` for ever.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from shafaf.core.diskfull import harvest_message, is_disk_full
from shafaf.core.models import Outcome, Phase, Reason
from shafaf.core.text_checks import cleaned
from shafaf.stage.package import write_json
from shafaf.state.store import Run, StateStore

log = logging.getLogger("shafaf.harvest")

_DOING = {Phase.HARVEST: "capturing", Phase.VALIDATE: "validating and staging", Phase.PUBLISH: "publishing"}


def public_message(run: Run, error: BaseException) -> str:
    doing = _DOING.get(run.phase, "running")
    text = (
        f"{run.agency_id}/{run.source_id}: the run stopped on an internal error ({type(error).__name__}) "
        f"while {doing} {run.location}; the last good data stays published; the operator's log has the details"
    )
    return cleaned(text, one_line=True)


def end_by_error(state: StateStore, run: Run, error: BaseException, *, raw: Path, claimed: bool = True) -> Run:
    """Record ``run`` failed (reason ``internal``) unless it already had its outcome; log the traceback once.

    ``claimed``: the run is in state.db holding its lease; otherwise (its claim
    failed) it is recorded as a new, failed run if state.db takes it.
    """
    full = is_disk_full(error, raw)
    where = None if full else _write_traceback(raw, error)  # a full disk is not a bug: no traceback to keep
    reason = Reason.DISK_FULL if full else Reason.INTERNAL
    message = harvest_message(_DOING.get(run.phase, "running"), error) if full else public_message(run, error)
    try:
        if claimed:
            ended = state.end_run(run, Outcome.FAILED, reason=reason, message=message)
        else:
            state.finish(run, Outcome.FAILED, reason=reason, message=message)
            ended = True
    except Exception as second:  # state.db itself is failing: the lease stays for the sweep (see above)
        log.error(
            "run %s of %s/%s: %s, and its outcome could not be written (%s); it will show as aborted once "
            "this process has ended",
            run.run_id,
            run.agency_id,
            run.source_id,
            type(error).__name__,
            type(second).__name__,
            exc_info=error if where is None else None,
        )
        run.outcome, run.reason, run.message = Outcome.FAILED, reason, message
        return run
    try:
        write_json(raw / "run.json", run.as_row())
    except (OSError, ValueError):  # the record in state.db is the one that counts
        pass
    kept = "" if ended else f"; its outcome {run.outcome} was already recorded and stands"
    if full:
        log.error(
            "run %s of %s/%s stopped: the portal's disk is full (%s)%s",
            run.run_id,
            run.agency_id,
            run.source_id,
            type(error).__name__,
            kept,
        )
    elif where is not None:
        log.error(
            "run %s of %s/%s stopped on %s%s; traceback in %s",
            run.run_id,
            run.agency_id,
            run.source_id,
            type(error).__name__,
            kept,
            where,
        )
    else:
        log.error(
            "run %s of %s/%s stopped on %s%s",
            run.run_id,
            run.agency_id,
            run.source_id,
            type(error).__name__,
            kept,
            exc_info=error,
        )
    return run


def _write_traceback(raw: Path, error: BaseException) -> Path | None:
    """The traceback beside the run's capture; None when it cannot be written there (then it is logged)."""
    text = "".join(traceback.format_exception(error))
    try:
        raw.mkdir(parents=True, exist_ok=True)
        path = raw / "traceback.txt"
        path.write_text(text, encoding="utf-8", errors="backslashreplace")
        return path
    except OSError:
        return None
