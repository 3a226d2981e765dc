"""Two whole-file checks of a CSV before its rows are read: a quote left open at its end, and no text at all.

Why: Python's csv module (which frictionless uses, not strict) would read
everything after an unclosed quote into one cell (docs/reliability.md H13),
and a file of blank lines and separators is empty, not a table with a blank header.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Any

from frictionless import formats
from frictionless.resources import TableResource

from shafaf.core.errors import StageError
from shafaf.core.models import Reason
from shafaf.validate.read_errors import stage_error

EOF_SENTINEL = "\x00shafaf-end-of-file"


class WholeFileError(StageError):
    """A fault the row engines find before reading any row (``refuse_open_quote``), found by a reader that folded
    the check into its one read (``csv_batches``): the report is to hold none of the rows read before it."""


def sentinel_row(dialect: Any) -> list[str] | None:
    """What ``csv.reader`` reads of the sentinel line after a file whose last record is closed, for a dialect
    where that is certain (a plain delimiter, ``"`` doubled to escape it); None for any other dialect, whose
    file ``refuse_open_quote`` reads first. A reader that appends the line and finds any other last row has
    found an open quote."""
    plain = (
        dialect.quoting != csv.QUOTE_NONE
        and dialect.quotechar == '"'
        and dialect.doublequote
        and not dialect.escapechar
        and not getattr(dialect, "strict", False)
        and dialect.delimiter in ",;\t|"
    )
    return [EOF_SENTINEL + '"'] if plain else None


def refuse_open_quote(resource: TableResource, path: Path, encoding: str, how: str | None) -> None:
    refuse_open_quote_in(formats.CsvControl.from_dialect(resource.dialect).to_python(), path, encoding, how)


def refuse_open_quote_in(dialect: Any, path: Path, encoding: str, how: str | None) -> None:
    """Raise StageError if a quoted field is still open at the end of the file.

    Python's csv module (which frictionless uses, not strict) would read the
    rest of the file into that one cell. One pass with the same dialect and a
    sentinel line after the last: inside an open quote, the sentinel ends up
    at the end of the last row's last cell. The same pass surfaces decoding
    errors and over-long fields before any row is streamed.
    """
    if dialect.quoting == csv.QUOTE_NONE or not dialect.quotechar:
        return
    rows, line, start, last = 0, 0, 0, None
    try:
        with open(path, encoding=encoding, newline="") as f:
            reader = csv.reader(itertools.chain(f, [EOF_SENTINEL + dialect.quotechar + "\n"]), dialect)
            for last in reader:  # noqa: B007 (the last row is read after the loop)
                rows += 1
                start, line = line + 1, reader.line_num
    except (UnicodeDecodeError, csv.Error) as e:
        raise stage_error(e, path, "csv", encoding, how, when="cannot be read") from e
    if last and last[-1].endswith(EOF_SENTINEL) and last != [EOF_SENTINEL]:
        raise StageError(
            Reason.STRUCTURE,
            f"{path.name}: the quoted field opened in row {rows} (line {start}) is never closed, so every line after it "
            f"would be read into one cell. Add the missing closing quote ({dialect.quotechar}) or remove the stray one.",
        )


def has_text(path: Path, encoding: str) -> bool:
    """Whether a text file holds anything but a BOM, blank lines and separators (stops at the first such character)."""
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        while chunk := f.read(1 << 16):
            if chunk.strip(" \t\r\n\ufeff,;|\x00"):
                return True
    return False
