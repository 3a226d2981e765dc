"""The candidate engines for issue 21, measured on the benchmark's performance file: read, cast, check.

Each candidate reads the whole file in batches as text, casts the standard's
types (integers, decimals, ISO dates), checks the constraints (required,
patterns, the channel enum, bounds), the cross-field rules and the primary
key, and counts the rows that fail. Each runs in a child process of its own,
so its wall time and peak RSS (``wait4``) are its alone.

\b
    python -m benchmarks.engines benchmarks/work/ingest-1000000/bench/service_performance.csv
    python -m benchmarks.engines FILE --site /tmp/cands/site   # where polars, pyarrow and duckdb are installed

The candidates are not dependencies of Shafaf: install them to a folder of
their own (``pip install --target DIR polars pyarrow duckdb``) and pass it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTEGERS = ("applications", "completed", "within_standard", "complaints", "cost")
NUMBERS = {"median_days": (0, None), "satisfaction": (0, 100), "availability_pct": (0, 100)}
DATES = ("period_start", "period_end")
KEY = ("agency_id", "service_id", "period_start", "period_end", "channel")
CHANNELS = ("online", "in_person", "phone", "mail", "kiosk", "service_office", "other")
BATCH = 100_000


def today(path: str) -> int:
    from shafaf.validate.engine import validate_file
    from shafaf.validate.mapping import MappingOptions

    report = validate_file(
        Path(path), "service_performance", mapping=MappingOptions(agency_id="bench"), out_csv=Path(os.devnull)
    )
    return report.rows_failed


def polars(path: str) -> int:
    import polars as pl

    failed = 0
    seen: pl.Series | None = None
    for df in pl.scan_csv(path, infer_schema=False).collect_batches(chunk_size=BATCH):
        bad = pl.lit(False)
        ints = [pl.col(c).cast(pl.Int64, strict=False).alias(c) for c in INTEGERS]
        nums = [pl.col(c).cast(pl.Decimal(20, 6), strict=False).alias(c) for c in NUMBERS]
        dates = [pl.col(c).str.strptime(pl.Date, "%Y-%m-%d", strict=False).alias(c) for c in DATES]
        typed = df.with_columns(ints + nums + dates)
        for c in INTEGERS:
            bad = bad | (df[c].is_not_null() & typed[c].is_null()) | (typed[c] < 0)
        for c, (lo, hi) in NUMBERS.items():
            bad = bad | (df[c].is_not_null() & typed[c].is_null()) | (typed[c] < lo)
            if hi is not None:
                bad = bad | (typed[c] > hi)
        for c in DATES:
            bad = bad | typed[c].is_null()
        bad = (
            bad
            | ~typed["agency_id"].str.contains(r"^[a-z0-9-]{1,64}$")
            | ~typed["service_id"].str.contains(r"^[A-Za-z0-9._-]{1,64}$")
            | ~typed["channel"].is_in(CHANNELS)
            | (typed["completed"] > typed["applications"])
            | (typed["within_standard"] > typed["completed"])
            | (typed["period_start"] > typed["period_end"])
        )
        key = typed.select(pl.struct(list(KEY)).hash(seed=1).alias("h"))["h"]
        dup = key.is_duplicated() | (key.is_in(seen) if seen is not None else pl.lit(False))
        flags = typed.select(bad.fill_null(False).alias("b"))["b"] | typed.select(dup.alias("d"))["d"]
        failed += int(flags.sum())
        seen = key if seen is None else pl.concat([seen, key])
    return failed


def pyarrow(path: str) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    failed = 0
    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(block_size=8 << 20),
        convert_options=pcsv.ConvertOptions(
            column_types={
                c: pa.string()
                for c in (*INTEGERS, *NUMBERS, *DATES, "agency_id", "service_id", "channel", "period_label")
            }
        ),
    )
    seen: set[int] = set()
    for batch in reader:
        bad = pa.array([False] * batch.num_rows)
        cols = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
        typed = {}
        for c in INTEGERS:
            ok = pc.match_substring_regex(cols[c], r"^-?\d{1,18}$")
            typed[c] = pc.cast(pc.if_else(ok, cols[c], None), pa.int64())
            bad = pc.or_(bad, pc.or_(pc.invert(ok), pc.less(typed[c], 0)))
        for c, (lo, hi) in NUMBERS.items():
            ok = pc.match_substring_regex(cols[c], r"^-?\d{1,15}(\.\d{1,6})?$")
            typed[c] = pc.cast(pc.if_else(ok, cols[c], None), pa.decimal128(21, 6))
            bad = pc.or_(bad, pc.or_(pc.invert(ok), pc.less(typed[c], pa.scalar(lo, pa.decimal128(21, 6)))))
            if hi is not None:
                bad = pc.or_(bad, pc.greater(typed[c], pa.scalar(hi, pa.decimal128(21, 6))))
        for c in DATES:
            typed[c] = pc.strptime(cols[c], "%Y-%m-%d", "s", error_is_null=True)
            bad = pc.or_(bad, pc.is_null(typed[c]))
        bad = pc.or_(bad, pc.invert(pc.match_substring_regex(cols["agency_id"], r"^[a-z0-9-]{1,64}$")))
        bad = pc.or_(bad, pc.invert(pc.match_substring_regex(cols["service_id"], r"^[A-Za-z0-9._-]{1,64}$")))
        bad = pc.or_(bad, pc.invert(pc.is_in(cols["channel"], pa.array(CHANNELS))))
        bad = pc.or_(bad, pc.greater(typed["completed"], typed["applications"]))
        bad = pc.or_(bad, pc.greater(typed["within_standard"], typed["completed"]))
        bad = pc.or_(bad, pc.greater(typed["period_start"], typed["period_end"]))
        key = pc.binary_join_element_wise(*[pc.cast(cols[k], pa.string()) for k in KEY], "\x1f")
        for h in map(hash, key.to_pylist()):  # no hash kernel in pyarrow.compute: the keys in Python
            if h in seen:
                failed += 1
            seen.add(h)
        failed += pc.sum(pc.fill_null(bad, True).cast(pa.int64())).as_py() or 0
    return failed


def duckdb(path: str) -> int:
    import duckdb as dd

    conn = dd.connect()
    conn.execute("SET threads = 2; SET memory_limit = '150MB'; SET preserve_insertion_order = false")
    ints = " OR ".join(
        f"({c} IS NOT NULL AND (TRY_CAST({c} AS BIGINT) IS NULL OR TRY_CAST({c} AS BIGINT) < 0))" for c in INTEGERS
    )
    nums = " OR ".join(
        f"({c} IS NOT NULL AND (TRY_CAST({c} AS DECIMAL(21,6)) IS NULL OR TRY_CAST({c} AS DECIMAL(21,6)) < {lo}"
        + (f" OR TRY_CAST({c} AS DECIMAL(21,6)) > {hi}" if hi is not None else "")
        + "))"
        for c, (lo, hi) in NUMBERS.items()
    )
    dates = " OR ".join(f"TRY_STRPTIME({c}, '%Y-%m-%d') IS NULL" for c in DATES)
    sql = f"""
        WITH t AS (SELECT *, count(*) OVER (PARTITION BY {", ".join(KEY)}) AS n
                   FROM read_csv('{path}', all_varchar = true, header = true))
        SELECT count(*) FILTER (WHERE n > 1 OR {ints} OR {nums} OR {dates}
            OR NOT regexp_full_match(agency_id, '[a-z0-9-]{{1,64}}')
            OR NOT regexp_full_match(service_id, '[A-Za-z0-9._-]{{1,64}}')
            OR channel NOT IN ({", ".join(repr(c) for c in CHANNELS)})
            OR TRY_CAST(completed AS BIGINT) > TRY_CAST(applications AS BIGINT)
            OR TRY_CAST(within_standard AS BIGINT) > TRY_CAST(completed AS BIGINT)
            OR period_start > period_end) FROM t"""
    return conn.execute(sql).fetchone()[0]


def python_columns(path: str) -> int:
    """Shafaf's own columnar engine (``shafaf.validate.columns``), the chosen one: no dependency."""
    from shafaf.validate.engine import validate_file
    from shafaf.validate.mapping import MappingOptions

    report = validate_file(
        Path(path),
        "service_performance",
        mapping=MappingOptions(agency_id="bench"),
        out_csv=Path(os.devnull),
        engine="columnar",
    )
    return report.rows_failed


CANDIDATES = {"today": today, "polars": polars, "pyarrow": pyarrow, "duckdb": duckdb, "columnar": python_columns}


def run_child(name: str, path: str, site: str | None) -> dict[str, object]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), site if name in ("polars", "pyarrow", "duckdb") else None, env.get("PYTHONPATH")) if p
    )
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.engines", "--child", name, path],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode:
        return {"engine": name, "error": err.decode(errors="replace")[-800:]}
    result = json.loads(out)
    return {
        "engine": name,
        "seconds": round(seconds, 2),
        "cpu_s": round(result["cpu_s"], 2),
        "failed_rows": result["failed"],
        "peak_rss_mb": round(result["rss_mb"], 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--site", help="folder where the candidate libraries are installed")
    parser.add_argument("--only", default=",".join(CANDIDATES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import resource

        failed = CANDIDATES[args.child](args.file)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(
            json.dumps({"failed": failed, "rss_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime})
        )
        return
    for name in args.only.split(","):
        print(json.dumps(run_child(name, args.file, args.site)), flush=True)


if __name__ == "__main__":
    main()
