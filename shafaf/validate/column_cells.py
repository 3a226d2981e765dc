"""The cells of a batch's columns settled: as the row engines would stage them, type them and load them.

Why apart: this is the columnar engine's one answer to "what is this cell",
and it must be the row path's answer exactly. A column of plain numbers is
settled in bulk (``number_columns``); any other column once per distinct
cell, by the very functions the row engines call (``mapping.map_field`` /
``map_period``, then the compiled schema's reader), the answer looked up for
every row. Each cell gets three values: its canonical text (the staged CSV),
its typed value (for the cross-field rules) and its SQLite value (the staged
rows file, ``standard.sqlite_cells``); SLOW for a cell the row path must judge.
"""

from __future__ import annotations

from typing import Any

from shafaf.normalize.text import removed_marks
from shafaf.standard import SQLITE_TYPES
from shafaf.standard.sqlite_cells import caster
from shafaf.validate.compiled_schema import cell_reader
from shafaf.validate.mapping import PERIOD_FIELDS, ColumnPlan, map_field, map_period
from shafaf.validate.number_columns import SLOW, NumberColumn
from shafaf.validate.report import canonical
from shafaf.validate.row_rules import ColumnKinds

MEMO_LIMIT = 200_000  # distinct cells remembered per column across batches
Settled = tuple[list[Any], list[Any] | None, list[Any] | None]  # canonical texts, typed values, SQLite values


class Cells:
    """The settling of one file's columns, with what it remembers of their distinct cells."""

    def __init__(
        self,
        plan: ColumnPlan,
        fields: list[Any],
        kinds: ColumnKinds,
        *,
        services: set[str] | None,
        typed_needed: set[int],
        with_sql: bool,
    ):
        self.plan, self.kinds, self.services = plan, kinds, services
        self.typed_needed, self.with_sql = typed_needed, with_sql
        names = plan.field_names
        self.field_at = {index: name for name, index in zip(names, plan.indexes) if index is not None}
        self.readers = [cell_reader(f) for f in fields]
        self.casts = [caster(SQLITE_TYPES[f.type]) for f in fields]
        self.numeric = [NumberColumn.of(f, name, plan) for f, name in zip(fields, names)]
        # One dict per answer (canonical text, typed value, SQLite value): each looked up in a C loop.
        self.memo: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [({}, {}, {}) for _ in names]
        self.period_memo: dict[str, tuple[tuple[Any, Any, Any], ...]] = {}
        self.cast_failed = False  # a canonical text without a SQLite value (none known): the rows file is given up

    def numeric_column(self, i: int) -> int | None:
        """The standard field read from source column ``i`` when it is settled as plain numbers, else None."""
        name = self.field_at.get(i)
        if name is None:
            return None
        at = self.plan.field_names.index(name)
        return at if self.numeric[at] is not None else None

    def column(self, at: int, index: int, col: tuple[str, ...]) -> Settled:
        """Field ``at`` of the batch, read from source column ``index``."""
        numeric = self.numeric[at]
        if numeric is not None:
            settled = numeric.settle(col, typed=at in self.typed_needed)
            if settled is not None:
                if self.kinds.kinds[index] == "empty" and any(col):
                    self.kinds.kinds[index] = "number"  # what ColumnKinds.see concludes of plain numbers
                canon, typed, values = settled
                return canon, typed, values if self.with_sql else None
            self.kinds.see_values(index, set(col))
        return self._memo(at, col)

    def _memo(self, at: int, col: tuple[str, ...]) -> Settled:
        """Each distinct cell settled once by the row engines' own functions, then looked up for every row."""
        canons, typeds, sqls = self.memo[at]
        if len(canons) > MEMO_LIMIT:
            for memo in self.memo[at]:
                memo.clear()
        for cell in set(col) - canons.keys():
            canons[cell], typeds[cell], sqls[cell] = self._cell(at, cell)
        return (
            list(map(canons.__getitem__, col)),
            list(map(typeds.__getitem__, col)) if at in self.typed_needed else None,
            list(map(sqls.__getitem__, col)) if self.with_sql else None,
        )

    def _cell(self, at: int, cell: str, *, written: bool = True) -> tuple[Any, Any, Any]:
        """One cell as the row path would stage it (canonical text, typed value, SQLite value), or SLOW."""
        value, problem = map_field(self.plan, at, cell)
        if problem is not None:
            return SLOW, SLOW, SLOW
        if written and cell.strip() != value and removed_marks(cell, value):
            return SLOW, SLOW, SLOW  # the row path records what normalizing removed
        return self._typed(at, value)

    def _typed(self, at: int, value: str) -> tuple[Any, Any, Any]:
        typed, notes = self.readers[at](value)
        if notes:
            return SLOW, SLOW, SLOW
        if (
            self.services is not None
            and self.plan.field_names[at] == "service_id"
            and typed is not None
            and typed not in self.services
        ):
            return SLOW, SLOW, SLOW
        text = canonical(typed)
        return text, typed, self.sql(at, text)

    def sql(self, at: int, text: str) -> Any:
        """The SQLite value of field ``at``'s canonical text; None, and ``cast_failed``, if it has none (an integer
        past 64 bits, which ``sqlite3`` cannot bind: the publisher then reads the CSV, as it would have)."""
        try:
            return self.casts[at](text)
        except ValueError:
            self.cast_failed = True
            return None

    def constant(self, at: int, n: int) -> Settled:
        """A field the file has no column for (the registry's agency, an empty default), ``n`` times."""
        c, t, s = self._cell(at, "", written=False)
        return [c] * n, [t] * n, [s] * n

    def periods(self, col: tuple[str, ...]) -> list[Settled]:
        """The three period fields from a single period column, each distinct label parsed once."""
        memo, names = self.period_memo, self.plan.field_names
        if len(memo) > MEMO_LIMIT:
            memo.clear()
        for cell in set(col) - memo.keys():
            texts, problem = map_period(self.plan, cell)
            if problem is not None:
                memo[cell] = ((SLOW, SLOW, SLOW),) * 3
            else:
                memo[cell] = tuple(self._typed(names.index(f), text) for f, text in zip(PERIOD_FIELDS, texts))
        settled = list(map(memo.__getitem__, col))
        return [tuple([s[j][k] for s in settled] for k in range(3)) for j in range(3)]  # type: ignore[misc]
