"""Read a captured file (CSV, XLSX, JSON) as a header and a stream of text cells.

frictionless does the parsing (dialects, Excel through openpyxl, JSON),
told to cast nothing: every cell comes out as the text the agency wrote, so
mapping and validation see the same values whatever the format was.

Around it, this module makes sure the text is the text the agency wrote
(each check in a module of its own: ``csv_encoding``, ``csv_quotes``,
``header_labels``, ``json_tables``, ``read_errors``):

* a CSV's encoding is the declared one or ``normalize.detect_encoding``'s,
  never chardet's (docs/reliability.md H15); a byte-order mark always wins, so no
  BOM reaches a column name (H16);
* every text cell passes through ``MojibakeGuard``; a garbled file raises
  ``StageError(ENCODING)`` after its last row, before anything is published;
* malformed CSV (H13) gives a StageError or per-row problems, never a
  traceback: a quote left open at the end of the file is refused (it would
  swallow every row after it into one cell); a field over the csv module's
  size limit is refused; duplicate and blank column names are renamed
  deterministically and reported (see ``_labels``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from frictionless import Detector, errors, formats
from frictionless.resources import TableResource

from shafaf.core.errors import StageError
from shafaf.core.models import Reason
from shafaf.normalize.encoding import MojibakeGuard
from shafaf.normalize.text import clean_text
from shafaf.validate.csv_encoding import csv_encoding
from shafaf.validate.csv_quotes import has_text, refuse_open_quote, sentinel_row
from shafaf.validate.header_labels import clean_labels
from shafaf.validate.json_tables import check_json, without_bom
from shafaf.validate.read_errors import stage_error
from shafaf.validate.table_width import width_problem

__all__ = ["CsvSource", "Table", "cell_text", "csv_encoding", "open_table", "reading_error"]

_EXTRA_CELL = [(errors.ExtraCellError.type, errors.ExtraCellError.title)]
_MISSING_CELL = [(errors.MissingCellError.type, errors.MissingCellError.title)]
RENAMED_HEADER_ERRORS = {"blank-label", "duplicate-label"}  # replaced by our own, which say the new name


@dataclasses.dataclass
class Table:
    """An open table: its column labels, problems with its header, and its rows.

    Each row comes with the structural problems frictionless found in it
    (a missing or an extra cell), as ``(error_type, message)`` pairs.
    """

    labels: list[str]
    header_problems: list[str]
    rows: Iterator[tuple[int, list[str], list[tuple[str, str]]]]
    # Filled once ``rows`` is exhausted: things worth telling the agency that fail nothing
    # (a few cells its file already held garbled, published as written).
    notes: list[str] = dataclasses.field(default_factory=list)
    # For a CSV: what frictionless reads it with (the decoded text, its dialect, the guard), so that ``columnar``
    # can read the same cells with ``csv.reader`` alone; None for other formats.
    csv_source: CsvSource | None = None


@dataclasses.dataclass(frozen=True)
class CsvSource:
    """A CSV as frictionless opened it: read it with ``open(path, encoding=encoding, newline="")`` and ``dialect``."""

    path: Path
    encoding: str
    dialect: Any
    how: str | None
    guard: MojibakeGuard
    # When the open-quote check (``csv_quotes``) is left to the one read: the row the sentinel line after the
    # file must read as (``csv_quotes.sentinel_row``); None when ``open_table`` has made the check.
    sentinel: list[str] | None = None


def cell_text(value: Any) -> str:
    """A cell as text, the way the agency would read it in their spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _resource(path: Path, *, format: str, encoding: str | None, sheet: str | None) -> TableResource:
    control = None
    if format == "xlsx" and sheet:
        control = formats.ExcelControl(sheet=sheet)
    # Files are local copies we captured ourselves; frictionless never fetches anything.
    kwargs: dict[str, Any] = {
        "path": path.name,
        "basepath": str(path.parent),
        "format": format,
        "detector": Detector(field_type="any"),
    }
    if encoding and format == "csv":
        kwargs["encoding"] = encoding
    if control is not None:
        kwargs["control"] = control
    # TableResource, not Resource: a JSON file would otherwise open as a plain JsonResource with no header.
    return TableResource(**kwargs)


@contextlib.contextmanager
def open_table(
    path: Path,
    *,
    format: str = "csv",
    encoding: str | None = None,
    sheet: str | None = None,
    expect_persian: bool = True,
    fold_quote_check: bool = False,
) -> Iterator[Table]:
    """Open ``path`` for streaming; raise StageError when it cannot be read as a table.

    ``expect_persian`` (the portal's language is Persian) picks the legacy
    encoding tried when a CSV is not UTF-8 and lets the guard count Latin and
    Cyrillic letters as garbled Persian. ``fold_quote_check``: a reader of the
    ``csv_source`` of its own (``csv_batches``) makes the open-quote check in
    its one read, where the dialect allows it, rather than a whole pass here.
    """
    if path.stat().st_size == 0:
        raise StageError(Reason.EMPTY, f"{path.name} is empty (0 bytes)")
    with contextlib.ExitStack() as stack:
        source, how = path, None
        if format == "csv":
            encoding, how = csv_encoding(path, encoding, expect_persian=expect_persian)
        elif format == "json":
            source = without_bom(path, stack)
            check_json(source, path)
        if (too_wide := width_problem(source, format=format, encoding=encoding, sheet=sheet)) is not None:
            raise StageError(Reason.STRUCTURE, too_wide.replace(source.name, path.name, 1))
        resource = _resource(source, format=format, encoding=encoding, sheet=sheet)
        stack.callback(resource.close)  # also after a failed open, which may leave the file open
        try:
            resource.open()
        except Exception as e:  # noqa: BLE001 - whatever a parser raises on a bad file is the file's problem
            raise stage_error(e, path, format, encoding, how, when="cannot be read") from e
        own_reader = (
            format == "csv"
            and not resource.compression
            and resource.dialect.header_rows == [1]
            and not resource.dialect.comment_char
            and not resource.dialect.comment_rows
        )
        dialect = formats.CsvControl.from_dialect(resource.dialect).to_python() if own_reader else None
        sentinel = sentinel_row(dialect) if fold_quote_check and dialect is not None else None
        if format == "csv" and sentinel is None:
            refuse_open_quote(resource, path, encoding or "utf-8", how)
        raw = [cell_text(label) for label in resource.header.labels]
        if not any(clean_text(label).strip() for label in raw):
            if sentinel is not None:  # the row engines' order: an open quote is said before a blank header
                refuse_open_quote(resource, path, encoding or "utf-8", how)
            if format == "csv" and not has_text(path, encoding or "utf-8"):
                raise StageError(
                    Reason.EMPTY, f"{path.name} holds no data: only blank lines, spaces or a byte-order mark"
                )
            raise StageError(
                Reason.STRUCTURE, f"{path.name}: the first row, which must hold the column names, is empty"
            )
        labels, problems = clean_labels(raw)
        problems = [e.message for e in resource.header.errors if e.type not in RENAMED_HEADER_ERRORS] + problems
        guard = MojibakeGuard(path.name, expect_persian=expect_persian, encoding=encoding if format == "csv" else None)
        guard.see_row(1, labels, labels)
        notes: list[str] = []
        csv_source = None
        if dialect is not None:
            csv_source = CsvSource(path, resource.encoding or encoding or "utf-8", dialect, how, guard, sentinel)
        yield Table(
            labels=labels,
            header_problems=problems,
            rows=_rows(resource, path, guard, labels, encoding, how, notes),
            notes=notes,
            csv_source=csv_source,
        )


def _rows(
    resource: TableResource,
    path: Path,
    guard: MojibakeGuard,
    labels: list[str],
    encoding: str | None,
    how: str | None,
    notes: list[str],
) -> Iterator[tuple[int, list[str], list[tuple[str, str]]]]:
    stream = iter(resource.row_stream)
    width = len(resource.schema.fields)  # one field per header label (every field is "any": no type errors)
    while True:
        try:
            row = next(stream)
        except StopIteration:
            break
        except Exception as e:  # noqa: BLE001 - see open_table
            raise stage_error(e, path, resource.format or "", encoding, how, when="stopped being readable") from e
        cells = [cell_text(c) for c in row.cells]
        guard.see_row(row.row_number, cells, labels)
        # What frictionless' row.errors would say of the row's length (one error a cell), without building the
        # row's cell values for every row: 11% of reading a large file.
        problems = _EXTRA_CELL * (len(cells) - width) if len(cells) > width else _MISSING_CELL * (width - len(cells))
        yield row.row_number, cells, problems
    if (problem := guard.problem()) is not None:
        raise StageError(Reason.ENCODING, problem)
    notes.extend(guard.notes())


def reading_error(e: Exception, source: CsvSource) -> StageError:
    """What ``_rows`` raises for a CSV that stops being readable, for a reader of ``source`` of its own."""
    return stage_error(e, source.path, "csv", source.encoding, source.how, when="stopped being readable")
