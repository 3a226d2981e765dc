"""The staged CSV, written a block of columns at a time where no cell needs quoting.

Why: ``csv.writer`` costs about 3.5 CPU s of a million-row harvest, most of
it per-row work, though nearly every staged cell is plain text. A block of
the columnar engine's rows (its canonical text, column by column) is written
by joining: when no cell holds the delimiter, the quote or a line break (one
regular expression over the block) and every cell is text, the bytes are
those ``csv.writer`` writes with the excel dialect (``QUOTE_MINIMAL``,
``\\r\\n``); any other block, and a table of one column (whose empty cell the
writer quotes), goes through ``csv.writer`` itself. ``tests/test_staged_csv.py``
holds the two to the same bytes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

NEEDS_QUOTES = re.compile(r'[,"\r\n]')
_SEP = "\x1f"  # joins the cells for the check: a unit separator, itself no reason to quote


class ColumnBlock:
    """Rows held as columns (equal-length sequences, one per staged field)."""

    __slots__ = ("columns",)

    def __init__(self, columns: Sequence[Sequence[Any]]):
        self.columns = columns

    def __iter__(self):  # the rows, for a writer that wants them
        return zip(*self.columns)


class StagedCsv:
    """The staged CSV's writer: ``csv.writer``'s bytes, faster for blocks of plain cells."""

    def __init__(self, out: IO[str]):
        self.out = out
        self.writer = csv.writer(out)

    def header(self, names: list[str]) -> None:
        self.writer.writerow(names)

    def write(self, chunk: Iterable[Sequence[Any]]) -> None:
        """One chunk of staged rows: a ``ColumnBlock``, or any iterable of rows."""
        if isinstance(chunk, ColumnBlock) and self._plain(chunk.columns):
            lines = map(",".join, zip(*chunk.columns))
            self.out.write("\r\n".join(lines))
            self.out.write("\r\n")
            return
        self.writer.writerows(chunk)

    @staticmethod
    def _plain(columns: Sequence[Sequence[Any]]) -> bool:
        """Whether every cell is text that ``QUOTE_MINIMAL`` leaves unquoted, in a block of two columns or more."""
        if len(columns) < 2 or not columns[0]:
            return False
        try:
            joined = _SEP.join(_SEP.join(column) for column in columns)
        except TypeError:  # a cell that is not text: the writer formats it
            return False
        return NEEDS_QUOTES.search(joined) is None
