"""``shafaf status`` and one scheduler pass at national size (issue 19): 1,000 agencies x 5 sources.

A synthetic registry (HTTP sources on a closed port, five cron expressions
shared by all) and a ``state.db`` holding three runs of every source, so the
figures are the Python and SQL work of the two commands, not any network:

    python -m benchmarks.status                 # 1,000 agencies x 5 sources, 3 runs each
    python -m benchmarks.status --agencies 200

Each command runs in a child process; CPU seconds (user + system, from
``wait4``) are printed beside wall seconds, since this machine is shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

SCHEDULES = ("0 2 * * *", "30 3 * * *", "0 4 * * 1", "15 1 1 * *", "0 */6 * * *")
DATASETS = ("services", "service_performance", "service_standards", "activities", "targets")
WORK = Path(__file__).parent / "work"

# Scheduler passes (``due_jobs``: what is due, not the harvests) timed inside the child: the first on this
# state.db (it computes every source's next due time once) and the next (what each pass costs after it).
PASS = """
import sys, time
from pathlib import Path
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.schedule.scheduler import due_jobs
from shafaf.state.store import StateStore, wall_clock
reg = registry.load(sys.argv[1])
state = StateStore(DataDir(Path(sys.argv[2])).state_db)
for name in ("first", "next"):
    wall, cpu = time.perf_counter(), time.process_time()
    jobs = due_jobs(reg, state, now=wall_clock())
    print(f"scheduler pass ({name}, {len(jobs)} due): {time.perf_counter() - wall:.2f} s wall, "
          f"{time.process_time() - cpu:.2f} s CPU")
"""


def write_registry(path: Path, agencies: int, schedules: Sequence[str] = SCHEDULES) -> Path:
    """A registry of ``agencies`` agencies, each with one source of every dataset kind on a shared schedule."""
    lines = [
        "portal:",
        "  title_en: Shafaf status benchmark",
        "  title_fa: شفاف",
        "  timezone: Asia/Tehran",
        "agencies:",
    ]
    for i in range(agencies):
        lines += [f"  - id: ag{i:04d}", f"    name_fa: دستگاه {i}", f"    name_en: Agency {i}", "    sources:"]
        for n, dataset in enumerate(DATASETS):
            lines += [
                f"      - dataset: {dataset}",
                "        kind: http",
                f"        url: http://127.0.0.1:9/ag{i:04d}/{dataset}.csv",
                f'        schedule: "{schedules[(i + n) % len(schedules)]}"',
            ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_state(data_dir: Path, agencies: int, *, runs_per_source: int = 3) -> None:
    """``runs_per_source`` finished runs of every source (ok, failed, unchanged), the newest a minute ago."""
    from shafaf.core.datadir import DataDir
    from shafaf.state.store import StateStore

    state = StateStore(DataDir(data_dir).state_db)
    now = dt.datetime.now(dt.UTC)
    outcomes = ("ok", "failed", "unchanged")
    rows = []
    for i in range(agencies):
        for dataset in DATASETS:
            for r in range(runs_per_source):
                started = (now - dt.timedelta(days=r, minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
                run_id = f"{started}-ag{i:04d}-{dataset}-{r}"
                rows.append(
                    (
                        run_id,
                        f"ag{i:04d}",
                        dataset,
                        dataset,
                        "http",
                        "x",
                        started,
                        started,
                        outcomes[r % 3],
                        "harvest",
                        "",
                        10,
                    )
                )
    with sqlite3.connect(state.path) as conn:
        conn.executemany(
            "INSERT INTO runs (run_id, agency_id, source_id, dataset, kind, location, started, finished, outcome, "
            "phase, message, rows_passed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the child, from wait4) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
    return round(wall, 2), round(usage.ru_utime + usage.ru_stime, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    folder = WORK / f"status-{opts.agencies}"
    folder.mkdir(parents=True, exist_ok=True)
    registry, data_dir = folder / "agencies.yml", folder / "data"
    if not registry.exists():
        write_registry(registry, opts.agencies)
    shutil.rmtree(data_dir, ignore_errors=True)  # the runs are a minute old when measured, as in a live portal
    write_state(data_dir, opts.agencies)
    env = dict(os.environ)
    common = ["--registry", str(registry), "--data-dir", str(data_dir)]
    status = [sys.executable, "-m", "shafaf", "status", "--json", *common]
    cache = folder / "registry-cache"  # the checked registry, kept by its bytes (shafaf/config/registry_cache.py)
    shutil.rmtree(cache, ignore_errors=True)
    commands = {
        "python start-up": ([sys.executable, "-c", "pass"], env),
        "status --json, registry checked (no cache)": (status, {**env, "SHAFAF_CACHE_DIR": "off"}),
        "status --json, registry cached": (status, {**env, "SHAFAF_CACHE_DIR": str(cache)}),
    }
    print(f"{opts.agencies} agencies x {len(DATASETS)} sources, {len(SCHEDULES)} schedules")
    fresh = folder / "pass-data"  # a copy, so the first pass is the first on this state.db
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(data_dir, fresh)
    done = subprocess.run(
        [sys.executable, "-c", PASS, str(registry), str(fresh)], env=env, check=True, capture_output=True, text=True
    )
    print(done.stdout.strip())
    measure(status, commands["status --json, registry cached"][1])  # the first read keeps the checked registry
    for name, (args, run_env) in commands.items():
        figures = sorted(measure(args, run_env) for _ in range(opts.repeat))
        wall, cpu = figures[len(figures) // 2]
        print(f"{name}: {wall} s wall, {cpu} s CPU (median of {opts.repeat})")


if __name__ == "__main__":
    main()
