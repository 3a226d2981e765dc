"""The rules of one row beyond its cells' types: cross-field rules, the services foreign key, the primary key;
and how the reader's problems (header, missing and extra cells) become errors.

Shared by every engine (``engine``: compiled and frictionless; ``columnar``),
so a row that the columnar engine cannot settle in bulk is judged by the
very same code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from shafaf import standard
from shafaf.normalize import fold_digits
from shafaf.standard import targets
from shafaf.validate import messages
from shafaf.validate.keys import KEY_SEPARATOR
from shafaf.validate.mapping import UNKNOWN_AGENCY
from shafaf.validate.report import Report, RowError, canonical

# (field, other field, rule): a value of the first larger than the second's is broken ("larger"), or, for
# "before", the second (a start) after the first (an end). One table for every engine.
RULE_PAIRS = (
    ("completed", "applications", "larger"),
    ("within_standard", "completed", "larger"),
    ("period_end", "period_start", "before"),
    ("end_date", "start_date", "before"),
)


def frictionless_message(error: Any) -> str:
    """frictionless' title and note, without its positions in the interim file."""
    return f"{error.title}: {error.note}" if error.note else error.title


CONSTRAINT = re.compile(r'constraint "(\w+)"')


def cross_field_errors(row: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Rules Table Schema cannot express: (field, the other field, rule) for each broken one."""
    out = []
    for field, other, rule in RULE_PAIRS:
        a, b = (row.get(field), row.get(other)) if rule == "larger" else (row.get(other), row.get(field))
        if a is not None and b is not None and a > b:
            out.append((field, other, rule))
    return out


# The reader's header problems (its own wording, or frictionless' when it passes those on), as typed errors.
_HEADER_PROBLEMS = [
    (re.compile(r"^column (?P<column>\d+): the name is blank"), "blank-label"),
    (
        re.compile(
            r"^column (?P<column>\d+): the name (?P<q>['\"])(?P<label>.*?)(?P=q) is duplicated \(column (?P<first>\d+)"
        ),
        "duplicate-label",
    ),
    (re.compile(r'^Label in the header in field at position "(?P<column>\d+)" is blank'), "blank-label"),
    (
        re.compile(
            r'^Label "(?P<label>.*?)" in the header at position "(?P<column>\d+)" is duplicated to a label: '
            r'at position "(?P<first>\d+)'
        ),
        "duplicate-label",
    ),
]


def header_errors(problems: list[str], dataset: str) -> list[RowError]:
    """Blank and repeated column names, with fa/en messages; a problem of another kind keeps the reader's words."""
    out = []
    for problem in problems:
        for pattern, error_type in _HEADER_PROBLEMS:
            m = pattern.search(problem)
            if m:
                facts = m.groupdict()
                column, label = int(facts["column"]), facts.get("label") or ""
                first = int(facts["first"]) if facts.get("first") else None
                text = messages.row_error(
                    dataset, error_type, None, label, column_number=column, label=label, first_column=first
                )
                out.append(RowError(None, label or None, label, error_type, text.en, text.fa, column))
                break
        else:
            text = messages.row_error(dataset, "header-error", None, "", detail=problem)
            out.append(RowError(None, None, "", "header-error", text.en, text.fa))
    return out


def flag_mapping(
    report: Report, row_number: int, problems: Iterable[Any], columns: Mapping[str, int], agency_id: Any
) -> None:
    """The cells the registry's mapping could not place (``mapping.map_rows``), each named by its column."""
    for p in problems:
        report.flag(
            row_number,
            p.field,
            p.value,
            p.error_type,
            column_number=columns.get(p.field),
            detail=p.message,
            expected=agency_id,
        )


def flag_structure(
    report: Report,
    row_number: int,
    cells: list[str],
    labels: list[str],
    structural: list[tuple[str, str]],
    field_at: Mapping[int, str],
) -> None:
    """Missing and extra cells, named by the column they concern (the reader only says how many)."""
    width = len(labels)
    missing, extra = iter(range(len(cells), width)), iter(range(width, len(cells)))
    for error_type, message in structural:
        if error_type == "missing-cell":
            i = next(missing, None)
            field = None if i is None else field_at.get(i, labels[i] or None)
            report.flag(
                row_number,
                field,
                "",
                error_type,
                column_number=None if i is None else i + 1,
                label=None if i is None else labels[i],
                cells=len(cells),
                header_width=width,
            )
        elif error_type == "extra-cell":
            i = next(extra, None)
            report.flag(
                row_number,
                None,
                "" if i is None else cells[i],
                error_type,
                column_number=None if i is None else i + 1,
                header_width=width,
            )
        else:
            report.flag(row_number, None, "", error_type, detail=message)


NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?%?")


class ColumnKinds:
    """Whether each column held only numbers, some text, or nothing, seen cell by cell."""

    def __init__(self, labels: list[str]):
        self.labels = labels
        self.kinds = ["empty"] * len(labels)

    def see(self, cells: list[str]) -> None:
        kinds = self.kinds
        for i, cell in enumerate(cells[: len(kinds)]):
            if kinds[i] == "text" or not cell or cell.isdecimal() and kinds[i] == "number":
                continue  # settled, empty, or plain digits in a number column: nothing new to learn
            self._see_cell(i, cell)

    def see_values(self, i: int, cells: Iterable[str]) -> None:
        """Column ``i``'s cells of many rows at once (its distinct values are enough: the result has no order)."""
        for cell in cells:
            if self.kinds[i] == "text":
                return
            if cell and not (cell.isdecimal() and self.kinds[i] == "number"):
                self._see_cell(i, cell)

    def _see_cell(self, i: int, cell: str) -> None:
        value = cell.strip()
        if value:
            folded = fold_digits(value).replace(",", "").replace(" ", "")
            self.kinds[i] = "number" if NUMBER.fullmatch(folded) else "text"

    def result(self) -> dict[str, str]:
        return dict(zip(self.labels, self.kinds))


class AsWritten:
    """The cells of one row as the agency wrote them, where normalizing changed them.

    ``raw`` is a dict (the compiled path) or the interim file's JSON text,
    parsed only when a message needs it (the reference path).
    """

    __slots__ = ("text", "typed", "cells")

    def __init__(self, raw: str | dict[str, str] | None, typed: Mapping[str, Any]):
        self.typed = typed
        self.text, self.cells = ("", raw) if isinstance(raw, dict) else (raw or "", None)

    def __call__(self, field: str | None, default: str | None = None) -> str:
        if field and self.cells is None and self.text and f'"{field}"' in self.text:
            self.cells = json.loads(self.text)
        if field and self.cells and field in self.cells:
            return self.cells[field]
        return canonical(self.typed.get(field or "")) if default is None else default


def check_rules(
    report: Report,
    typed: Mapping[str, Any],
    source_row: int,
    written: AsWritten,
    columns: Mapping[str, int],
    services: set[str] | None,
    *,
    cells_ok: bool,
) -> bool:
    """Cross-field rules (when the row's cells all passed) and the services foreign key; True if any is broken."""
    broken = False
    for field, other, rule in cross_field_errors(typed) if cells_ok else ():
        report.flag(
            source_row,
            field,
            written(field),
            "cross-field",
            column_number=columns.get(field),
            other=other,
            other_value=written(other),
            rule=rule,
        )
        broken = True
    service_id = typed.get("service_id")
    if services is not None and service_id is not None and service_id not in services:
        agency = typed.get("agency_id")
        report.flag(
            source_row,
            "service_id",
            written("service_id"),
            "foreign-key",
            column_number=columns.get("service_id"),
            agency_id=None if agency in (None, UNKNOWN_AGENCY) else agency,
        )
        broken = True
    return broken


def repeated_key(
    report: Report, keys: Keys, key_fields: list[str], typed: Mapping[str, Any], source_row: int, *, register: bool
) -> bool:
    """A primary key seen on an earlier accepted row; a row that passes is remembered (``register``). True if repeated."""
    key = [typed.get(k) for k in key_fields]
    if None in key:
        return False  # a missing key cell is already a required-constraint error
    key_text = [str(v) for v in key]  # strings and dates: str() is canonical (ISO for dates)
    first = keys.first_row(KEY_SEPARATOR.join(key_text), source_row, register=register)
    if first is None:
        return False
    shown = [(f, v) for f, v in zip(key_fields, key_text) if (f, v) != ("agency_id", UNKNOWN_AGENCY)]
    report.flag(
        source_row,
        None,
        ", ".join(key_text),
        "primary-key",
        first_row=first,
        key_fields=[f for f, _ in shown],
        key_values=[v for _, v in shown],
    )
    return True


class Keys(Protocol):
    """What the rules need of a key index (``keys.KeyIndex`` on disk, ``keys.HashedKeys`` in memory)."""

    def first_row(self, key: str, row: int, *, register: bool) -> int | None: ...


class RowJudge:
    """One typed row's verdict: its cell errors flagged, then the rules and the primary key; the staged row if it passes.

    The one judge of every engine, so a row is judged by the same code
    whichever engine typed it.
    """

    def __init__(
        self, kind: str, report: Report, *, columns: Mapping[str, int], known_services: set[str] | None, keys: Keys
    ):
        self.report, self.columns, self.keys = report, columns, keys
        self.names = standard.field_names(kind)
        self.key_fields = standard.primary_key(kind)
        self.services = known_services if "service_id" in self.names else None
        self.undirected: set[str] | None = set() if kind == "targets" else None  # targets nobody can judge

    def judge(
        self,
        typed: Mapping[str, Any],
        cell_errors: list[Any],
        *,
        source_row: int,
        raw: str | dict[str, str] | None,
        failed: bool,
    ) -> list[str] | None:
        report, columns = self.report, self.columns
        written = AsWritten(raw, typed)
        for err in cell_errors:
            field = getattr(err, "field_name", None)
            cell = getattr(err, "cell", "")
            constraint = CONSTRAINT.search(err.note or "")
            report.flag(
                source_row,
                field,
                written(field, "" if cell is None else str(cell)),
                err.type,
                column_number=columns.get(field or ""),
                constraint=constraint and constraint.group(1),
                detail=frictionless_message(err),
            )
            failed = True
        failed = (
            check_rules(report, typed, source_row, written, columns, self.services, cells_ok=not cell_errors) or failed
        )
        failed = repeated_key(report, self.keys, self.key_fields, typed, source_row, register=not failed) or failed
        if failed:
            return None
        report.rows_staged += 1
        if (
            self.undirected is not None
            and targets.direction(typed.get("indicator"), typed.get("unit"), typed.get("direction")) is None
        ):
            self.undirected.add(str(typed.get("indicator")))
        return [canonical(typed[n]) for n in self.names]

    def finish(self) -> None:
        """The note on targets without a direction, once every row is judged."""
        if self.undirected:
            shown = sorted(self.undirected)
            self.report.notes.append(
                f"no direction for the target{'s' if len(shown) > 1 else ''} {', '.join(shown[:10])}"
                f"{f' and {len(shown) - 10} more' if len(shown) > 10 else ''}: set 'direction' to higher or lower "
                f"so the portal can say whether each was met (until then they are shown without a verdict)"
            )
