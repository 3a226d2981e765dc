"""One harvest run as stored in ``runs``, and what the run history says of one source."""

from __future__ import annotations

import dataclasses
from typing import Any

from shafaf.core.models import Outcome, Phase, Reason


@dataclasses.dataclass
class Run:
    """One harvest of one source, from capture through staging."""

    run_id: str
    agency_id: str
    source_id: str
    dataset: str
    kind: str
    location: str
    started: str
    finished: str | None = None
    outcome: Outcome = Outcome.RUNNING
    reason: Reason | None = None
    phase: Phase = Phase.HARVEST
    message: str = ""
    http_status: int | None = None
    bytes: int | None = None
    sha256: str | None = None
    rows_read: int | None = None
    rows_passed: int | None = None
    rows_staged: int | None = None
    rows_failed: int | None = None
    fetch_ms: int | None = None
    # Who asked for a queued run ("asked for by the agency through its console"): kept at the head of its
    # message when it finishes, so the published run history says it. Not a column of its own.
    requested_by: str = ""
    accept_shrink: bool = False  # the request accepts a held shrink (asked_by.ACCEPTING); not a column either

    @classmethod
    def of_source(cls, agency_id: str, source: Any, *, run_id: str, started: str, **fields: Any) -> Run:
        """A run of the registry's ``source`` (its id, dataset, kind and location) for ``agency_id``."""
        return cls(
            run_id=run_id,
            agency_id=agency_id,
            source_id=source.id,
            dataset=source.dataset,
            kind=source.kind,
            location=source.location,
            started=started,
            **fields,
        )

    def as_row(self) -> dict[str, Any]:
        row = dataclasses.asdict(self)
        del row["requested_by"], row["accept_shrink"]
        for key in ("outcome", "reason", "phase"):
            row[key] = None if row[key] is None else str(row[key])
        return row


@dataclasses.dataclass(frozen=True)
class SourceRuns:
    """What the run history says of one source (``StateStore.latest``)."""

    newest: dict[Outcome, str]  # outcome -> start of its newest run
    last: dict[str, Any] | None  # the newest run that is not only queued

    def newest_of(self, *outcomes: Outcome) -> str | None:
        found = [self.newest[o] for o in outcomes if o in self.newest]
        return max(found) if found else None
