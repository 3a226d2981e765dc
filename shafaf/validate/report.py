"""What validation found in one file: its errors as data (row, field, column, value, fa/en messages).

A ``Report`` stays small whatever the file's length: it lists at most
``MAX_LISTED_ERRORS`` errors (and counts the rest) and holds failed rows as
one bit each (``RowSet``).
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import datetime as dt
import decimal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shafaf.core.models import Reason
from shafaf.validate import messages
from shafaf.validate.file_messages import fatal_message
from shafaf.validate.value_notes import ValueNotes

MAX_LISTED_ERRORS = 1000


@dataclasses.dataclass(frozen=True)
class RowError:
    """One problem: where (row, field, source column), the value as written, its type, and what it means."""

    row_number: int | None
    field: str | None
    value: str
    error_type: str
    message: str
    message_fa: str = ""
    column_number: int | None = None  # 1-based position of the column in the agency's file


class RowSet:
    """Source row numbers, one bit each: a million failed rows cost 125 kB, not a set of a million ints."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self._count = 0

    def add(self, n: int) -> None:
        byte, bit = divmod(n, 8)
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))
        if not self._bits[byte] & (1 << bit):
            self._bits[byte] |= 1 << bit
            self._count += 1

    def __contains__(self, n: object) -> bool:
        if not isinstance(n, int) or n < 0:
            return False
        byte, bit = divmod(n, 8)
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << bit))

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        for byte, value in enumerate(self._bits):
            if value:
                for bit in range(8):
                    if value & (1 << bit):
                        yield byte * 8 + bit

    def __repr__(self) -> str:
        return f"RowSet({list(self)[:10]}{'...' if self._count > 10 else ''})"


@dataclasses.dataclass
class Report:
    """What validation found in one file."""

    file: str
    dataset: str
    rows_read: int = 0  # rows of the file (blank rows aside)
    rows_staged: int = 0  # rows written for publishing: more than rows_read when columns are unpivoted into rows
    errors: list[RowError] = dataclasses.field(default_factory=list)
    error_counts: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    failed_rows: RowSet = dataclasses.field(default_factory=RowSet)
    header_problems: list[str] = dataclasses.field(default_factory=list)
    # The same problems with the header (blank or repeated column names), as errors with fa/en messages.
    header_errors: list[RowError] = dataclasses.field(default_factory=list)
    blank_rows: int = 0  # skipped, not errors: trailing Excel rows are not data
    notes: list[str] = dataclasses.field(default_factory=list)  # the reader's remarks that fail nothing
    unused_columns: list[str] = dataclasses.field(default_factory=list)
    # What each source column held: "number" (every non-empty cell), "text" or "empty"; for schema drift.
    columns: dict[str, str] = dataclasses.field(default_factory=dict)
    schema_drift: list[str] = dataclasses.field(default_factory=list)
    fatal_reason: Reason | None = None
    fatal_message: str | None = None
    fatal_message_fa: str | None = None
    changes: ValueNotes = dataclasses.field(default_factory=ValueNotes)  # values cleaning changed (bidi, NUL...)

    @property
    def rows_failed(self) -> int:
        return len(self.failed_rows)

    @property
    def rows_passed(self) -> int:
        """Rows of the file with no error, counted like rows_read (so validity is a share of the file's rows)."""
        return 0 if self.fatal_reason is not None else max(0, self.rows_read - self.rows_failed)

    @property
    def valid(self) -> bool:
        return self.fatal_reason is None and not self.failed_rows

    @property
    def error_rate(self) -> float:
        return self.rows_failed / self.rows_read if self.rows_read else 0.0

    def add(self, error: RowError) -> None:
        self.error_counts[error.error_type] += 1
        if error.row_number is not None:
            self.failed_rows.add(error.row_number)
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(error)

    def flag(
        self,
        row_number: int | None,
        field: str | None,
        value: str,
        error_type: str,
        *,
        column_number: int | None = None,
        **facts: Any,
    ) -> None:
        """Count an error; its messages are written only while the list has room (a bad million-row file stays fast)."""
        self.error_counts[error_type] += 1
        if row_number is not None:
            self.failed_rows.add(row_number)
        if len(self.errors) < MAX_LISTED_ERRORS:
            text = messages.row_error(self.dataset, error_type, field, value, column_number=column_number, **facts)
            self.errors.append(RowError(row_number, field, value, error_type, text.en, text.fa, column_number))

    def fail(self, reason: Reason, message: str) -> None:
        """The whole file is refused: say why in both languages."""
        text = fatal_message(reason, message, file=self.file, dataset=self.dataset)
        self.fatal_reason, self.fatal_message, self.fatal_message_fa = reason, text.en, text.fa

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "dataset": self.dataset,
            "valid": self.valid,
            "rows_read": self.rows_read,
            "rows_passed": self.rows_passed,
            "rows_staged": self.rows_staged,
            "rows_failed": self.rows_failed,
            "error_counts": dict(sorted(self.error_counts.items())),
            "errors": [dataclasses.asdict(e) for e in self.errors],
            "errors_listed": len(self.errors),
            "header_problems": self.header_problems,
            "header_errors": [dataclasses.asdict(e) for e in self.header_errors],
            "blank_rows": self.blank_rows,
            "notes": self.notes,
            "unused_columns": self.unused_columns,
            "columns": self.columns,
            "schema_drift": self.schema_drift,
            "fatal_reason": self.fatal_reason,
            "fatal_message": self.fatal_message,
            "fatal_message_fa": self.fatal_message_fa,
            "changes": self.changes.to_list(),
            "changes_total": self.changes.total,
        }


def canonical(value: Any) -> str:
    """A typed value as the staged CSV writes it: ASCII digits, ISO dates, true/false."""
    kind = type(value)  # text and whole numbers first: most cells of a large file (bool is not ``int`` here)
    if kind is str:
        return value
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


def read_service_ids(path: Path) -> set[str]:
    """The service ids of a services CSV in the standard's form (a staged file, or ``out_csv``)."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        if "service_id" not in header:
            return set()
        column = header.index("service_id")
        return {row[column] for row in reader if len(row) > column}
