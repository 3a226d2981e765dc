"""Apply a source's ``fields`` and ``values`` rules: the agency's columns → the standard's.

A ``ColumnPlan`` is made once from the header; ``map_row`` then turns each
row into the standard's field order, normalizing digits and letters and
splitting a single ``period`` column into start, end and label. Problems in a
row are returned as data (``CellProblem``), never raised.
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from shafaf import standard
from shafaf.config.registry import Source, Unpivot
from shafaf.core.errors import StageError
from shafaf.core.models import Reason
from shafaf.core.public_message import listing
from shafaf.normalize import (
    PeriodError,
    clean_code,
    clean_text,
    fold_digits,
    number_text,
    parse_date,
    parse_period,
    unify_letters,
)

NUMERIC_TYPES = {"integer", "number", "year"}
PERIOD_FIELDS = ("period_start", "period_end", "period_label")
UNKNOWN_AGENCY = "unknown"  # stands for the agency when a file is only being validated
OTHER_VALUES = "*"  # in a ``values`` table: what any other non-empty value becomes


@dataclasses.dataclass(frozen=True)
class MappingOptions:
    """How one source's columns and values become the standard's: what a registry source says, in one piece.

    Made once (from the ``Source``, or from the options of ``shafaf validate``)
    and handed down to ``plan_columns`` unchanged.
    """

    fields: Mapping[str, str] = dataclasses.field(default_factory=lambda: MappingProxyType({}))  # field -> column
    values: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    agency_id: str | None = None  # fills an empty agency_id; other agencies' rows are refused
    calendar: str | None = None
    year_pivot: int | None = None  # two-digit years, with ``calendar``
    unpivot: Unpivot | None = None

    @classmethod
    def of(cls, source: Source, *, agency_id: str | None) -> MappingOptions:
        """The options of a registry source, harvested for ``agency_id``."""
        return cls(
            fields=source.fields,
            values=source.values,
            agency_id=agency_id,
            calendar=source.calendar,
            year_pivot=source.year_pivot,
            unpivot=source.unpivot,
        )


NO_MAPPING = MappingOptions()  # the standard's own column names, no agency, no calendar


@dataclasses.dataclass(frozen=True)
class CellProblem:
    field: str
    value: str
    error_type: str
    message: str


@dataclasses.dataclass(frozen=True)
class ColumnPlan:
    """Where each standard field comes from in the source's columns."""

    kind: str
    agency_id: str | None  # fills an empty or missing agency_id; other agencies' rows are refused
    field_names: tuple[str, ...]
    field_types: tuple[str, ...]
    indexes: tuple[int | None, ...]  # source column index per standard field, None when absent
    period_index: int | None  # a single period column standing for the three period fields
    value_maps: Mapping[str, Mapping[str, str]]
    calendar: str | None
    unused_columns: tuple[str, ...]
    year_pivot: int | None = None
    # unpivot: (field, value field, ((value of field, source column indexes added up), ...))
    unpivot: tuple[str, str, tuple[tuple[str, tuple[int, ...]], ...]] | None = None


def _canonical_map_value(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _find(labels: list[str], wanted: str) -> int | None:
    for i, label in enumerate(labels):
        if label.strip() == wanted:
            return i
    folded = unify_letters(wanted).strip().casefold()
    for i, label in enumerate(labels):
        if unify_letters(label).strip().casefold() == folded:
            return i
    return None


def plan_columns(
    labels: list[str], kind: str, mapping: MappingOptions = NO_MAPPING, *, file_name: str = "the file"
) -> ColumnPlan:
    """Match the header to the standard; raise StageError naming every missing required column."""
    fields, values, unpivot = mapping.fields or {}, mapping.values, mapping.unpivot
    agency_id, calendar, year_pivot = mapping.agency_id, mapping.calendar, mapping.year_pivot
    names = standard.field_names(kind)
    types = [f["type"] for f in standard.fields(kind)]
    indexes = [_find(labels, fields.get(name, name)) for name in names]
    if unpivot is not None:
        # The unpivoted fields come from the listed columns, never from a column of the same name.
        for name in (unpivot.field, unpivot.value):
            indexes[names.index(name)] = None

    period_index = None
    if standard.has_periods(kind):
        period_column = fields.get("period", "period")
        start_index = indexes[names.index("period_start")]
        if "period" in fields or start_index is None:
            period_index = _find(labels, period_column)

    missing = []
    for name, index in zip(names, indexes):
        if index is not None or name not in standard.required_fields(kind):
            continue
        if name == "agency_id":
            continue  # filled from the source's agency, or with a placeholder when only validating
        if name in PERIOD_FIELDS and period_index is not None:
            continue
        if unpivot is not None and name in (unpivot.field, unpivot.value):
            continue
        missing.append(fields.get(name, name) + (f" (for {name})" if name in fields else ""))
    groups: dict[str, list[int]] = {}
    for column, meaning in unpivot.columns.items() if unpivot else ():
        index = _find(labels, column)
        if index is None:
            missing.append(f"{column} (to unpivot into {unpivot.field}={meaning})")
        else:
            groups.setdefault(meaning, []).append(index)
    if missing:
        raise StageError(
            Reason.MISSING_COLUMN,
            f"{file_name} has no column {', '.join(repr(m) for m in missing)} required by the {kind!r} standard; "
            f"its columns are: {listing(labels)}",
        )

    used = {i for i in indexes if i is not None} | ({period_index} if period_index is not None else set())
    used |= {i for group in groups.values() for i in group}
    # Keys are normalized exactly as the cells they must match (one function for both sides).
    type_of = dict(zip(names, types))
    value_maps = {
        field: {
            (
                k
                if k == OTHER_VALUES
                else normalize_cell(str(k), type_of.get(field, "string"), is_code=_is_code(field))
            ): _canonical_map_value(v)
            for k, v in table.items()
        }
        for field, table in (values or {}).items()
    }
    return ColumnPlan(
        kind=kind,
        agency_id=agency_id,
        field_names=tuple(names),
        field_types=tuple(types),
        indexes=tuple(indexes),
        period_index=period_index,
        value_maps=value_maps,
        calendar=calendar,
        year_pivot=year_pivot,
        unused_columns=tuple(label for i, label in enumerate(labels) if i not in used),
        unpivot=(unpivot.field, unpivot.value, tuple((m, tuple(ix)) for m, ix in groups.items())) if unpivot else None,
    )


def normalize_cell(value: str, field_type: str, *, is_code: bool = False) -> str:
    """One cell as the standard stores it (see ``normalize.text`` for every rule).

    Text: Arabic yeh/kaf unified, tatweel and stray invisible marks removed,
    a ZWNJ between letters kept; otherwise as written. Codes (``*_id``),
    dates and other non-text fields: every invisible mark removed and digits
    folded to ASCII. Numbers: also thousands separators and spaces dropped.
    """
    if value.isascii() and value.isprintable():
        value = value.strip()
        return number_text(value) if field_type in NUMERIC_TYPES and ("," in value or " " in value) else value
    if field_type == "string" and not is_code:
        return clean_text(unify_letters(value)).strip()
    if field_type in NUMERIC_TYPES:
        return number_text(value)
    return fold_digits(clean_code(unify_letters(value)))


def _is_code(name: str) -> bool:
    """Identifiers (service_id, standard_id...) are codes: their digits are folded to ASCII."""
    return name.endswith("_id")


@functools.lru_cache(maxsize=64)
def _codes(field_names: tuple[str, ...]) -> tuple[bool, ...]:
    return tuple(_is_code(name) for name in field_names)


def map_field(plan: ColumnPlan, at: int, raw: str) -> tuple[str, CellProblem | None]:
    """The ``at``-th standard field from its source cell ``raw``: normalized, mapped, dated; and its problem, if any.

    Row by row (``map_row``) and for each distinct cell of a column (``columnar``): one rule for both.
    """
    name, field_type = plan.field_names[at], plan.field_types[at]
    value = normalize_cell(raw, field_type, is_code=_codes(plan.field_names)[at])
    problem = None
    table = plan.value_maps.get(name)
    if table is not None and value in table:
        value = table[value]
    elif table is not None and value and OTHER_VALUES in table:
        value = table[OTHER_VALUES]
    elif field_type == "date" and value:
        # Always through parse_date: an ISO-shaped Jalali date (1402-07-15) is not Gregorian.
        try:
            value = parse_date(value, calendar=plan.calendar, pivot=plan.year_pivot).isoformat()
        except PeriodError as e:
            problem = CellProblem(name, raw, "date-error", str(e))
    if name == "agency_id":
        if not value:
            value = plan.agency_id or UNKNOWN_AGENCY
        elif plan.agency_id and value != plan.agency_id:
            problem = CellProblem(name, raw, "wrong-agency", f"row belongs to agency {value!r}, not {plan.agency_id!r}")
    return value, problem


def map_period(plan: ColumnPlan, raw: str) -> tuple[tuple[str, str, str] | None, CellProblem | None]:
    """A single period cell → (period_start, period_end, period_label) as text, or its problem."""
    try:
        period = parse_period(raw, calendar=plan.calendar, pivot=plan.year_pivot)
    except PeriodError as e:
        return None, CellProblem("period", raw, "period-error", str(e))
    return (period.start.isoformat(), period.end.isoformat(), period.label), None


def map_row(plan: ColumnPlan, cells: list[str]) -> tuple[list[str], list[CellProblem]]:
    """One source row → the standard's fields, in order, as text; plus any problems found."""
    out: list[str] = []
    problems: list[CellProblem] = []
    for at, index in enumerate(plan.indexes):
        value, problem = map_field(plan, at, cells[index] if index is not None and index < len(cells) else "")
        if problem is not None:
            problems.append(problem)
        out.append(value)

    if plan.period_index is not None:
        period, problem = map_period(plan, cells[plan.period_index] if plan.period_index < len(cells) else "")
        if problem is not None:
            problems.append(problem)
        else:
            for name, value in zip(PERIOD_FIELDS, period):
                out[plan.field_names.index(name)] = value
    return out, problems


def map_rows(plan: ColumnPlan, cells: list[str]) -> list[tuple[list[str], list[CellProblem]]]:
    """One source row → one standard row, or one per unpivoted value that has data."""
    values, problems = map_row(plan, cells)
    if plan.unpivot is None:
        return [(values, problems)]
    field, value_field, groups = plan.unpivot
    field_at, value_at = plan.field_names.index(field), plan.field_names.index(value_field)
    value_type = plan.field_types[value_at]
    table = plan.value_maps.get(value_field, {})
    out = []
    for meaning, indexes in groups:
        total: decimal.Decimal | None = None
        own: list[CellProblem] = []
        for index in indexes:
            raw = cells[index] if index < len(cells) else ""
            cell = normalize_cell(raw, value_type)
            cell = table.get(cell, table.get(OTHER_VALUES, cell) if cell else cell)
            if cell == "":
                continue
            try:
                total = (total or 0) + decimal.Decimal(cell)
            except decimal.InvalidOperation:
                own.append(
                    CellProblem(value_field, raw, "type-error", f"{raw!r} (for {field}={meaning}) is not a number")
                )
        if total is None and not own:
            continue  # no data for this value: no row, rather than a row of nothing
        row = list(values)
        row[field_at] = meaning
        row[value_at] = "" if total is None else format(total.normalize(), "f")
        out.append((row, problems + own))
    return out
