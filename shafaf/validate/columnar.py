"""The columnar engine: a file validated a batch of columns at a time, with the row engines' verdicts.

Why: the row engines spend a million rows' time in per-cell Python calls
(reading through frictionless, mapping, casting, checking, keying). Here a
CSV is read by ``csv.reader`` with the dialect and decoding frictionless
chose (``readers.CsvSource``), ``BATCH`` rows at a time, turned into columns,
and each column is settled in bulk:

* a column of plain ASCII numbers (the common case) is checked by one regular
  expression over the joined column, cast by ``int``/``float`` in C loops,
  and its bounds checked on its extremes with the compiled schema's own
  checks (a float screens; an extreme is checked as a ``Decimal``);
* any other column is settled once per distinct cell, by the very functions
  the row engines call (``mapping.map_field``/``map_period``, then the
  compiled schema's reader), and the result is looked up for every row;
* the cross-field rules compare the typed columns; primary keys are hashed
  and looked up in bulk (``keys.HashedKeys``); the text guard counts each
  distinct clean cell once and looks into suspect cells in row order.

A row any of this cannot settle exactly (a failing cell, a repeated key, a
missing or an extra cell, a blank row, text whose normalizing removed marks)
goes to the row path: ``mapping.map_rows``, the compiled schema and
``row_rules.RowJudge``, in its place among the rows, so the report and the
staged rows are the row engine's, byte for byte (``tests/test_compiled_schema.py``
holds the engines side by side). Files of other formats (their rows decoded by
frictionless) and unpivoted sources use the same batches without the CSV
reader, or the row path.
"""

from __future__ import annotations

import bisect
import collections
import csv
import itertools
import operator
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from frictionless import Schema

from shafaf.normalize.text import removed_marks
from shafaf.validate.compiled_schema import CompiledSchema, cell_reader
from shafaf.validate.keys import KEY_SEPARATOR, HashedKeys
from shafaf.validate.mapping import PERIOD_FIELDS, ColumnPlan, map_field, map_period, map_rows
from shafaf.validate.number_columns import SLOW, NumberColumn
from shafaf.validate.readers import Table, reading_error
from shafaf.validate.report import Report, canonical
from shafaf.validate.row_rules import RULE_PAIRS, ColumnKinds, RowJudge, flag_structure

BATCH = 4096  # rows a batch: large enough for C loops to dominate, small enough to keep memory flat
MEMO_LIMIT = 200_000  # distinct cells remembered per column across batches
_EXTRA = [("extra-cell", "Extra Cell")]
_MISSING = [("missing-cell", "Missing Cell")]


def run(table: Table, plan: ColumnPlan, kind: str, report: Report, out_csv: Path | None, *, schema: Schema,
        columns: Mapping[str, int], known_services: set[str] | None) -> None:
    """Validate ``table``'s rows into ``report`` and write the rows that pass to ``out_csv``."""
    engine = _Columns(table, plan, kind, report, schema=schema, columns=columns, known_services=known_services)
    out = out_csv.open("w", newline="", encoding="utf-8") if out_csv else None
    try:
        writer = csv.writer(out) if out else None
        if writer:
            writer.writerow(engine.judge.names)
        for chunks in engine.batches():
            if writer:
                for chunk in chunks:
                    writer.writerows(chunk)
    finally:
        if out:
            out.close()
    engine.judge.finish()


class _Columns:
    def __init__(self, table: Table, plan: ColumnPlan, kind: str, report: Report, *, schema: Schema,
                 columns: Mapping[str, int], known_services: set[str] | None):
        self.table, self.plan, self.report, self.columns = table, plan, report, columns
        self.labels = table.labels
        self.width = len(self.labels)
        self.keys = HashedKeys()
        self.judge = RowJudge(kind, report, columns=columns, known_services=known_services, keys=self.keys)
        self.schema = CompiledSchema(schema)
        self.fields = list(schema.fields)
        self.kinds = ColumnKinds(self.labels)
        self.field_at = {index: name for name, index in zip(plan.field_names, plan.indexes) if index is not None}
        self.as_written = [(i, name, index) for i, (name, index) in enumerate(zip(plan.field_names, plan.indexes))
                           if index is not None]
        names = plan.field_names
        self.key_at = [names.index(k) for k in self.judge.key_fields]
        self.rule_at = [(names.index(f), names.index(o), rule) for f, o, rule in RULE_PAIRS if f in names and o in names]
        self.typed_needed = {a for a, b, _ in self.rule_at} | {b for _, b, _ in self.rule_at}
        self.services = self.judge.services
        period_own = any(plan.indexes[names.index(f)] is not None for f in PERIOD_FIELDS if f in names)
        # Shapes the bulk path does not reproduce: every row goes through the row path (still batched).
        # (and keys of numbers or booleans, whose text as a key is not their canonical text)
        key_types = {self.fields[names.index(k)].type for k in self.judge.key_fields} if self.judge.key_fields else set()
        self.rows_only = plan.unpivot is not None or kind == "targets" or (plan.period_index is not None and period_own) \
            or bool(key_types - {"string", "date", "integer"})
        self.readers = [cell_reader(f) for f in self.fields]
        self.memo: list[dict[str, Any]] = [{} for _ in names]
        self.typed_memo: list[dict[str, Any]] = [{} for _ in names]
        self.period_memo: dict[str, Any] = {}
        self.numeric = [NumberColumn.of(f, name, plan) for f, name in zip(self.fields, names)]

    # -- reading

    def _source(self) -> Iterator[list[tuple[int, list[str]]]]:
        src = self.table.csv_source
        if src is None:  # decoded by frictionless (XLSX, JSON...): its guard has seen every cell already
            rows = ((n, cells) for n, cells, _ in self.table.rows)
            while batch := list(itertools.islice(rows, BATCH)):
                yield batch
            return
        try:
            with open(src.path, encoding=src.encoding, newline="") as f:
                numbered = zip(itertools.count(2), itertools.islice(csv.reader(f, src.dialect), 1, None))
                while batch := list(itertools.islice(numbered, BATCH)):
                    yield batch
        except (UnicodeDecodeError, csv.Error) as e:
            raise reading_error(e, src) from e
        if (problem := src.guard.problem()) is not None:
            from shafaf.core.errors import StageError
            from shafaf.core.models import Reason

            raise StageError(Reason.ENCODING, problem)
        self.table.notes.extend(src.guard.notes())

    def _guard(self, batch: list[tuple[int, list[str]]], regular: list[int], cols: list[tuple[str, ...]]) -> None:
        """The text guard over a batch: what ``see_row`` row by row would do, each distinct clean cell counted once.

        ``regular``: the rows in ``cols`` (the batch's columns); every other row is looked at cell by cell.
        """
        guard = self.table.csv_source.guard  # type: ignore[union-attr]
        suspects: list[tuple[int, int, str]] = []
        if len(regular) < len(batch):
            inside = set(regular)
            for k, (_, cells) in enumerate(batch):
                if k not in inside:
                    for i, cell in enumerate(cells):
                        if not cell.isascii():
                            if guard.suspect(cell):
                                suspects.append((k, i, cell))
                            else:
                                guard.count_clean(1, len(cell))
        if regular:
            for i, col in enumerate(cols):
                if "".join(col).isascii():
                    continue
                for cell, n in collections.Counter(col).items():
                    if cell.isascii():
                        continue
                    if not guard.suspect(cell):
                        guard.count_clean(n, n * len(cell))
                    else:
                        suspects += [(regular[j], i, cell) for j, c in enumerate(col) if c == cell]
        for k, i, cell in sorted(suspects, key=lambda s: (s[0], s[1])):
            guard.see(cell, batch[k][0], self.labels[i] if i < len(self.labels) else f"column {i + 1}")

    # -- judging

    def batches(self) -> Iterator[list[Any]]:
        for batch in self._source():
            yield self._batch(batch)
            self.keys.end_batch()
        self.report.columns = self.kinds.result()
        self.report.notes = list(getattr(self.table, "notes", []))

    def _batch(self, batch: list[tuple[int, list[str]]]) -> list[Any]:
        width, out = self.width, []
        regular = [k for k, (_, cells) in enumerate(batch) if len(cells) == width]
        cols = list(zip(*(batch[k][1] for k in regular))) if regular else []
        if self.table.csv_source is not None:
            self._guard(batch, regular, cols)
        fast = [] if self.rows_only else self._not_blank(regular, cols)
        if len(fast) < len(regular) and fast:
            cols = list(zip(*(batch[k][1] for k in fast)))
        canon, slow, pairs, earlier = self._settle(cols, len(fast)) if fast else ([], set(), [], {})
        numbers = [batch[k][0] for k in fast]
        cells = [batch[k][1] for k in fast]
        # The rows the bulk path leaves to the row path, in batch positions: irregular or blank rows, and full
        # rows with an unsettled cell, a key seen in an earlier batch, or no key at all.
        special = {fast[f] for f in slow} | {fast[f] for f in earlier} | {fast[f] for f, p in enumerate(pairs) if p is None}
        special |= set(range(len(batch))) - set(fast) if len(fast) < len(batch) else set()
        done = 0  # fast rows emitted so far
        for k in sorted(special):
            f = bisect.bisect_left(fast, k)
            done = self._emit(done, f, canon, pairs, numbers, cells, out)
            settled = f < len(fast) and fast[f] == k  # its cells were seen column by column already
            if settled:
                done = f + 1
            self._row(batch[k][0], batch[k][1], out, kinds=not settled)
        self._emit(done, len(fast), canon, pairs, numbers, cells, out)
        return out

    def _emit(self, start: int, stop: int, canon: list[Any], pairs: list[Any], numbers: list[int],
              cells: list[list[str]], out: list[Any]) -> int:
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
            out.append(zip(*(c[start:stop] for c in canon)))  # the staged rows, made as they are written
            return stop
        for f in range(start, stop):
            if pairs[f] in pending:
                self._row(numbers[f], cells[f], out, kinds=False)
                continue
            pending[pairs[f]] = numbers[f]
            report.rows_read += 1
            report.rows_staged += 1
            out.append((tuple(c[f] for c in canon),))
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

    def _settle(self, cols: list[tuple[str, ...]], n: int
                ) -> tuple[list[Any], set[int], list[Any], dict[int, int]]:
        """For the batch's full-width rows (``cols``): their staged rows, those the row path must judge, their
        keys' hashes (None: no key), and the rows an earlier batch had their key."""
        plan = self.plan
        slow: set[int] = set()
        for i, col in enumerate(cols):
            if self.kinds.kinds[i] != "text" and self.numeric_column(i) is None:
                self.kinds.see_values(i, set(col))
        canons: list[Any] = []
        typed: dict[int, list[Any]] = {}
        period = None
        if plan.period_index is not None:
            period = self._periods(cols[plan.period_index])
        for at, index in enumerate(plan.indexes):
            name = plan.field_names[at]
            if period is not None and name in PERIOD_FIELDS:
                c, t = period[PERIOD_FIELDS.index(name)]
            elif index is None:
                c, t = self._constant(at, n)
            else:
                c, t = self._column(at, index, cols[index])
            canons.append(c)
            if at in self.typed_needed:
                typed[at] = t
        for c in canons:
            if SLOW in c:
                slow.update(r for r, v in enumerate(c) if v is SLOW)
        for a, b, rule in self.rule_at:
            x, y = (typed[a], typed[b]) if rule == "larger" else (typed[b], typed[a])
            if None in x or None in y or SLOW in x or SLOW in y:
                broken = [r for r, (u, v) in enumerate(zip(x, y)) if u is not None and v is not None
                          and u is not SLOW and v is not SLOW and u > v]
            else:
                broken = list(itertools.compress(range(n), map(operator.gt, x, y)))
            slow.update(broken)
        key_cols = [canons[at] for at in self.key_at]
        if any(SLOW in c or "" in c for c in key_cols):
            pairs: list[Any] = [None if r in slow or "" in key or SLOW in key else HashedKeys.pair(KEY_SEPARATOR.join(key))
                                for r, key in enumerate(zip(*key_cols))]
        else:
            pairs = HashedKeys.pairs(list(map(KEY_SEPARATOR.join, zip(*key_cols)))) if key_cols else [None] * n
            for r in slow:
                pairs[r] = None
        earlier = {r: first for r, first in enumerate(self.keys.earlier(pairs)) if first is not None}
        return canons, slow, pairs, earlier

    def numeric_column(self, i: int) -> int | None:
        """The standard field read from source column ``i`` when it is settled as plain numbers, else None."""
        name = self.field_at.get(i)
        if name is None:
            return None
        at = self.plan.field_names.index(name)
        return at if self.numeric[at] is not None else None

    def _column(self, at: int, index: int, col: tuple[str, ...]) -> tuple[list[Any], list[Any] | None]:
        numeric = self.numeric[at]
        if numeric is not None:
            settled = numeric.settle(col, typed=at in self.typed_needed)
            if settled is not None:
                if self.kinds.kinds[index] == "empty" and any(col):
                    self.kinds.kinds[index] = "number"  # what ColumnKinds.see concludes of plain numbers
                return settled
            self.kinds.see_values(index, set(col))
        return self._memo(at, col)

    def _memo(self, at: int, col: tuple[str, ...]) -> tuple[list[Any], list[Any] | None]:
        """Each distinct cell settled once by the row engines' own functions, then looked up for every row."""
        memo, typed_memo = self.memo[at], self.typed_memo[at]
        if len(memo) > MEMO_LIMIT:
            memo.clear()
            typed_memo.clear()
        for cell in set(col) - memo.keys():
            memo[cell], typed_memo[cell] = self._cell(at, cell)
        canon = list(map(memo.__getitem__, col))
        return canon, (list(map(typed_memo.__getitem__, col)) if at in self.typed_needed else None)

    def _cell(self, at: int, cell: str, *, written: bool = True) -> tuple[Any, Any]:
        """One cell as the row path would stage it (canonical text, typed value), or SLOW if it would not pass."""
        value, problem = map_field(self.plan, at, cell)
        if problem is not None:
            return SLOW, SLOW
        if written and cell.strip() != value and removed_marks(cell, value):
            return SLOW, SLOW  # the row path records what normalizing removed
        return self._typed(at, value)

    def _typed(self, at: int, value: str) -> tuple[Any, Any]:
        typed, notes = self.readers[at](value)
        if notes:
            return SLOW, SLOW
        if self.services is not None and self.plan.field_names[at] == "service_id" and typed is not None \
                and typed not in self.services:
            return SLOW, SLOW
        return canonical(typed), typed

    def _constant(self, at: int, n: int) -> tuple[list[Any], list[Any]]:
        c, t = self._cell(at, "", written=False)
        return [c] * n, [t] * n

    def _periods(self, col: tuple[str, ...]) -> list[tuple[list[Any], list[Any]]]:
        """The three period fields from a single period column, each distinct label parsed once."""
        memo, names = self.period_memo, self.plan.field_names
        if len(memo) > MEMO_LIMIT:
            memo.clear()
        for cell in set(col) - memo.keys():
            texts, problem = map_period(self.plan, cell)
            if problem is not None:
                memo[cell] = ((SLOW, SLOW),) * 3
            else:
                memo[cell] = tuple(self._typed(names.index(f), text) for f, text in zip(PERIOD_FIELDS, texts))
        settled = list(map(memo.__getitem__, col))
        return [([s[j][0] for s in settled], [s[j][1] for s in settled]) for j in range(3)]

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
            flag_structure(report, row_number, cells, self.labels, structural, self.field_at)
        for values, problems in map_rows(plan, cells):
            for p in problems:
                report.flag(row_number, p.field, p.value, p.error_type, column_number=columns.get(p.field),
                            detail=p.message, expected=plan.agency_id)
            if problems:
                continue
            raw = {name: cells[index] for i, name, index in self.as_written
                   if index < len(cells) and cells[index].strip() != values[i]}
            for i, name, _index in self.as_written if raw else ():
                if name in raw and (marks := removed_marks(raw[name], values[i])):
                    report.changes.add(row_number, name, columns.get(name), marks)
            typed, errors = self.schema.read(values)
            staged = self.judge.judge(typed, errors, source_row=row_number, raw=raw or None, failed=bool(structural))
            if staged is not None:
                out.append((staged,))

