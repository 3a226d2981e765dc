"""Columns of plain numbers settled in bulk, with the compiled schema's verdicts (for ``columnar``).

A column every cell of which is empty or a plain ASCII number (no sign, no
leading zero, at most 18 digits for an integer, 9 and 6 decimals for a
number) is checked by one regular expression over the joined column. Such a
cell is its own canonical text (``80.0`` aside: a whole ``Decimal`` is
written ``80``), ``int``/``float`` cast it in C loops, and bounds are
screened in numpy: a value strictly inside the open interval of the bounds
passes (rounding to a float is monotonic), any other is checked exactly, as
the schema's reader types it, by the compiled schema's own checks. A column
with any other cell is settled cell by cell instead.
"""

from __future__ import annotations

import decimal
import re
from typing import Any

import numpy as np

from shafaf.validate.compiled_schema import _checks
from shafaf.validate.mapping import PERIOD_FIELDS, ColumnPlan

SLOW = object()  # a cell the row path must judge
_INTEGERS = re.compile(r"(?:(?:0|[1-9][0-9]{0,17})?\n)*(?:0|[1-9][0-9]{0,17})?")
_NUMBERS = re.compile(r"(?:(?:(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,6})?)?\n)*(?:(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,6})?)?")
_ZERO_FRACTION = re.compile(r"\.0+(?:\n|$)")
_BOUNDS = {"required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}


class NumberColumn:
    """One integer or number field whose plain cells can be settled in bulk."""

    def __init__(self, field: Any):
        self.integer = field.type == "integer"
        self.pattern = _INTEGERS if self.integer else _NUMBERS
        self.checks = [check for name, check, _ in _checks(field, field.create_value_reader()) if name != "required"]
        self.required = bool(field.constraints.get("required"))
        self.screen = _screen(field)

    @classmethod
    def of(cls, field: Any, name: str, plan: ColumnPlan) -> NumberColumn | None:
        """The field's ``NumberColumn``, or None when its cells need more than a plain cast (a value map, a
        period column, other missing values or constraints, a number format)."""
        if field.type not in ("integer", "number") or name in plan.value_maps or name == "agency_id":
            return None
        if plan.period_index is not None and name in PERIOD_FIELDS:
            return None
        missing = field.missing_values if field.has_defined("missing_values") else field.schema.missing_values
        if list(missing) != [""] or set(field.constraints) - _BOUNDS:
            return None
        if field.type == "integer" and not field.bare_number:
            return None
        if field.type == "number" and (
            not field.bare_number or field.float_number or {"group_char", "decimal_char"} & set(field.list_defined())
        ):
            return None
        return cls(field)

    def settle(self, col: tuple[str, ...], *, typed: bool) -> tuple[list[Any], list[Any] | None, list[Any]] | None:
        """(canonical text, with SLOW for a cell that fails; typed values if ``typed``; SQLite values: the
        ``int``/``float`` of each cell, None for an empty one), or None if ``col`` is not all plain numbers."""
        joined = "\n".join(col)
        if not self.pattern.fullmatch(joined):
            return None
        integer, checks = self.integer, self.checks
        has_empty = "" in col
        exact = (lambda c: int(c)) if integer else decimal.Decimal
        if has_empty:
            values = [float(c) if c else None for c in col] if not integer else [int(c) if c else None for c in col]
        else:
            values = list(map(float, col)) if not integer else list(map(int, col))
        canon: list[Any] = list(col)
        if not integer and _ZERO_FRACTION.search(joined):
            whole = {c: c.partition(".")[0] for c in set(col) if "." in c and not c.partition(".")[2].strip("0")}
            canon = list(map(whole.get, col, col))  # 80.0 → 80, as canonical(Decimal) writes a whole number
        if checks:
            present = np.array(
                [v for v in values if v is not None] if has_empty else values, dtype=np.int64 if integer else np.float64
            )
            where = np.flatnonzero(np.array([v is not None for v in values])) if has_empty else None
            if present.size:
                lo, hi = self.screen
                # Inside the open interval of the bounds every value passes (a float rounds monotonically: one
                # strictly inside is inside); the others are checked exactly, as Decimals, by the schema's checks.
                outside = np.flatnonzero(~((present > lo) & (present < hi))).tolist()
                for j in outside:
                    r = int(where[j]) if where is not None else j
                    if not all(check(exact(col[r])) for check in checks):
                        canon[r] = SLOW
        if has_empty and self.required:
            canon = [SLOW if c == "" else c for c in canon]
        if not typed:
            return canon, None, values
        typed_values = values if integer else [None if v is None else decimal.Decimal(c) for v, c in zip(values, col)]
        return canon, typed_values, values


def _screen(field: Any) -> tuple[float, float]:
    """The open interval inside every bound of ``field`` (as floats: a screen, not a verdict)."""
    c = field.constraints
    lows = [float(c[k]) for k in ("minimum", "exclusiveMinimum") if c.get(k) is not None]
    highs = [float(c[k]) for k in ("maximum", "exclusiveMaximum") if c.get(k) is not None]
    return (max(lows) if lows else -np.inf), (min(highs) if highs else np.inf)
