"""The harvest runner: for each source, capture → validate → staged package.

Each source is one run, recorded in ``state.db`` and in
``var/raw/<agency>/<run-id>/run.json`` beside the bytes captured. A failing
source becomes a failed run record; the runner goes on with the next one.
"""

from __future__ import annotations

import shutil
from typing import Callable

from . import harvesters
from .datadir import DataDir
from .errors import HarvestError, StageError
from .models import Outcome, Phase, Reason
from .registry import Agency, Registry, Source
from .stage import stage_file, write_json
from .state import Run, StateStore


def harvest_source(agency: Agency, source: Source, *, registry: Registry, data: DataDir, state: StateStore) -> Run:
    """Capture and stage one source; always returns a finished run, never raises our errors."""
    run = state.start(agency_id=agency.id, source_id=source.id, dataset=source.dataset, kind=source.kind, location=source.location)
    dest = data.raw(agency.id, run.run_id)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        capture = harvesters.for_kind(source.kind).capture(source, dest)
        run.bytes, run.sha256 = capture.bytes, capture.sha256
        run.phase = Phase.VALIDATE
        result = stage_file(capture.path, agency=agency, source=source, format=capture.format,
                            run_id=run.run_id, portal=registry.portal, pkg=data.packages(agency.id))
        report = result.report
        run.rows_read, run.rows_passed, run.rows_failed = report.rows_read, report.rows_passed, report.rows_failed
        if result.accepted:
            state.finish(run, Outcome.OK, message=result.message)
        else:
            state.finish(run, Outcome.FAILED, reason=result.reason, message=result.message)
    except (HarvestError, StageError) as e:
        state.finish(run, Outcome.FAILED, reason=e.reason, message=e.message)
    except OSError as e:
        state.finish(run, Outcome.FAILED, reason=Reason.UNREADABLE, message=f"{type(e).__name__}: {e}")
    write_json(dest / "run.json", run.as_row())
    return run


def harvest(
    agencies: list[Agency],
    *,
    registry: Registry,
    data: DataDir,
    on_run: Callable[[Run], None] | None = None,
) -> list[Run]:
    """Harvest every source of the given agencies, one after the other."""
    state = StateStore(data.state_db)
    runs = []
    for agency in agencies:
        for source in agency.sources:
            run = harvest_source(agency, source, registry=registry, data=data, state=state)
            runs.append(run)
            if on_run:
                on_run(run)
    return runs


def prune_raw(data: DataDir, agency_id: str, *, keep: int = 50) -> None:
    """Keep the raw captures of the last ``keep`` runs of an agency."""
    root = data.root / "raw" / agency_id
    if not root.is_dir():
        return
    for old in sorted(p for p in root.iterdir() if p.is_dir())[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
