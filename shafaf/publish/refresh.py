"""Publish, then refresh the downloads: the one sequence the CLI and the scheduler both run.

The downloads describe what is published, so they are rewritten after a
publish that changed something; a failure there (``ExportError``) leaves the
previous downloads served and is reported, never raised: the publication
itself stands. Agencies found in multi-agency files are published with the
registry's own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from shafaf.config.registry import Registry
from shafaf.core.datadir import DataDir
from shafaf.core.errors import ExportError
from shafaf.publish.exports import write_exports
from shafaf.publish.writer import PublishResult, as_publish_error, failed_results, publish
from shafaf.state.found_agencies import with_found_agencies


def publish_and_export(
    agency_ids: tuple[str, ...] | list[str],
    *,
    registry: Registry,
    data: DataDir,
    rebuild: bool = False,
    exports: bool = True,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[PublishResult], None] | None = None,
) -> tuple[list[PublishResult], str | None]:
    """The publish results, and what went wrong with the downloads (None when they were refreshed or not asked for).

    ``agency_ids`` empty means every agency; ``on_start(n)`` is told how many will be published.
    """
    try:
        registry = with_found_agencies(registry, data)
    except (sqlite3.Error, OSError) as e:  # state.db cannot even be opened (a full disk)
        chosen = list(registry.agencies) if rebuild else registry.select(agency_ids)
        return failed_results(chosen, as_publish_error(e, data.root)), None
    agencies = list(registry.agencies) if rebuild else registry.select(agency_ids)
    if on_start:
        on_start(len(agencies))
    results = publish(agencies, registry=registry, data=data, on_result=on_result, rebuild=rebuild)
    if not exports or not any(r.ok for r in results):
        return results, None
    try:
        write_exports(data.public_db, data.downloads, registry=registry)
    except ExportError as e:
        return results, f"the downloads were not refreshed: {e}"
    return results, None
