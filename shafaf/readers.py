"""Read a captured file (CSV, XLSX, JSON) as a header and a stream of text cells.

frictionless does the parsing (dialects, encodings, Excel through openpyxl),
told to cast nothing: every cell comes out as the text the agency wrote, so
mapping and validation see the same values whatever the format was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any, Iterator

from frictionless import Detector, FrictionlessException, formats
from frictionless.resources import TableResource

from .errors import StageError
from .models import Reason


@dataclasses.dataclass
class Table:
    """An open table: its column labels, problems with its header, and its rows.

    Each row comes with the structural problems frictionless found in it
    (a missing or an extra cell), as ``(error_type, message)`` pairs.
    """

    labels: list[str]
    header_problems: list[str]
    rows: Iterator[tuple[int, list[str], list[tuple[str, str]]]]


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
    kwargs: dict[str, Any] = {"path": path.name, "basepath": str(path.parent), "format": format, "detector": Detector(field_type="any")}
    if encoding and format == "csv":
        kwargs["encoding"] = encoding
    if control is not None:
        kwargs["control"] = control
    # TableResource, not Resource: a JSON file would otherwise open as a plain JsonResource with no header.
    return TableResource(**kwargs)


@contextlib.contextmanager
def open_table(path: Path, *, format: str = "csv", encoding: str | None = None, sheet: str | None = None) -> Iterator[Table]:
    """Open ``path`` for streaming; raise StageError when it cannot be read as a table."""
    if path.stat().st_size == 0:
        raise StageError(Reason.EMPTY, f"{path.name} is empty (0 bytes)")
    resource = _resource(path, format=format, encoding=encoding, sheet=sheet)
    try:
        resource.open()
    except FrictionlessException as e:
        raise StageError(_reason_of(e), f"{path.name} cannot be read as {format.upper()}: {e.error.message}") from e
    except UnicodeDecodeError as e:
        raise StageError(Reason.ENCODING, f"{path.name} is not valid {encoding or 'text in the detected encoding'}: {e.reason} at byte {e.start}") from e
    try:
        header = resource.header
        problems = [err.message for err in header.errors]
        yield Table(labels=[cell_text(label) for label in header.labels], header_problems=problems, rows=_rows(resource, path))
    finally:
        resource.close()


STRUCTURAL = {"extra-cell", "missing-cell"}


def _rows(resource: TableResource, path: Path) -> Iterator[tuple[int, list[str], list[tuple[str, str]]]]:
    try:
        for row in resource.row_stream:
            problems = [(e.type, f"{e.title}: {e.note}" if e.note else e.title) for e in row.errors if e.type in STRUCTURAL]
            yield row.row_number, [cell_text(c) for c in row.cells], problems
    except FrictionlessException as e:
        raise StageError(_reason_of(e), f"{path.name} stopped being readable: {e.error.message}") from e
    except UnicodeDecodeError as e:
        raise StageError(Reason.ENCODING, f"{path.name} has bytes that are not valid in its encoding: {e.reason}") from e


def _reason_of(e: FrictionlessException) -> Reason:
    kind = getattr(e.error, "type", "")
    return Reason.ENCODING if "encoding" in kind else Reason.UNREADABLE
