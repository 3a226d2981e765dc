"""Check one file against the standard: frictionless plus the rules Table Schema cannot say.

``validate_file`` streams the file once through mapping into an interim CSV
(the standard's columns plus the source row number), then once through
frictionless with the standard's schema, writing the rows that pass to
``out_csv`` in canonical form. Errors are data: a ``Report``.
"""

from __future__ import annotations

import collections
import copy
import csv
import dataclasses
import datetime as dt
import decimal
import re
import tempfile
from pathlib import Path
from typing import Any, Mapping

from frictionless import FrictionlessException, Resource, Schema

from . import standard
from .errors import StageError
from .mapping import ColumnPlan, map_rows, plan_columns
from .normalize import fold_digits
from .readers import open_table
from .registry import Unpivot

MAX_LISTED_ERRORS = 1000
ROW_FIELD = "_row"
csv.field_size_limit(64 * 1024 * 1024)


@dataclasses.dataclass(frozen=True)
class RowError:
    row_number: int | None
    field: str | None
    value: str
    error_type: str
    message: str


@dataclasses.dataclass
class Report:
    """What validation found in one file."""

    file: str
    dataset: str
    rows_read: int = 0
    rows_passed: int = 0
    errors: list[RowError] = dataclasses.field(default_factory=list)
    error_counts: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    failed_rows: set[int] = dataclasses.field(default_factory=set)
    header_problems: list[str] = dataclasses.field(default_factory=list)
    unused_columns: list[str] = dataclasses.field(default_factory=list)
    # What each source column held: "number" (every non-empty cell), "text" or "empty"; for schema drift.
    columns: dict[str, str] = dataclasses.field(default_factory=dict)
    schema_drift: list[str] = dataclasses.field(default_factory=list)
    fatal_reason: str | None = None
    fatal_message: str | None = None

    @property
    def rows_failed(self) -> int:
        return len(self.failed_rows)

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "dataset": self.dataset,
            "valid": self.valid,
            "rows_read": self.rows_read,
            "rows_passed": self.rows_passed,
            "rows_failed": self.rows_failed,
            "error_counts": dict(sorted(self.error_counts.items())),
            "errors": [dataclasses.asdict(e) for e in self.errors],
            "errors_listed": len(self.errors),
            "header_problems": self.header_problems,
            "unused_columns": self.unused_columns,
            "columns": self.columns,
            "schema_drift": self.schema_drift,
            "fatal_reason": self.fatal_reason,
            "fatal_message": self.fatal_message,
        }


def canonical(value: Any) -> str:
    """A typed value as the staged CSV writes it: ASCII digits, ISO dates, true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


def _interim_schema(kind: str) -> Schema:
    descriptor = copy.deepcopy(standard.load_schema(kind))
    descriptor["fields"].append({"name": ROW_FIELD, "type": "integer"})
    descriptor.pop("foreignKeys", None)  # checked by staging across the agency's resources
    return Schema.from_descriptor(descriptor)


def _message(error: Any) -> str:
    """frictionless' title and note, without its positions in the interim file."""
    return f"{error.title}: {error.note}" if error.note else error.title


def _cross_field_errors(row: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Rules Table Schema cannot express; (field, error_type, message) for each broken one."""
    out = []

    def pair(small: str, big: str) -> None:
        a, b = row.get(small), row.get(big)
        if a is not None and b is not None and a > b:
            out.append((small, "cross-field", f"{small} ({a}) is larger than {big} ({b})"))

    pair("completed", "applications")
    pair("within_standard", "completed")
    start, end = row.get("period_start"), row.get("period_end")
    if start is not None and end is not None and start > end:
        out.append(("period_end", "cross-field", f"period_end ({end}) is before period_start ({start})"))
    start, end = row.get("start_date"), row.get("end_date")
    if start is not None and end is not None and start > end:
        out.append(("end_date", "cross-field", f"end_date ({end}) is before start_date ({start})"))
    return out


def validate_file(
    path: Path,
    kind: str,
    *,
    format: str = "csv",
    encoding: str | None = None,
    sheet: str | None = None,
    fields: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    agency_id: str | None = None,
    calendar: str | None = None,
    year_pivot: int | None = None,
    unpivot: Unpivot | None = None,
    known_services: set[str] | None = None,
    out_csv: Path | None = None,
) -> Report:
    """Validate ``path`` as dataset ``kind``; write the rows that pass to ``out_csv`` if given."""
    report = Report(file=path.name, dataset=kind)
    with tempfile.TemporaryDirectory(prefix="shafaf-validate-") as tmp:
        interim = Path(tmp) / f"{kind}.csv"
        try:
            _map_to_interim(path, kind, interim, report, format=format, encoding=encoding, sheet=sheet,
                            fields=fields, values=values, agency_id=agency_id, calendar=calendar,
                            year_pivot=year_pivot, unpivot=unpivot)
        except StageError as e:
            report.fatal_reason, report.fatal_message = str(e.reason), e.message
            return report
        _check_interim(interim, kind, report, out_csv)
    return report


def _map_to_interim(path: Path, kind: str, interim: Path, report: Report, **options: Any) -> None:
    reading = {k: options.pop(k) for k in ("format", "encoding", "sheet")}
    with open_table(path, **reading) as table, interim.open("w", newline="", encoding="utf-8") as out:
        report.header_problems = table.header_problems
        plan: ColumnPlan = plan_columns(table.labels, kind, file_name=path.name, **options)
        report.unused_columns = list(plan.unused_columns)
        writer = csv.writer(out)
        writer.writerow([*plan.field_names, ROW_FIELD])
        kinds = ColumnKinds(table.labels)
        for row_number, cells, structural in table.rows:
            if not any(c.strip() for c in cells):
                continue  # blank rows (trailing Excel rows) are not data
            report.rows_read += 1
            kinds.see(cells)
            for error_type, message in structural:
                report.add(RowError(row_number, None, "", error_type, message))
            for values, problems in map_rows(plan, cells):
                for p in problems:
                    report.add(RowError(row_number, p.field, p.value, p.error_type, p.message))
                if not problems and not structural:
                    writer.writerow([*values, row_number])
        report.columns = kinds.result()


NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?%?")


class ColumnKinds:
    """Whether each column held only numbers, some text, or nothing, seen cell by cell."""

    def __init__(self, labels: list[str]):
        self.labels = labels
        self.kinds = ["empty"] * len(labels)

    def see(self, cells: list[str]) -> None:
        for i, cell in enumerate(cells[: len(self.kinds)]):
            if self.kinds[i] == "text":
                continue
            value = cell.strip()
            if value:
                folded = fold_digits(value).replace(",", "").replace(" ", "")
                self.kinds[i] = "number" if NUMBER.fullmatch(folded) else "text"

    def result(self) -> dict[str, str]:
        return dict(zip(self.labels, self.kinds))


def _check_interim(interim: Path, kind: str, report: Report, out_csv: Path | None) -> None:
    names = standard.field_names(kind)
    resource = Resource(path=interim.name, basepath=str(interim.parent), schema=_interim_schema(kind), format="csv", encoding="utf-8")
    out = out_csv.open("w", newline="", encoding="utf-8") if out_csv else None
    try:
        writer = csv.writer(out) if out else None
        if writer:
            writer.writerow(names)
        with resource:
            for row in resource.row_stream:
                source_row = row.to_dict().get(ROW_FIELD)
                if row.errors:
                    for err in row.errors:
                        field = getattr(err, "field_name", None)
                        cell = getattr(err, "cell", "")
                        report.add(RowError(source_row, field, "" if cell is None else str(cell), err.type, _message(err)))
                    continue
                typed = row.to_dict()
                cross = _cross_field_errors(typed)
                for field, error_type, message in cross:
                    report.add(RowError(source_row, field, canonical(typed.get(field)), error_type, message))
                if cross:
                    continue
                report.rows_passed += 1
                if writer:
                    writer.writerow([canonical(typed[n]) for n in names])
    except FrictionlessException as e:
        report.fatal_reason, report.fatal_message = "structure", e.error.message
    finally:
        if out:
            out.close()
