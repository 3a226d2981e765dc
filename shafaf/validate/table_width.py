"""How many columns a table may have, counted before frictionless opens it.

frictionless copies the whole header into each error it makes of a header
cell: a 400 KB CSV whose 20,000 columns share one name peaked at 9.4 GB and
took 7 minutes to open; 20,000 distinct names took 20 s. No dataset of the
standard has 30 fields and no agency export we have seen has 300 columns,
so a table wider than ``MAX_COLUMNS`` is refused (``structure``) from its
first row, read cheaply: the first line of a CSV, the first row of an
XLSX sheet (openpyxl, read-only), the first item of a JSON table (ijson,
after ``jsonguard`` bounded it).
"""

from __future__ import annotations

from pathlib import Path

MAX_COLUMNS = 1000
HEAD_BYTES = 4 << 20  # the first line of a CSV is looked for in this many bytes
DELIMITERS = ",;\t|"


def width_problem(path: Path, *, format: str, encoding: str | None, sheet: str | None = None) -> str | None:
    """Why the table at ``path`` is too wide to read, or None (also None when its first row cannot be read:
    the reader then says why)."""
    try:
        width = _width(path, format, encoding, sheet)
    except Exception:  # noqa: BLE001 - a file too broken to count is the reader's to refuse, with its words
        return None
    if width is None or width <= MAX_COLUMNS:
        return None
    return (
        f"{path.name} has {width:,} columns in its first row; at most {MAX_COLUMNS:,} are read "
        f"(the standard's widest dataset has fewer than 30)"
    )


def _width(path: Path, format: str, encoding: str | None, sheet: str | None) -> int | None:
    if format == "csv":
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
        line = head.decode(encoding or "utf-8", errors="replace").lstrip("\ufeff").split("\n", 1)[0]
        return max(line.count(d) for d in DELIMITERS) + 1
    if format == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = book[sheet] if sheet else book.worksheets[0]
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            return len(first)
        finally:
            book.close()
    if format == "json":
        import ijson

        with open(path, "rb") as f:
            item = next(ijson.items(f, "item"), None)
        return len(item) if isinstance(item, (list, dict)) else None
    return None
