"""What the last accepted capture of a source was (``state.db``'s ``source_state``): conditional requests and
"unchanged" runs, both only while the source's configuration and its staged data are what they were."""

from __future__ import annotations

import dataclasses
import hashlib

from shafaf.config.registry import Source
from shafaf.core.datadir import DataDir
from shafaf.harvest.net.fetch import Validators
from shafaf.harvest.sources.base import Capture
from shafaf.state.store import StateStore


def fingerprint(source: Source) -> str:
    """Changes when the source's configuration does, so a new mapping re-stages unchanged bytes."""
    text = repr(dataclasses.replace(source, line=None))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def staged(data: DataDir, agency_id: str, source: Source) -> bool:
    """Whether the source's dataset is in the agency's package (a multi-agency source's parts are elsewhere)."""
    if source.agency_column:
        return True  # its parts live in other agencies' packages
    return (data.packages(agency_id) / f"{source.dataset}.csv").exists()


def validators(state: StateStore, data: DataDir, agency_id: str, source: Source) -> Validators | None:
    """The ETag and Last-Modified to send, when the last accepted capture still stands for the source."""
    remembered = state.source_state(agency_id, source.id)
    if remembered and remembered["fingerprint"] == fingerprint(source) and staged(data, agency_id, source):
        return Validators(etag=remembered["etag"], last_modified=remembered["last_modified"])
    return None


def unchanged(
    state: StateStore, data: DataDir, agency_id: str, source: Source, capture: Capture, *, force: bool
) -> bool:
    """The server said so, or the bytes are the last accepted ones under the same configuration."""
    if capture.not_modified:
        return True
    if force:
        return False
    remembered = state.source_state(agency_id, source.id)
    return bool(
        remembered
        and capture.sha256
        and remembered["sha256"] == capture.sha256
        and remembered["fingerprint"] == fingerprint(source)
        and staged(data, agency_id, source)
    )


def remember(state: StateStore, agency_id: str, source: Source, capture: Capture) -> None:
    """Record an accepted capture, for the next run's conditional request and "unchanged"."""
    state.remember_source(
        agency_id,
        source.id,
        fingerprint=fingerprint(source),
        sha256=capture.sha256,
        etag=capture.etag,
        last_modified=capture.last_modified,
    )
