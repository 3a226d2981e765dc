"""Read a captured file (CSV, XLSX, JSON) as a header and a stream of text cells.

frictionless does the parsing (dialects, Excel through openpyxl, JSON),
told to cast nothing: every cell comes out as the text the agency wrote, so
mapping and validation see the same values whatever the format was.

Around it, this module makes sure the text is the text the agency wrote:

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

import codecs
import contextlib
import csv
import dataclasses
import datetime as dt
import io
import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from frictionless import Detector, FrictionlessException, errors, formats
from frictionless.resources import TableResource

from shafaf.core import jsonguard
from shafaf.core.errors import StageError
from shafaf.core.models import Reason
from shafaf.core.public_message import without_paths
from shafaf.normalize import decoding
from shafaf.normalize.encoding import OTHER_LEGACY, PERSIAN_LEGACY, MojibakeGuard, bom_encoding, detect_encoding
from shafaf.normalize.text import clean_text
from shafaf.validate.table_width import width_problem

_EXTRA_CELL = [(errors.ExtraCellError.type, errors.ExtraCellError.title)]
_MISSING_CELL = [(errors.MissingCellError.type, errors.MissingCellError.title)]
RENAMED_HEADER_ERRORS = {"blank-label", "duplicate-label"}  # replaced by our own, which say the new name
EOF_SENTINEL = "\x00shafaf-end-of-file"


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


def csv_encoding(path: Path, declared: str | None, *, expect_persian: bool = True) -> tuple[str, str]:
    """(encoding, how it was decided) for a CSV: its byte-order mark, else the declared one, else detected.

    Whichever it is must read every byte of the file (``normalize.decoding``):
    a decode that would need a fallback for some bytes (a Latin-1 row in a
    UTF-8 file, a UTF-8 row in a Windows-1256 one, a character cut off at
    the end) is ``StageError(ENCODING)`` naming the byte, the row and what to do.
    """
    fallback = PERSIAN_LEGACY if expect_persian else OTHER_LEGACY
    with open(path, "rb") as f:
        bom = bom_encoding(f.read(4))
    if bom is not None:
        codec, name = bom
        overridden = f" (the declared {declared} does not apply)" if declared and _codec_name(declared) not in _bom_family(codec) else ""
        bom = (codec, f"{name} byte-order mark{overridden}")
    detected = detect_encoding(path, fallback=fallback) if bom is None and not declared else ("", "")
    choice = decoding.choose(path, declared, bom, fallback=fallback, detected=detected)
    if choice.problem is not None:
        raise StageError(Reason.ENCODING, f"{path.name} {choice.problem}; at byte {choice.offset:,} "
                                          f"({_row_at(path, choice, choice.codec)}). {choice.advice}")
    return choice.codec, choice.how


def _row_at(path: Path, choice: decoding.Choice, codec: str, limit: int = 64 << 20) -> str:
    """"row R" (the CSV record holding the byte, the header being row 1), and its line when they differ."""
    offset, line = choice.offset or 0, choice.line
    if offset > limit:
        return f"line {line:,}" if line else f"{offset * 100 // max(path.stat().st_size, 1)}% into the file"
    with open(path, "rb") as f:
        prefix = f.read(offset).decode(codec, errors="replace")
    rows = sum(1 for _ in csv.reader(io.StringIO(prefix, newline="")))
    row = rows + 1 if not prefix or prefix.endswith(("\n", "\r")) else rows
    return f"row {row:,}" + (f", line {line:,}" if line and line != row else "")


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding


def _bom_family(codec: str) -> set[str]:
    family = {"utf-8-sig": {"utf-8", "utf-8-sig"}, "utf-16": {"utf-16", "utf-16-le", "utf-16-be"}}
    return family.get(codec, {"utf-32", "utf-32-le", "utf-32-be"})


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
def open_table(
    path: Path, *, format: str = "csv", encoding: str | None = None, sheet: str | None = None, expect_persian: bool = True,
) -> Iterator[Table]:
    """Open ``path`` for streaming; raise StageError when it cannot be read as a table.

    ``expect_persian`` (the portal's language is Persian) picks the legacy
    encoding tried when a CSV is not UTF-8 and lets the guard count Latin and
    Cyrillic letters as garbled Persian.
    """
    if path.stat().st_size == 0:
        raise StageError(Reason.EMPTY, f"{path.name} is empty (0 bytes)")
    with contextlib.ExitStack() as stack:
        source, how = path, None
        if format == "csv":
            encoding, how = csv_encoding(path, encoding, expect_persian=expect_persian)
        elif format == "json":
            source = _without_bom(path, stack)
            _check_json(source, path)
        if (too_wide := width_problem(source, format=format, encoding=encoding, sheet=sheet)) is not None:
            raise StageError(Reason.STRUCTURE, too_wide.replace(source.name, path.name, 1))
        resource = _resource(source, format=format, encoding=encoding, sheet=sheet)
        stack.callback(resource.close)  # also after a failed open, which may leave the file open
        try:
            resource.open()
        except Exception as e:  # noqa: BLE001 - whatever a parser raises on a bad file is the file's problem
            raise _stage_error(e, path, format, encoding, how, when="cannot be read") from e
        if format == "csv":
            _refuse_open_quote(resource, path, encoding or "utf-8", how)
        raw = [cell_text(label) for label in resource.header.labels]
        if not any(clean_text(label).strip() for label in raw):
            if format == "csv" and not _has_text(path, encoding or "utf-8"):
                raise StageError(Reason.EMPTY, f"{path.name} holds no data: only blank lines, spaces or a byte-order mark")
            raise StageError(Reason.STRUCTURE, f"{path.name}: the first row, which must hold the column names, is empty")
        labels, problems = _labels(raw)
        problems = [e.message for e in resource.header.errors if e.type not in RENAMED_HEADER_ERRORS] + problems
        guard = MojibakeGuard(path.name, expect_persian=expect_persian, encoding=encoding if format == "csv" else None)
        guard.see_row(1, labels, labels)
        notes: list[str] = []
        csv_source = None
        if format == "csv" and not resource.compression and resource.dialect.header_rows == [1] and \
                not resource.dialect.comment_char and not resource.dialect.comment_rows:
            dialect = formats.CsvControl.from_dialect(resource.dialect).to_python()
            csv_source = CsvSource(path, resource.encoding or encoding or "utf-8", dialect, how, guard)
        yield Table(labels=labels, header_problems=problems, rows=_rows(resource, path, guard, labels, encoding, how, notes),
                    notes=notes, csv_source=csv_source)


def _rows(
    resource: TableResource, path: Path, guard: MojibakeGuard, labels: list[str], encoding: str | None, how: str | None,
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
            raise _stage_error(e, path, resource.format or "", encoding, how, when="stopped being readable") from e
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
    return _stage_error(e, source.path, "csv", source.encoding, source.how, when="stopped being readable")


def _stage_error(e: Exception, path: Path, format: str, encoding: str | None, how: str | None, *, when: str) -> StageError:
    """The StageError for an exception raised while parsing: a reason and a message a data officer can act on."""
    if isinstance(e, UnicodeDecodeError):
        return StageError(Reason.ENCODING, _decode_message(e.reason, path, encoding, how))
    # frictionless names the file by its absolute path, inside the portal's raw folder: its own name is enough.
    message = without_paths(e.error.message if isinstance(e, FrictionlessException) else str(e), [path.parent])
    if isinstance(e, csv.Error) or "field larger than field limit" in message:
        return StageError(Reason.STRUCTURE, f"{path.name} {when} as CSV: {message}")
    if format == "json" and _json_syntax(e):  # ijson's words, drawn over several lines with a caret: one line
        return StageError(Reason.INVALID_JSON, f"{path.name} is not valid JSON: {' '.join(message.split())}")
    if isinstance(e, FrictionlessException):
        if "encoding" in getattr(e.error, "type", ""):
            return StageError(Reason.ENCODING, _decode_message(getattr(e.error, "note", "") or message, path, encoding, how))
        return StageError(Reason.UNREADABLE, f"{path.name} {when} as {format.upper()}: {message}")
    return StageError(Reason.UNREADABLE, f"{path.name} {when} as {format.upper()}: {type(e).__name__}: {message}")


def _json_syntax(e: BaseException) -> bool:
    """Whether ijson (frictionless' JSON parser) raised ``e``, or raised what caused it: a syntax error."""
    import ijson

    seen: BaseException | None = e
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ijson.JSONError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _decode_message(reason: str, path: Path, encoding: str | None, how: str | None) -> str:
    """Why the bytes do not decode, and what to declare instead: UTF-8 if the file is UTF-8, else Windows-1256."""
    if encoding and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig") and detect_encoding(path)[0].startswith("utf"):
        advice = "The file is UTF-8: declare `encoding: utf-8` for this source in the registry (or remove its `encoding`)."
    else:
        advice = ("If it was saved by Excel on Persian Windows, declare `encoding: cp1256` for this source in the registry; "
                  "otherwise save it as UTF-8 (in Excel: \"CSV UTF-8\").")
    how = f" ({how})" if how else ""
    return f"{path.name} is not valid {encoding or 'text'}{how}: {reason}. {advice}"


def _refuse_open_quote(resource: TableResource, path: Path, encoding: str, how: str | None) -> None:
    """Raise StageError if a quoted field is still open at the end of the file.

    Python's csv module (which frictionless uses, not strict) would read the
    rest of the file into that one cell. One pass with the same dialect and a
    sentinel line after the last: inside an open quote, the sentinel ends up
    at the end of the last row's last cell. The same pass surfaces decoding
    errors and over-long fields before any row is streamed.
    """
    control = formats.CsvControl.from_dialect(resource.dialect)
    dialect = control.to_python()
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
        raise _stage_error(e, path, "csv", encoding, how, when="cannot be read") from e
    if last and last[-1].endswith(EOF_SENTINEL) and last != [EOF_SENTINEL]:
        raise StageError(
            Reason.STRUCTURE,
            f"{path.name}: the quoted field opened in row {rows} (line {start}) is never closed, so every line after it "
            f"would be read into one cell. Add the missing closing quote ({dialect.quotechar}) or remove the stray one.",
        )


def _has_text(path: Path, encoding: str) -> bool:
    """Whether a text file holds anything but a BOM, blank lines and separators (stops at the first such character)."""
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        while chunk := f.read(1 << 16):
            if chunk.strip(" \t\r\n\ufeff,;|\x00"):
                return True
    return False


def _labels(raw: list[str]) -> tuple[list[str], list[str]]:
    """Column names cleaned of invisible marks, blank and repeated names made unique; and what was renamed.

    A blank name becomes ``column N`` (its position); a repeated name becomes
    ``name (2)``, ``name (3)``... in order. Only the first column of a name is
    matched to the standard, so a repeated column is never merged with it nor
    silently dropped: it shows among the unused columns and in the report.
    """
    labels = [" ".join(clean_text(label).split()) for label in raw]
    taken = set(labels)
    seen: dict[str, int] = {}
    out, problems = [], []
    for i, label in enumerate(labels, start=1):
        if not label:
            new = _free(f"column {i}", taken)
            problems.append(f"column {i}: the name is blank in the header; it is read as {new!r}")
        elif label in seen:
            new = _free(label, taken, start=2)
            problems.append(f"column {i}: the name {label!r} is duplicated (column {seen[label]} has it too); "
                            f"it is read as {new!r} and only column {seen[label]} is matched to the standard")
        else:
            seen[label] = i
            out.append(label)
            continue
        taken.add(new)
        out.append(new)
    return out, problems


def _free(name: str, taken: set[str], *, start: int | None = None) -> str:
    """``name`` itself if free (and no number is asked for), else ``name (n)`` with the first free n."""
    if start is None and name not in taken:
        return name
    for n in itertools.count(start or 2):
        if (candidate := f"{name} ({n})") not in taken:
            return candidate
    raise AssertionError("unreachable")


def _check_json(source: Path, path: Path) -> None:
    """Bound the JSON before frictionless' parser sees it (``jsonguard``): it must also be a list at its top."""
    try:
        shape = jsonguard.scan_file(source)
    except jsonguard.InvalidJson as e:
        raise StageError(Reason.INVALID_JSON, f"{path.name} {e.problem}") from None
    if shape.top != "array":
        raise StageError(Reason.STRUCTURE, f"{path.name} holds {jsonguard.describe_top(shape)} at its top level; a table "
                                           f"in JSON is a list of records (objects) or of rows (lists)")
    if shape.depth == 1 and source.stat().st_size < 1024 and source.read_bytes().strip(b" \t\r\n\xef\xbb\xbf") == b"[]":
        raise StageError(Reason.EMPTY, f"{path.name} is an empty list: it holds no records")


def _without_bom(path: Path, stack: contextlib.ExitStack) -> Path:
    """A JSON file with a byte-order mark → a temporary UTF-8 copy without it (the JSON parser reads bytes)."""
    with open(path, "rb") as f:
        bom = bom_encoding(f.read(4))
    if bom is None:
        return path
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shafaf-json-"))) / path.name
    try:
        with open(path, encoding=bom[0], newline="") as src, open(tmp, "w", encoding="utf-8", newline="") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    except UnicodeDecodeError as e:
        raise StageError(Reason.ENCODING, f"{path.name} starts with a {bom[1]} byte-order mark but is not valid {bom[1]}: {e.reason}") from e
    return tmp
