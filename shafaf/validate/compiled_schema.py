"""A Table Schema compiled to one cast-and-check function per field: frictionless' verdicts, without its row machinery.

Why: on a million-row file frictionless' ``row_stream`` spends most of its
time building ``Row`` objects, not casting cells. The standard's CSV passes
through ``validate`` as an interim file that Shafaf wrote itself (one header,
every row as wide as it), so what is left to check is each cell. Each field
here casts with the call frictionless makes for its type (``int()``,
``Decimal()``, ``strptime`` for dates, the field's true/false values) and
checks its constraints with frictionless' own ``check_*`` functions, in the
order and with the notes frictionless gives; a field of any other type or
format uses frictionless' own cell reader. ``tests/test_compiled_schema.py``
holds the two side by side on frictionless-py's invalid fixtures and on
generated files with injected errors: the same rows rejected, with the same
error types, fields and notes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from frictionless import Field, Schema
from frictionless import errors as frictionless_errors
from frictionless.schema import field as frictionless_field

Reader = Callable[[str], tuple[Any, "dict[str, str] | None"]]

_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)  # anything else (Persian digits...) goes to strptime


@dataclasses.dataclass(frozen=True)
class CellError:
    """One failed cell, shaped like the frictionless error it stands for (``type``, ``title``, ``note``...)."""

    type: str
    title: str
    note: str
    field_name: str
    cell: str


_TYPE = (frictionless_errors.TypeError.type, frictionless_errors.TypeError.title)
_CONSTRAINT = (frictionless_errors.ConstraintError.type, frictionless_errors.ConstraintError.title)


class CompiledSchema:
    """``read(cells)`` → (the typed row as a dict, its cell errors), for rows exactly as wide as the schema."""

    def __init__(self, schema: Schema):
        self.names = [f.name for f in schema.fields]
        self._readers = [cell_reader(f) for f in schema.fields]

    def read(self, cells: list[str]) -> tuple[dict[str, Any], list[CellError]]:
        typed: dict[str, Any] = {}
        errors: list[CellError] = []
        for name, reader, cell in zip(self.names, self._readers, cells):
            value, notes = reader(cell)
            typed[name] = value
            if notes:
                type_note = notes.pop("type", None)
                if type_note:
                    errors.append(CellError(*_TYPE, type_note, name, cell))
                errors.extend(CellError(*_CONSTRAINT, note, name, cell) for note in notes.values())
        return typed, errors

    def rows(self, rows: Iterable[list[str]]) -> Iterator[tuple[dict[str, Any], list[CellError]]]:
        read = self.read
        for cells in rows:
            yield read(cells)


def cell_reader(field: Field) -> Reader:
    """What frictionless' ``Field.create_cell_reader`` does for ``field``, with a faster cast where one is known."""
    value_reader = _value_reader(field)
    if value_reader is None:
        return field.create_cell_reader()
    missing_values = field.missing_values
    if not field.has_defined("missing_values") and field.schema:
        missing_values = field.schema.missing_values
    missing = frozenset(missing_values)
    checks = _checks(field, field.create_value_reader())
    type_note = f'type is "{field.type}/{field.format}"'

    def read(cell: str) -> tuple[Any, dict[str, str] | None]:
        notes: dict[str, str] | None = None
        value: Any = None
        if cell not in missing:
            value = value_reader(cell)
            if value is None:
                notes = {"type": type_note}
        if notes is None:
            for name, check, note in checks:
                if not check(value):
                    notes = notes or {}
                    notes[name] = note
        return value, notes

    return read


def _checks(field: Field, value_reader: Callable[[Any], Any]) -> list[tuple[str, Callable[[Any], bool], str]]:
    """The field's constraints as frictionless builds them (bounds and enums cast by the field's own reader),
    each as one expression with the semantics of frictionless' ``check_<name>``."""
    out = []
    for name in field.supported_constraints:
        constraint = field.constraints.get(name)
        if constraint is None:
            continue
        note = f'constraint "{name}" is "{constraint}"'
        if name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            constraint = value_reader(constraint)
        if name == "pattern":
            constraint = re.compile(f"^{constraint}$")
        if name == "enum":
            constraint = list(map(value_reader, constraint))
        check = _check(name, constraint)
        if check is not None:
            out.append((name, check, note))
    return out


def _check(name: str, c: Any) -> Callable[[Any], bool] | None:
    """``check_<name>`` of frictionless.schema.field bound to its constraint ``c`` (None: it always passes)."""
    if name == "required":
        return (lambda v: v is not None) if c else None
    if name == "minimum":
        return lambda v: v is None or (not v != v and bool(v >= c))  # v != v: NaN, which no bound admits
    if name == "maximum":
        return lambda v: v is None or (not v != v and bool(v <= c))
    if name == "exclusiveMinimum":
        return lambda v: v is None or (not v != v and bool(v > c))
    if name == "exclusiveMaximum":
        return lambda v: v is None or (not v != v and bool(v < c))
    if name == "pattern":
        return lambda v: v is None or bool(c.match(v))
    if name == "enum":
        return lambda v: v is None or v in c
    if name == "minLength":
        return lambda v: v is None or len(v) >= c
    if name == "maxLength":
        return lambda v: v is None or len(v) <= c
    return functools.partial(getattr(frictionless_field, f"check_{name}"), c)  # any other: frictionless' own


def _value_reader(field: Field) -> Callable[[str], Any] | None:
    """A cast of a text cell for the types and formats the standard uses; None for any other."""
    if field.type == "string" and field.format == "default":
        return lambda cell: cell
    if field.type == "integer" and field.bare_number:
        return _integer
    if (
        field.type == "number"
        and field.bare_number
        and not field.float_number
        and not {"group_char", "decimal_char"} & set(field.list_defined())
    ):
        return _number
    if field.type == "date" and field.format == "default":
        return _date
    if field.type == "boolean":
        mapping = {**{v: True for v in field.true_values}, **{v: False for v in field.false_values}}
        return mapping.get
    return None


def _integer(cell: str) -> int | None:
    try:
        return int(cell.strip())
    except ValueError:
        return None


def _number(cell: str) -> decimal.Decimal | None:
    try:
        return decimal.Decimal(cell.strip())
    except (decimal.InvalidOperation, ValueError):
        return None


@functools.lru_cache(maxsize=4096)  # a file has few distinct days and many rows; a date is immutable
def _date(cell: str) -> dt.date | None:
    """``strptime(cell, "%Y-%m-%d")``, as frictionless reads a default date; plain ISO days without it."""
    m = _ISO_DAY.fullmatch(cell)
    try:
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        return dt.datetime.strptime(cell, "%Y-%m-%d").date()
    except ValueError:
        return None
