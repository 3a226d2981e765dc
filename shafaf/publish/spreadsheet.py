"""The spreadsheet-safe CSV variant: defusing formula injection (docs/reliability.md S8).

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (``=HYPERLINK(...)`` leaks data, ``+cmd|' /C
calc'!A0`` runs DDE), and a leading TAB or CR can hide such a cell. Following
OWASP's CSV-injection guidance, the safe variant prefixes such a *text* cell
with ``'``, which the spreadsheet shows as text and does not print.

The rules, in full:

- A cell is changed only when its value is text (``str``) whose first
  character is one of ``= + - @ TAB CR``; the change is a leading ``'``.
- Numbers are never changed: an INTEGER or REAL value (``-5``, ``-0.25``) is
  written as it is, and so is text in a numeric column that reads as a number.
- Text in a TEXT column is prefixed even when it looks like a number: a phone
  ``+98 21 ...`` or a code ``-5`` in a text column becomes ``'+98 21 ...``
  (OWASP: a spreadsheet would evaluate it, and the column is declared text).
- Empty cells and NULLs stay empty.

The rule is ``safe_cell``; the export asks SQLite which rows have a text cell
starting with a trigger (``sql_may_need_prefix``) and runs the rule on those
rows only, so the safe file costs almost nothing more than the raw one.

The raw export (``<table>.csv``) is never changed at all: it is the byte-faithful
copy of what is published, for programs; the safe one (``<table>.safe.csv``) is
for opening in a spreadsheet.
"""

from __future__ import annotations

import re
from typing import Any

# OWASP WSTG "Testing for CSV injection": = + - @ and the TAB (0x09) and CR (0x0D) control characters.
TRIGGERS: frozenset[str] = frozenset("=+-@\t\r")
PREFIX = "'"

# A plain decimal number, as a spreadsheet reads one (no "inf", "nan" or "1_000", which it would not).
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def is_number_text(value: str) -> bool:
    """Whether text in a numeric column is a number a spreadsheet reads as a number, not a formula."""
    return NUMBER.match(value) is not None


def safe_cell(value: Any, *, numeric: bool = False) -> Any:
    """``value`` as the safe variant writes it: text starting with a trigger gets a leading ``'``."""
    if value.__class__ is not str or not value or value[0] not in TRIGGERS:
        return value
    if numeric and is_number_text(value):
        return value
    return PREFIX + value


def safe_row(row: tuple[Any, ...], numeric: list[bool]) -> tuple[Any, ...]:
    """``row`` with ``safe_cell`` applied to each cell; ``numeric[i]`` says whether column i is INTEGER/REAL."""
    return tuple(safe_cell(value, numeric=kind) for value, kind in zip(row, numeric))


def sql_may_need_prefix(columns: list[str]) -> str:
    """A SQL expression true for a row with any text cell starting with a trigger (``columns`` are trusted names).

    The export selects it beside each row so that only those rows go through
    ``safe_row`` in Python; every other row is written to the safe file as it is.
    """
    triggers = ", ".join(f"char({ord(c)})" for c in sorted(TRIGGERS))
    tests = [f"(typeof([{c}]) = 'text' AND substr([{c}], 1, 1) IN ({triggers}))" for c in columns]
    return " OR ".join(tests) if tests else "0"
