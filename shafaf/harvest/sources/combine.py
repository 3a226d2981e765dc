"""Combine several captured tables into one UTF-8 CSV for staging.

A CKAN organization often publishes one table per year or per quarter. Staging
takes one table per source, so the parts are concatenated here, row by row:
each part is read through ``readers.open_table`` (CSV, XLSX and JSON alike)
and streamed into the output, never held whole in memory. Parts must share
one header; concatenating tables whose columns differ would shift values
into the wrong columns, so that is refused with both headers named.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from shafaf.core.errors import HarvestError, StageError
from shafaf.core.models import Reason
from shafaf.core.public_message import listing
from shafaf.harvest.sources.base import file_digest
from shafaf.validate.readers import open_table


@dataclasses.dataclass(frozen=True)
class Part:
    """One captured table; ``label`` names it for a person (resource and dataset)."""

    path: Path
    format: str
    label: str


@dataclasses.dataclass(frozen=True)
class Combined:
    path: Path
    rows: int
    bytes: int
    sha256: str


def combine(parts: list[Part], target: Path, *, encoding: str | None = None, sheet: str | None = None) -> Combined:
    """Write the rows of every part, in order, under the first part's header into ``target`` (UTF-8 CSV).

    ``encoding`` and ``sheet`` are how the parts are read (the source's
    settings); the output is always UTF-8 without a BOM. On any failure the
    partial output is removed and HarvestError raised: STRUCTURE when the
    headers differ, or the reason the reader gave for an unreadable part.
    """
    if not parts:
        raise ValueError("combine needs at least one part")
    header: list[str] | None = None
    first: Part | None = None
    rows = 0
    try:
        with target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            for part in parts:
                try:
                    with open_table(part.path, format=part.format, encoding=encoding, sheet=sheet) as table:
                        labels = [label.strip() for label in table.labels]
                        if header is None:
                            header, first = labels, part
                            writer.writerow(header)
                        elif labels != header:
                            raise HarvestError(Reason.STRUCTURE, _header_mismatch(first, header, part, labels))
                        for _, cells, _ in table.rows:
                            writer.writerow(cells)
                            rows += 1
                except StageError as e:
                    raise HarvestError(e.reason, f"{part.label} cannot be read as a table: {e.message}") from e
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    size, sha256 = file_digest(target)
    return Combined(path=target, rows=rows, bytes=size, sha256=sha256)


def _header_mismatch(a: Part | None, a_labels: list[str], b: Part, b_labels: list[str]) -> str:
    only_a = [x for x in a_labels if x not in b_labels]
    only_b = [x for x in b_labels if x not in a_labels]
    detail = []
    if only_a:
        detail.append(f"only in the first: {listing(only_a, quote=False)}")
    if only_b:
        detail.append(f"only in the second: {listing(only_b, quote=False)}")
    if not detail:
        detail.append("same columns in a different order")
    return (
        f"the resources cannot be combined into one table because their headers differ ({'; '.join(detail)}): "
        f"{a.label if a else 'the first part'} has columns [{listing(a_labels, quote=False)}] but "
        f"{b.label} has [{listing(b_labels, quote=False)}]"
    )
