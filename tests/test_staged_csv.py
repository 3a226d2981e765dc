"""The staged CSV's block writer writes the very bytes ``csv.writer`` writes, for every kind of cell."""

from __future__ import annotations

import csv
import io
import random

import pytest

from shafaf.validate.staged_csv import ColumnBlock, StagedCsv

AWKWARD = [
    "",
    " ",
    "plain",
    "a,b",
    'say "hi"',
    '"',
    "line\nbreak",
    "cr\rreturn",
    "\r\n",
    "tab\there",
    "semi;colon",
    "\x1f",
    "'single'",
    "۱۲۳٬۴۵۶",
    "متن فارسی",
    "\u2028",
    "\x00",
    " lead",
    "trail ",
    "#",
    "=1+1",
]


def both(rows: list[tuple], *, header: list[str]) -> tuple[str, str]:
    columns = [list(column) for column in zip(*rows)] if rows else [[] for _ in header]
    fast, slow = io.StringIO(newline=""), io.StringIO(newline="")
    writer = StagedCsv(fast)
    writer.header(header)
    writer.write(ColumnBlock(columns))
    writer.write(iter(rows))  # a chunk of rows, as the row path hands it over
    reference = csv.writer(slow)
    reference.writerow(header)
    reference.writerows(rows)
    reference.writerows(rows)
    return fast.getvalue(), slow.getvalue()


@pytest.mark.parametrize("width", [1, 2, 5])
@pytest.mark.parametrize("seed", range(20))
def test_blocks_of_any_cells_are_written_as_csv_writer_writes_them(width, seed):
    pick = random.Random(seed)
    plain = seed % 2 == 0  # half the blocks plain, which the fast path writes, half with awkward cells
    pool = [c for c in AWKWARD if not any(ch in c for ch in ',"\r\n')] if plain else AWKWARD
    rows = [tuple(pick.choice(pool) for _ in range(width)) for _ in range(pick.randint(1, 40))]
    fast, slow = both(rows, header=[f"c{i}" for i in range(width)])
    assert fast == slow


@pytest.mark.parametrize("cell", [None, 3, 2.5, True])
def test_a_cell_that_is_not_text_is_formatted_by_csv_writer(cell):
    fast, slow = both([("a", cell), ("b", "c")], header=["x", "y"])
    assert fast == slow


def test_a_single_column_of_empty_cells_is_quoted_as_csv_writer_does():
    fast, slow = both([("",), ("x",)], header=["only"])
    assert fast == slow and '""' in fast
