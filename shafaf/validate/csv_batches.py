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
from shafaf.validate.csv_quotes import EOF_SENTINEL, WholeFileError, refuse_open_quote_in
from shafaf.validate.read_errors import stage_error
from shafaf.validate.readers import CsvSource, Table, reading_error

Batch = list[tuple[int, list[str]]]  # (source row number, cells)


def batches(table: Table, size: int) -> Iterator[Batch]:
    """The table's rows, ``size`` at a time; a CSV's encoding problem raised once it is read whole.

    With ``CsvSource.sentinel``, the read is also the open-quote check (``csv_quotes``): a sentinel line is
    read after the file, and the last row must be the sentinel's own (held back one batch to see it). A fault
    the row engines find before any row (an open quote, a field over the size limit) is a ``WholeFileError``.
    """
    src = table.csv_source
    if src is None:
        rows = ((n, cells) for n, cells, _ in table.rows)
        while batch := list(itertools.islice(rows, size)):
            yield batch
        return
    sentinel = src.sentinel
    try:
        with open(src.path, encoding=src.encoding, newline="") as f:
            lines = itertools.chain(f, [EOF_SENTINEL + '"\n']) if sentinel is not None else f
            numbered = zip(itertools.count(2), itertools.islice(csv.reader(lines, src.dialect), 1, None))
            batch = list(itertools.islice(numbered, size))
            if sentinel is not None and not batch:
                _open_quote(src)  # the sentinel line was read into the header: a quote the header left open
            while batch:
                following = list(itertools.islice(numbered, size))
                if sentinel is not None and not following and batch.pop()[1] != sentinel:
                    _open_quote(src)  # the sentinel line was read into the last row: a quote left open
                if batch:
                    yield batch
                batch = following
    except (UnicodeDecodeError, csv.Error) as e:
        if sentinel is None:
            raise reading_error(e, src) from e
        error = stage_error(e, src.path, "csv", src.encoding, src.how, when="cannot be read")
        raise WholeFileError(error.reason, error.message) from e
    if (problem := src.guard.problem()) is not None:
        raise StageError(Reason.ENCODING, problem)
    table.notes.extend(src.guard.notes())


def _open_quote(src: CsvSource) -> None:
    """The row engines' refusal of a quote left open, with their words (a second read, only for such a file)."""
    try:
        refuse_open_quote_in(src.dialect, src.path, src.encoding, src.how)
    except StageError as e:
        raise WholeFileError(e.reason, e.message) from e
    raise WholeFileError(Reason.STRUCTURE, f"{src.path.name}: a quote is left open at the end of the file")


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
