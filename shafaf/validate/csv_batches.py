"""A table's rows in batches, and the text guard over each batch (for ``columnar``).

Why apart: reading is the one part of the columnar engine that knows where
the rows come from. A CSV is read by ``csv.reader`` with the dialect and the
decoding frictionless chose for it (``readers.CsvSource``); a file of another
format (XLSX, JSON...) comes decoded by frictionless, whose guard has seen
every cell already. The text guard does over a batch what ``see_row`` does row
by row, each distinct clean cell counted once.
"""

from __future__ import annotations

import collections
import csv
import itertools
from collections.abc import Iterator

from shafaf.core.errors import StageError
from shafaf.core.models import Reason
from shafaf.validate.readers import Table, reading_error

Batch = list[tuple[int, list[str]]]  # (source row number, cells)


def batches(table: Table, size: int) -> Iterator[Batch]:
    """The table's rows, ``size`` at a time; a CSV's encoding problem raised once it is read whole."""
    src = table.csv_source
    if src is None:
        rows = ((n, cells) for n, cells, _ in table.rows)
        while batch := list(itertools.islice(rows, size)):
            yield batch
        return
    try:
        with open(src.path, encoding=src.encoding, newline="") as f:
            numbered = zip(itertools.count(2), itertools.islice(csv.reader(f, src.dialect), 1, None))
            while batch := list(itertools.islice(numbered, size)):
                yield batch
    except (UnicodeDecodeError, csv.Error) as e:
        raise reading_error(e, src) from e
    if (problem := src.guard.problem()) is not None:
        raise StageError(Reason.ENCODING, problem)
    table.notes.extend(src.guard.notes())


def guard(table: Table, batch: Batch, regular: list[int], cols: list[tuple[str, ...]]) -> None:
    """The text guard over a batch of a CSV: what ``see_row`` row by row would do.

    ``regular``: the rows in ``cols`` (the batch's columns); every other row is looked at cell by cell.
    """
    text_guard, labels = table.csv_source.guard, table.labels  # type: ignore[union-attr]
    suspects: list[tuple[int, int, str]] = []
    if len(regular) < len(batch):
        inside = set(regular)
        for k, (_, cells) in enumerate(batch):
            if k not in inside:
                for i, cell in enumerate(cells):
                    if not cell.isascii():
                        if text_guard.suspect(cell):
                            suspects.append((k, i, cell))
                        else:
                            text_guard.count_clean(1, len(cell))
    if regular:
        for i, col in enumerate(cols):
            if "".join(col).isascii():
                continue
            for cell, n in collections.Counter(col).items():
                if cell.isascii():
                    continue
                if not text_guard.suspect(cell):
                    text_guard.count_clean(n, n * len(cell))
                else:
                    suspects += [(regular[j], i, cell) for j, c in enumerate(col) if c == cell]
    for k, i, cell in sorted(suspects, key=lambda s: (s[0], s[1])):
        text_guard.see(cell, batch[k][0], labels[i] if i < len(labels) else f"column {i + 1}")
