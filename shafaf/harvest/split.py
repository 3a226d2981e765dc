"""Split one national file into one file per agency, by the source's ``agency_column``.

A service inventory published centrally (Canada's covers some eighty
departments) is captured once and split here; each agency's part is then
staged exactly like a file of its own, so validation, the row policy and the
"last good data stays" promise apply per agency. Rows are streamed: one open
writer per agency, never the table in memory.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import dataclasses
from pathlib import Path

from shafaf.config.registry import AGENCY_ID, Source
from shafaf.core.errors import StageError
from shafaf.core.models import Reason
from shafaf.core.public_message import listing
from shafaf.validate.mapping import normalize_cell
from shafaf.validate.readers import open_table


@dataclasses.dataclass
class Part:
    agency_id: str
    path: Path
    rows: int = 0
    names: dict[str, str] = dataclasses.field(default_factory=dict)  # name_en/name_fa/website from new_agencies


@dataclasses.dataclass
class Split:
    parts: dict[str, Part]
    bad_ids: collections.Counter  # values of the agency column that cannot be agency ids, with row counts
    blank_rows: int = 0


def agency_of(cell: str, source: Source) -> str:
    """The agency id a cell of the agency column stands for, after the source's ``values`` map."""
    value = normalize_cell(cell, "string", is_code=True)
    table = source.values.get("agency_id", {})
    mapped = table.get(value, table.get("*", value))
    return "" if mapped is None else str(mapped)


def split_by_agency(path: Path, source: Source, *, format: str, dest: Path, expect_persian: bool = True) -> Split:
    """Write ``dest/<agency>.csv`` (UTF-8, the file's own header) for every agency in the file."""
    assert source.agency_column, "split_by_agency needs a source with an agency_column"
    dest.mkdir(parents=True, exist_ok=True)
    parts: dict[str, Part] = {}
    bad: collections.Counter = collections.Counter()
    blank = 0
    with contextlib.ExitStack() as stack:
        table = stack.enter_context(
            open_table(path, format=format, encoding=source.encoding, sheet=source.sheet, expect_persian=expect_persian)
        )
        labels = table.labels
        column = _index(labels, source.agency_column, path)
        name_columns = {key: _index(labels, col, path) for key, col in source.new_agencies.items()}
        writers: dict[str, csv.writer] = {}
        for _row_number, cells, _structural in table.rows:
            if not any(c.strip() for c in cells):
                continue
            agency_id = agency_of(cells[column] if column < len(cells) else "", source)
            if not agency_id:
                blank += 1
                continue
            if not AGENCY_ID.match(agency_id):
                bad[agency_id] += 1
                continue
            part = parts.get(agency_id)
            if part is None:
                part = parts[agency_id] = Part(agency_id, dest / f"{agency_id}.csv")
                part.names = {
                    k: cells[i].strip() for k, i in name_columns.items() if i < len(cells) and cells[i].strip()
                }
                handle = stack.enter_context(part.path.open("w", newline="", encoding="utf-8"))
                writers[agency_id] = csv.writer(handle)
                writers[agency_id].writerow(labels)
            writers[agency_id].writerow(cells)
            part.rows += 1
    return Split(parts=dict(sorted(parts.items())), bad_ids=bad, blank_rows=blank)


def _index(labels: list[str], wanted: str, path: Path) -> int:
    for i, label in enumerate(labels):
        if label.strip().casefold() == wanted.strip().casefold():
            return i
    raise StageError(
        Reason.MISSING_COLUMN,
        f"{path.name} has no column {wanted!r} to split agencies by; its columns are: {listing(labels)}",
    )
