"""``shafaf status`` at national size (issue 19): its Python work does not grow per source.

Not timed (the machine is shared): each test counts the work that used to be
paid once per source and is now paid once per distinct thing. The figure at
1,000 agencies x 5 sources is ``python -m benchmarks.status`` (docs/benchmarks.md).
"""

from __future__ import annotations

import collections
import datetime as dt
import random
import sqlite3
from pathlib import Path

import croniter as croniter_mod
import pytest

from benchmarks.status import DATASETS, write_registry
from shafaf.config import registry as registry_mod
from shafaf.config import yaml_lines
from shafaf.config.registry import Agency, Portal, Registry, Source
from shafaf.config.schedule import parse_rule
from shafaf.core.errors import RegistryError
from shafaf.core.models import Outcome
from shafaf.state import leases
from shafaf.state.freshness import source_statuses
from shafaf.state.store import Run, SourceRuns, StateStore, new_run_id


@pytest.fixture
def croniter_parses(monkeypatch):
    """Every croniter built, by its expression (the cost ``shafaf status`` paid per source)."""
    counts: collections.Counter[str] = collections.Counter()
    real = croniter_mod.croniter.__init__

    def counting(self, expr_format, *args, **kwargs):
        counts[expr_format] += 1
        real(self, expr_format, *args, **kwargs)

    monkeypatch.setattr(croniter_mod.croniter, "__init__", counting)
    return counts


def test_status_parses_each_cron_expression_a_fixed_number_of_times_whatever_the_sources(tmp_path, croniter_parses):
    # Two sizes, each with expressions of its own (the parses are cached by expression for the process).
    small = [f"{m} 2 * * *" for m in (1, 2, 3)]
    large = [f"{m} 2 * * *" for m in (4, 5, 6)]
    counts = {}
    for size, schedules in ((2, small), (60, large)):
        folder = tmp_path / str(size)
        folder.mkdir()
        reg = registry_mod.load(write_registry(folder / "agencies.yml", size, schedules))
        statuses = source_statuses(reg, StateStore(folder / "state.db"))
        assert len(statuses) == size * len(DATASETS) and all(s.next_due for s in statuses)
        counts[size] = sorted(croniter_parses[s] for s in schedules)
    assert counts[2] == counts[60], counts  # 10 sources or 300: the same parses per expression


def _seek_latest(path: Path, key: tuple[str, str]) -> SourceRuns:
    """The answer as the run history gives it, one seek per outcome (what ``latest`` did before run_newest)."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        newest = {}
        for outcome in Outcome:
            found = conn.execute(
                "SELECT max(started) FROM runs WHERE agency_id = ? AND source_id = ? AND outcome = ?",
                (*key, str(outcome)),
            ).fetchone()[0]
            if found is not None:
                newest[outcome] = found
        ran = {o: s for o, s in newest.items() if o != Outcome.QUEUED}
        last = None
        if ran:
            outcome = max(ran, key=lambda o: ran[o])
            last = conn.execute(
                "SELECT * FROM runs WHERE agency_id = ? AND source_id = ? AND outcome = ? AND started = ? "
                "ORDER BY run_id DESC LIMIT 1",
                (*key, str(outcome), ran[outcome]),
            ).fetchone()
        return SourceRuns(newest=newest, last=dict(last) if last else None)
    finally:
        conn.close()


@pytest.mark.parametrize("many", [False, True], ids=["seek-per-source", "one-scan"])
def test_latest_from_run_newest_is_what_the_history_says_after_every_kind_of_write(tmp_path, many):
    state = StateStore(tmp_path / "state.db")
    rng = random.Random(19)
    keys = [(f"ag{a}", s) for a in range(3 if not many else 70) for s in ("services", "targets", "activities")]
    seconds = [f"2026-12-0{d}T0{h}:00:00Z" for d in range(1, 4) for h in range(3)]  # ties on purpose
    # The statements StateStore and the lease module write runs with, on one connection in one transaction
    # (a connection and an fsync per write made this test seconds long on a loaded machine).
    conn = sqlite3.connect(state.path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("BEGIN")

    def save(run: Run) -> None:  # StateStore.save: INSERT OR REPLACE, whose delete fires no trigger
        row = run.as_row()
        conn.execute(f"INSERT OR REPLACE INTO runs ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})", row)

    for _ in range(300):
        agency_id, source_id = rng.choice(keys)
        run = Run(new_run_id(), agency_id, source_id, source_id, "http", "x", rng.choice(seconds))
        save(run)
        step = rng.random()
        if step < 0.5:
            run.outcome = rng.choice(list(Outcome))
            save(run)  # the same run again with another outcome
        elif step < 0.7:  # the lease module's UPDATE of outcome
            leases.end_run(
                conn,
                run.run_id,
                source_id=source_id,
                location="x",
                started=run.started,
                outcome=Outcome.ABORTED,
                reason=None,
                message="gone",
                now=run.started,
            )
        elif step < 0.8:
            conn.execute("UPDATE runs SET started = ? WHERE run_id = ?", (rng.choice(seconds), run.run_id))
        elif step < 0.85:
            conn.execute("DELETE FROM runs WHERE run_id = ?", (run.run_id,))
    conn.execute("COMMIT")
    conn.close()
    state.save(Run(new_run_id(), *keys[0], keys[0][1], "http", "x", seconds[-1]))  # and one through the store
    asked = keys + [("nobody", "services")]
    assert state.latest(asked) == {key: _seek_latest(state.path, key) for key in asked}


def test_an_older_state_db_is_given_run_newest_from_its_history(tmp_path):
    state = StateStore(tmp_path / "state.db")
    for started, outcome in (("2026-12-01T00:00:00Z", Outcome.OK), ("2026-12-02T00:00:00Z", Outcome.FAILED)):
        run = Run(new_run_id(), "a", "s", "services", "http", "x", started, outcome=outcome)
        state.save(run)
    with sqlite3.connect(state.path) as conn:  # as a Shafaf before the table left it
        conn.executescript(
            "DROP TRIGGER run_newest_insert; DROP TRIGGER run_newest_update; "
            "DROP TRIGGER run_newest_delete; DROP TABLE run_newest;"
        )
    reopened = StateStore(state.path)
    assert reopened.latest([("a", "s")]) == {("a", "s"): _seek_latest(state.path, ("a", "s"))}
    assert reopened.latest([("a", "s")])[("a", "s")].newest == {
        Outcome.OK: "2026-12-01T00:00:00Z",
        Outcome.FAILED: "2026-12-02T00:00:00Z",
    }


def _careful(text: str):
    loader = yaml_lines._Loader(text)
    loader.duplicates = []
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _same_tree(fast, careful, where="$"):
    assert type(fast) is type(careful), where
    if isinstance(fast, dict):
        assert (fast.line, fast.key_lines, list(fast)) == (careful.line, careful.key_lines, list(careful)), where
        for key in fast:
            _same_tree(fast[key], careful[key], f"{where}.{key}")
    elif isinstance(fast, list):
        assert (fast.line, fast.item_lines, len(fast)) == (careful.line, careful.item_lines, len(careful)), where
        for i, (a, b) in enumerate(zip(fast, careful)):
            _same_tree(a, b, f"{where}[{i}]")
    else:
        assert fast == careful, where


SHAPES = {
    "anchors and merge keys": "base: &b {kind: http, schedule: '0 2 * * *'}\nsources:\n  - <<: *b\n    dataset: x\n",
    "yes, no, dates and base 60 as text": "values:\n  yes: 1\n  N: off\n  d: 2026-12-03\n  at: 02:00\n  t: true\n",
    "flow, block and folded text": "a: [1, 2.5, null, ~, 'q']\nb: |\n  two\n  lines\nc: >\n  folded\n  text\n",
    "persian, bom and crlf": "\ufeffname_fa: دستگاه\r\nlist:\r\n  - ۱۲۳\r\n  - x\r\n",
}


@pytest.mark.parametrize("text", list(SHAPES.values()), ids=list(SHAPES))
def test_libyaml_reads_the_registry_as_the_line_numbered_loader_does(text):
    read, fast = yaml_lines._fast(text.lstrip("\ufeff"))
    assert read
    _same_tree(fast, _careful(text.lstrip("\ufeff")))


def test_the_repositorys_registries_read_the_same_by_both_loaders():
    root = Path(__file__).parent.parent
    files = [*root.glob("metadata/**/*.yml"), *root.glob("tests/fixtures/**/*.yml")]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        read, fast = yaml_lines._fast(text)
        assert read, path
        _same_tree(fast, _careful(text))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("a: 1\na: 2\n", "agencies.yml:2: duplicate key 'a' (first at line 1)"),
        ("a: [1\nb: 2\n", "not valid YAML"),
        (
            'a: "\\ud800"\n',
            "lone surrogate",
        ),  # libyaml refuses the escape; the careful loader reads it, then it is named
    ],
    ids=["duplicate", "broken", "surrogate"],
)
def test_a_file_libyaml_refuses_is_reported_by_the_line_numbered_loader(tmp_path, text, said):
    path = tmp_path / "agencies.yml"
    path.write_text(text, encoding="utf-8")
    assert not yaml_lines._fast(text)[0]
    try:
        data, problems = yaml_lines.registry_problems(yaml_lines.read_yaml(path))
        shown = " ".join(message for _, message in problems)
    except RegistryError as e:
        shown = str(e)
    assert said in shown, shown


def test_a_scheduler_pass_over_5000_sources_evaluates_only_the_3_due(tmp_path, monkeypatch):
    from shafaf.schedule import scheduler

    # 1,000 agencies x 5 sources: all daily at 02:00 Tehran but three hourly ones (Tehran's minute 0 is UTC's 30).
    # Built directly (the registry's YAML is test_status_parses_each_cron_expression_...'s subject).
    daily, hourly_rule = parse_rule("0 2 * * *"), parse_rule("0 * * * *")
    hourly = [("ag0007", "targets"), ("ag0500", "services"), ("ag0999", "activities")]
    agencies = tuple(
        Agency(
            id=f"ag{i:04d}",
            name_fa=f"دستگاه {i}",
            name_en=f"Agency {i}",
            sources=tuple(
                Source(
                    id=d,
                    dataset=d,
                    kind="http",
                    agency_id=f"ag{i:04d}",
                    url=f"http://127.0.0.1:9/ag{i:04d}/{d}.csv",
                    schedule=hourly_rule if (f"ag{i:04d}", d) in hourly else daily,
                )
                for d in DATASETS
            ),
        )
        for i in range(1000)
    )
    reg = Registry(path=tmp_path / "agencies.yml", portal=Portal(timezone="Asia/Tehran"), agencies=agencies)
    state = StateStore(tmp_path / "state.db")
    with state.connect() as conn:  # every source attempted at 10:20 UTC, after both rules' latest slots
        conn.executemany(
            "INSERT INTO runs (run_id, agency_id, source_id, dataset, kind, location, started, finished, outcome) "
            "VALUES (?, ?, ?, ?, 'http', 'x', ?, ?, 'ok')",
            [
                (f"r-{a.id}-{s.id}", a.id, s.id, s.dataset, "2026-12-03T10:20:00Z", "2026-12-03T10:20:05Z")
                for a in reg.agencies
                for s in a.sources
            ],
        )
    evaluated: list[tuple] = []
    real_owed, real_latest = scheduler.owed, StateStore.latest
    monkeypatch.setattr(scheduler, "owed", lambda *a, **kw: evaluated.append(a) or real_owed(*a, **kw))
    asked: list[int] = []
    monkeypatch.setattr(StateStore, "latest", lambda self, keys: asked.append(len(keys)) or real_latest(self, keys))

    at = dt.datetime(2026, 12, 3, 10, 25, tzinfo=dt.UTC)
    assert scheduler.due_jobs(reg, state, now=at) == []  # the first pass ever computes every source once
    assert len(evaluated) == 5000
    evaluated.clear(), asked.clear()
    assert scheduler.due_jobs(reg, state, now=at) == [] and evaluated == [] and asked == [0]

    later = dt.datetime(2026, 12, 3, 10, 31, tzinfo=dt.UTC)  # past the hourly slot of 10:30 UTC only
    jobs = scheduler.due_jobs(reg, state, now=later)
    assert sorted((j.agency.id, j.source.id) for j in jobs) == hourly
    assert len(evaluated) == 3 and asked == [0, 3]
    assert {j.due_after for j in jobs} == {"2026-12-03T10:30:00Z"}

    # A run written by anyone (here a manual harvest of a daily source) makes that source evaluated again, once.
    with state.connect() as conn:
        conn.execute(
            "INSERT INTO runs (run_id, agency_id, source_id, dataset, kind, location, started, outcome) "
            "VALUES ('manual', 'ag0001', 'services', 'services', 'http', 'x', '2026-12-03T10:30:30Z', 'failed')"
        )
    evaluated.clear()
    assert sorted((j.agency.id, j.source.id) for j in scheduler.due_jobs(reg, state, now=later)) == hourly
    assert len(evaluated) == 4
