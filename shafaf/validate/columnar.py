"""The columnar engine: a file validated a batch of columns at a time, with the row engines' verdicts.

Why: the row engines spend a million rows' time in per-cell Python calls
(reading through frictionless, mapping, casting, checking, keying). Here a
CSV is read by ``csv.reader`` with the dialect and decoding frictionless
chose (``csv_batches``), ``BATCH`` rows at a time, turned into columns, and
each column is settled in bulk (``column_cells``: plain numbers in C loops,
any other column once per distinct cell by the row engines' own functions);
the cross-field rules compare the typed columns; primary keys are hashed and
looked up in bulk (``keys.HashedKeys``).

A row any of this cannot settle exactly (a failing cell, a repeated key, a
missing or an extra cell, a blank row, text whose normalizing removed marks)
goes to the row path: ``mapping.map_rows``, the compiled schema and
``row_rules.RowJudge``, in its place among the rows, so the report and the
staged rows are the row engine's, byte for byte (``tests/test_compiled_schema.py``
holds the engines side by side). Files of other formats (their rows decoded by
frictionless) and unpivoted sources use the same batches without the CSV
reader, or the row path.

The rows that pass are written twice: as the staged CSV, and typed for SQLite
into the rows file (``rows_file``), which SQLite inserts on the other core
while this thread validates the next batch.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from frictionless import Schema

from shafaf.normalize.text import removed_marks
from shafaf.validate import csv_batches, rows_file
from shafaf.validate.column_cells import Cells
from shafaf.validate.compiled_schema import CompiledSchema
from shafaf.validate.keys import KEY_SEPARATOR, HashedKeys
from shafaf.validate.mapping import PERIOD_FIELDS, ColumnPlan, map_rows
from shafaf.validate.number_columns import SLOW
from shafaf.validate.readers import Table
from shafaf.validate.report import Report
from shafaf.validate.row_rules import RULE_PAIRS, ColumnKinds, RowJudge, flag_mapping, flag_structure
from shafaf.validate.staged_csv import ColumnBlock, StagedCsv

BATCH = 4096  # rows a batch: large enough for C loops to dominate, small enough to keep memory flat
_EXTRA = [("extra-cell", "Extra Cell")]
_MISSING = [("missing-cell", "Missing Cell")]


def run(
    table: Table,
    plan: ColumnPlan,
    kind: str,
    report: Report,
    out_csv: Path | None,
    *,
    schema: Schema,
    columns: Mapping[str, int],
    known_services: set[str] | None,
    out_rows: Path | None = None,
) -> None:
    """Validate ``table``'s rows into ``report``; write the rows that pass to ``out_csv``, and typed for SQLite
    to ``out_rows`` (``rows_file``; only beside ``out_csv``)."""
    with_sql = out_rows is not None and out_csv is not None
    engine = _Columns(
        table, plan, kind, report, schema=schema, columns=columns, known_services=known_services, with_sql=with_sql
    )
    names = engine.judge.names
    if not with_sql:
        for _ in _written(engine, out_csv):
            pass
    else:
        assert out_rows is not None and out_csv is not None
        with rows_file.writing(out_rows, names) as conn:
            count = rows_file.insert(conn, names, _written(engine, out_csv))
            if engine.sql_ok:
                periods = sorted(engine.period_starts, key=lambda v: (v is not None, v or ""))
                rows_file.seal(conn, out_csv, names, count, periods=periods if engine.period_at is not None else None)
        if not engine.sql_ok:
            out_rows.unlink(missing_ok=True)  # a cell with no SQLite value: the publisher reads the CSV
    engine.judge.finish()


def _written(engine: _Columns, out_csv: Path | None) -> Iterator[list[tuple[Any, ...]]]:
    """Each batch's staged rows written to the CSV; the batch's rows typed for SQLite, as one list."""
    out = out_csv.open("w", newline="", encoding="utf-8") if out_csv else None
    try:
        writer = StagedCsv(out) if out else None
        if writer:
            writer.header(engine.judge.names)
        for chunks in engine.batches():
            if writer:
                for chunk in chunks:
                    writer.write(chunk)
            if engine.with_sql:
                rows: list[tuple[Any, ...]] = []
                for chunk in engine.sql_out:
                    rows.extend(chunk)
                engine.sql_out = []
                yield rows
    finally:
        if out:
            out.close()


class _Columns:
    def __init__(
        self,
        table: Table,
        plan: ColumnPlan,
        kind: str,
        report: Report,
        *,
        schema: Schema,
        columns: Mapping[str, int],
        known_services: set[str] | None,
        with_sql: bool = False,
    ):
        self.table, self.plan, self.report, self.columns = table, plan, report, columns
        self.labels = table.labels
        self.width = len(self.labels)
        self.keys = HashedKeys()
        self.judge = RowJudge(kind, report, columns=columns, known_services=known_services, keys=self.keys)
        self.schema = CompiledSchema(schema)
        self.fields = list(schema.fields)
        self.kinds = ColumnKinds(self.labels)
        self.as_written = [
            (i, name, index) for i, (name, index) in enumerate(zip(plan.field_names, plan.indexes)) if index is not None
        ]
        names = plan.field_names
        self.key_at = [names.index(k) for k in self.judge.key_fields]
        self.rule_at = [
            (names.index(f), names.index(o), rule) for f, o, rule in RULE_PAIRS if f in names and o in names
        ]
        typed_needed = {a for a, b, _ in self.rule_at} | {b for _, b, _ in self.rule_at}
        period_own = any(plan.indexes[names.index(f)] is not None for f in PERIOD_FIELDS if f in names)
        # Shapes the bulk path does not reproduce: every row goes through the row path (still batched).
        # (and keys of numbers or booleans, whose text as a key is not their canonical text)
        fields = self.fields
        key_types = {fields[names.index(k)].type for k in self.judge.key_fields} if self.judge.key_fields else set()
        self.rows_only = (
            plan.unpivot is not None
            or kind == "targets"
            or (plan.period_index is not None and period_own)
            or bool(key_types - {"string", "date", "integer"})
        )
        self.cells = Cells(
            plan, fields, self.kinds, services=self.judge.services, typed_needed=typed_needed, with_sql=with_sql
        )
        self.with_sql = with_sql
        self.sql_out: list[Any] = []  # the current batch's rows typed for SQLite, in chunks as ``out``
        # The distinct period_start of the staged rows, for the rows file: the publisher joins each period's
        # Jalali year and month in without a pass over the rows to find them.
        self.period_at = names.index("period_start") if with_sql and "period_start" in names else None
        self.period_starts: set[Any] = set()

    def batches(self) -> Iterator[list[Any]]:
        for batch in csv_batches.batches(self.table, BATCH):
            yield self._batch(batch)
            self.keys.end_batch()
        self.report.columns = self.kinds.result()
        self.report.notes = list(getattr(self.table, "notes", []))

    def _batch(self, batch: list[tuple[int, list[str]]]) -> list[Any]:
        width, out = self.width, []
        regular = [k for k, (_, cells) in enumerate(batch) if len(cells) == width]
        cols = list(zip(*(batch[k][1] for k in regular))) if regular else []
        if self.table.csv_source is not None:
            csv_batches.guard(self.table, batch, regular, cols)
        fast = [] if self.rows_only else self._not_blank(regular, cols)
        if len(fast) < len(regular) and fast:
            cols = list(zip(*(batch[k][1] for k in fast)))
        settled = self._settle(cols, len(fast)) if fast else ([], [], set(), [], {})
        canon, sql, slow, pairs, earlier = settled
        numbers = [batch[k][0] for k in fast]
        cells = [batch[k][1] for k in fast]
        # The rows the bulk path leaves to the row path, in batch positions: irregular or blank rows, and full
        # rows with an unsettled cell, a key seen in an earlier batch, or no key at all.
        special = (
            {fast[f] for f in slow} | {fast[f] for f in earlier} | {fast[f] for f, p in enumerate(pairs) if p is None}
        )
        special |= set(range(len(batch))) - set(fast) if len(fast) < len(batch) else set()
        done = 0  # fast rows emitted so far
        for k in sorted(special):
            f = bisect.bisect_left(fast, k)
            done = self._emit(done, f, canon, sql, pairs, numbers, cells, out)
            settled_row = f < len(fast) and fast[f] == k  # its cells were seen column by column already
            if settled_row:
                done = f + 1
            self._row(batch[k][0], batch[k][1], out, kinds=not settled_row)
        self._emit(done, len(fast), canon, sql, pairs, numbers, cells, out)
        return out

    def _emit(
        self,
        start: int,
        stop: int,
        canon: list[Any],
        sql: list[Any],
        pairs: list[Any],
        numbers: list[int],
        cells: list[list[str]],
        out: list[Any],
    ) -> int:
        """Fast rows ``start:stop`` (settled, keyed, none seen in an earlier batch) staged; their keys registered.

        In bulk when no key repeats within them or among this batch's registered keys; else row by row, a
        repeated key going to the row path (which reports it against the first row).
        """
        if start >= stop:
            return stop
        pending, report = self.keys.pending, self.report
        seen = dict(zip(pairs[start:stop], numbers[start:stop]))
        if len(seen) == stop - start and pending.keys().isdisjoint(seen):
            pending.update(seen)
            report.rows_read += stop - start
            report.rows_staged += stop - start
            out.append(ColumnBlock([c[start:stop] for c in canon]))  # the staged rows, joined as they are written
            if self.with_sql:
                self.sql_out.append(zip(*(c[start:stop] for c in sql)))
                if self.period_at is not None:
                    self.period_starts.update(sql[self.period_at][start:stop])
            return stop
        for f in range(start, stop):
            if pairs[f] in pending:
                self._row(numbers[f], cells[f], out, kinds=False)
                continue
            pending[pairs[f]] = numbers[f]
            report.rows_read += 1
            report.rows_staged += 1
            out.append((tuple(c[f] for c in canon),))
            if self.with_sql:
                self.sql_out.append((tuple(c[f] for c in sql),))
                if self.period_at is not None:
                    self.period_starts.add(sql[self.period_at][f])
        return stop

    @staticmethod
    def _not_blank(regular: list[int], cols: list[tuple[str, ...]]) -> list[int]:
        """The rows of ``regular`` with a non-blank cell (a blank row is counted by the row path, not read)."""
        if not cols:
            return []
        blank_first = {c for c in set(cols[0]) if not c.strip()}
        if not blank_first:
            return regular
        maybe = [r for r, c in enumerate(cols[0]) if c in blank_first]
        blank = {r for r in maybe if not "".join(col[r] for col in cols).strip()}
        return [k for r, k in enumerate(regular) if r not in blank] if blank else regular

    def _settle(
        self, cols: list[tuple[str, ...]], n: int
    ) -> tuple[list[Any], list[Any], set[int], list[Any], dict[int, int]]:
        """For the batch's full-width rows (``cols``): their staged rows, the same typed for SQLite, those the
        row path must judge, their keys' hashes (None: no key), and the rows an earlier batch had their key."""
        plan, settle = self.plan, self.cells
        slow: set[int] = set()
        for i, col in enumerate(cols):
            if self.kinds.kinds[i] != "text" and settle.numeric_column(i) is None:
                self.kinds.see_values(i, set(col))
        canons: list[Any] = []
        sqls: list[Any] = []
        typed: dict[int, list[Any]] = {}
        period = settle.periods(cols[plan.period_index]) if plan.period_index is not None else None
        for at, index in enumerate(plan.indexes):
            name = plan.field_names[at]
            if period is not None and name in PERIOD_FIELDS:
                c, t, s = period[PERIOD_FIELDS.index(name)]
            elif index is None:
                c, t, s = settle.constant(at, n)
            else:
                c, t, s = settle.column(at, index, cols[index])
            canons.append(c)
            sqls.append(s)
            if at in settle.typed_needed:
                typed[at] = t  # type: ignore[assignment]
        for c in canons:
            if SLOW in c:
                slow.update(r for r, v in enumerate(c) if v is SLOW)
        for a, b, rule in self.rule_at:
            x, y = (typed[a], typed[b]) if rule == "larger" else (typed[b], typed[a])
            if None in x or None in y or SLOW in x or SLOW in y:
                broken = [
                    r
                    for r, (u, v) in enumerate(zip(x, y))
                    if u is not None and v is not None and u is not SLOW and v is not SLOW and u > v
                ]
            else:
                broken = list(itertools.compress(range(n), map(operator.gt, x, y)))
            slow.update(broken)
        key_cols = [canons[at] for at in self.key_at]
        if any(SLOW in c or "" in c for c in key_cols):
            pairs: list[Any] = [
                None if r in slow or "" in key or SLOW in key else HashedKeys.pair(KEY_SEPARATOR.join(key))
                for r, key in enumerate(zip(*key_cols))
            ]
        else:
            pairs = HashedKeys.pairs(list(map(KEY_SEPARATOR.join, zip(*key_cols)))) if key_cols else [None] * n
            for r in slow:
                pairs[r] = None
        earlier = {r: first for r, first in enumerate(self.keys.earlier(pairs)) if first is not None}
        return canons, sqls, slow, pairs, earlier

    def _row(self, row_number: int, cells: list[str], out: list[Any], *, kinds: bool) -> None:
        """The row path, for one row the columns could not settle: what ``engine`` does row by row."""
        report, plan, columns = self.report, self.plan, self.columns
        width = self.width
        structural = _EXTRA * (len(cells) - width) if len(cells) > width else _MISSING * (width - len(cells))
        if not any(c.strip() for c in cells):
            report.blank_rows += 1
            return
        report.rows_read += 1
        if kinds:
            self.kinds.see(cells)
        if structural:
            flag_structure(report, row_number, cells, self.labels, structural, self.cells.field_at)
        for values, problems in map_rows(plan, cells):
            flag_mapping(report, row_number, problems, columns, plan.agency_id)
            if problems:
                continue
            raw = {
                name: cells[index]
                for i, name, index in self.as_written
                if index < len(cells) and cells[index].strip() != values[i]
            }
            for i, name, _index in self.as_written if raw else ():
                if name in raw and (marks := removed_marks(raw[name], values[i])):
                    report.changes.add(row_number, name, columns.get(name), marks)
            typed, errors = self.schema.read(values)
            staged = self.judge.judge(typed, errors, source_row=row_number, raw=raw or None, failed=bool(structural))
            if staged is not None:
                out.append((staged,))
                if self.with_sql:
                    self._sql_row(staged)

    def _sql_row(self, staged: list[str]) -> None:
        row = tuple(self.cells.sql(at, text) for at, text in enumerate(staged))
        self.sql_out.append((row,))
        if self.period_at is not None:
            self.period_starts.add(row[self.period_at])

    @property
    def sql_ok(self) -> bool:
        """False once a cell had no SQLite value (none does in canonical text): no rows file, the CSV is read."""
        return not self.cells.cast_failed
