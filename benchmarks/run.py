"""The benchmark suite: ingest, unchanged re-harvest and serving, Shafaf beside the tools people use today.

Every figure is the median of ``--repeat`` runs with min and max, and each
command's peak RSS (``wait4``'s ``ru_maxrss`` of that child alone). Results go
to ``benchmarks/results.json`` and as tables into ``docs/benchmarks.md``.

\b
    python -m benchmarks.run                      # 100k, 1M and 3M rows (3M once); about an hour
    python -m benchmarks.run --rows 1000000 --only serve
    python -m benchmarks.run --smoke              # 10k rows, a few seconds (run by the tests)
    python -m benchmarks.run --only scale         # a full publish against a one-agency publish (issue 19)
    python -m benchmarks.run --only scale --scale 1000x1000
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import http.server
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import generate, scale

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "datasets" / "service_performance.schema.json"
SECTIONS = ("ingest", "reharvest", "serve")
EXTRA_SECTIONS = ("scale",)  # run only when named: their report is merged into the files, not replacing them
PEERS_VENV = "peers-venv"  # csvs-to-sqlite pins click 7 and pandas: it gets a venv of its own

RAW_LIMIT = """
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[2])
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = csv.reader(f)
    header = next(rows)
    conn.execute(f"create table t ({', '.join(f'[{h}]' for h in header)})")
    with conn:
        conn.executemany(f"insert into t values ({', '.join('?' * len(header))})", rows)
"""

PLAIN_DATASETTE = """
import sys
from datasette.plugins import pm
pm.unregister(name="shafaf")  # Datasette as it comes: no Shafaf plugin, default settings
from datasette.cli import cli
sys.argv = ["datasette", "serve", *sys.argv[1:]]
cli()
"""


# -- measuring


def measure(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall seconds, CPU seconds (user + system: what a loaded, shared machine does not inflate as much) and peak
    RSS (MB) of one command; a failure stops the suite with its output."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "exit": proc.returncode,
        "output": output,
    }


def repeated(runs: int, once: Any) -> dict[str, float]:
    """``once()`` ``runs`` times: median, min and max seconds, and the largest peak RSS."""
    results = [once() for _ in range(runs)]
    seconds = [r["seconds"] for r in results]
    out = {
        "median_s": round(statistics.median(seconds), 2),
        "min_s": round(min(seconds), 2),
        "max_s": round(max(seconds), 2),
        "peak_rss_mb": round(max(r["rss_mb"] for r in results), 1),
    }
    if all("cpu_s" in r for r in results):
        out["cpu_s"] = round(statistics.median(r["cpu_s"] for r in results), 2)
    for part in ("harvest_s", "publish_s", "harvest_cpu_s", "publish_cpu_s"):
        if part in results[0]:
            out[part] = round(statistics.median(r[part] for r in results), 2)
    return out


def checked(result: dict[str, Any], *, allowed: tuple[int, ...] = (0,)) -> dict[str, Any]:
    if result["exit"] not in allowed:
        raise SystemExit(
            f"benchmark command failed ({result['exit']}):\n{result['output'].decode(errors='replace')[-3000:]}"
        )
    return result


def shafaf(*args: str) -> list[str]:
    return [sys.executable, "-m", "shafaf", *args]


# -- 1. ingest


def build(work: Path, rows: int, shape: str = "standard") -> tuple[Path, Path]:
    """The generated registry and file of one agency with ``rows`` rows, and the data dir Shafaf publishes into."""
    tag = f"{rows}" if shape == "standard" else f"{shape}-{rows}"
    folder = work / f"ingest-{tag}"
    registry = folder / "agencies.yml"  # written last, so its presence means the data is whole (it is deterministic)
    if not registry.exists():  # 3M rows are 306 MB: past the portal's default fetch_max_bytes (200 MB)
        generate.write_registry(folder, {"bench": rows}, shape=shape, settings={"fetch_max_bytes": 4_000_000_000})
    return registry, work / f"shafaf-{tag}"


def labels_schema() -> dict[str, Any]:
    """The second shape's columns as they are, for frictionless: the standard's types, bounds and key."""
    standard = {f["name"]: f for f in json.loads(SCHEMA.read_text(encoding="utf-8"))["fields"]}
    fields = []
    for name, column in generate.LABELS_FIELDS.items():
        field = {k: v for k, v in standard.get(name, {"type": "string"}).items() if k in ("type", "constraints")}
        if name == "period":
            field = {"type": "string", "constraints": {"required": True}}
        if name == "channel":
            field = {"type": "string", "constraints": {"required": True, "enum": list(generate.CHANNELS_FA.values())}}
        fields.append({"name": column, **field})
    key = [generate.LABELS_FIELDS[k] for k in ("service_id", "period", "channel")]
    return {"fields": fields, "primaryKey": key, "missingValues": [""]}


def shafaf_ingest(registry: Path, data_dir: Path) -> dict[str, float]:
    """``shafaf harvest`` then ``shafaf publish`` into a new data dir: seconds of both, the larger peak RSS."""
    shutil.rmtree(data_dir, ignore_errors=True)
    harvest = checked(measure(shafaf("harvest", "--registry", str(registry), "--data-dir", str(data_dir), "--json")))
    publish = checked(
        measure(shafaf("publish", "--registry", str(registry), "--data-dir", str(data_dir), "--no-downloads", "--json"))
    )
    return {
        "seconds": harvest["seconds"] + publish["seconds"],
        "rss_mb": max(harvest["rss_mb"], publish["rss_mb"]),
        "harvest_s": harvest["seconds"],
        "publish_s": publish["seconds"],
        "cpu_s": harvest["cpu_s"] + publish["cpu_s"],
        "harvest_cpu_s": harvest["cpu_s"],
        "publish_cpu_s": publish["cpu_s"],
    }


def ingest(work: Path, rows: int, *, repeat: int, peers_venv_ok: bool, shape: str = "standard") -> dict[str, Any]:
    """One agency's file of ``rows`` rows: Shafaf's harvest + publish, then the peers on the same file."""
    registry, data_dir = build(work, rows, shape)
    csv_path = registry.parent / "bench" / "service_performance.csv"

    def shafaf_once() -> dict[str, float]:
        return shafaf_ingest(registry, data_dir)

    def shafaf_validate() -> dict[str, Any]:  # exit 1: the file has invalid rows, which is what it reports
        return checked(
            measure(
                shafaf("validate", str(csv_path), "--dataset", "service_performance", "--agency", "bench", "--json")
            ),
            allowed=(0, 1),
        )

    def in_tmp(cmd: Any, *, allowed: tuple[int, ...] = (0,)) -> Any:
        def once() -> dict[str, Any]:
            with tempfile.TemporaryDirectory(dir=work) as tmp:
                return checked(measure(cmd(Path(tmp))), allowed=allowed)

        return once

    frictionless = shutil.which("frictionless") or "frictionless"
    # The standard's schema without its foreign keys: frictionless resolves those only inside a data package.
    peer_schema = registry.parent / "bench" / "service_performance.schema.json"
    peer_schema.write_text(
        json.dumps(
            {k: v for k, v in json.loads(SCHEMA.read_text(encoding="utf-8")).items() if k != "foreignKeys"}
            if shape == "standard"
            else labels_schema(),
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    sqlite_utils = shutil.which("sqlite-utils") or "sqlite-utils"
    figures: dict[str, Any] = {
        "rows": rows,
        "shape": shape,
        "shafaf": repeated(repeat, shafaf_once),
        # exit 1: the file has invalid rows, which is what it reports
        "frictionless_validate": repeated(
            repeat, lambda: frictionless_validate(frictionless, peer_schema, csv_path, rows)
        ),
        "sqlite_utils_insert": repeated(
            repeat,
            in_tmp(
                lambda tmp: [sqlite_utils, "insert", str(tmp / "t.db"), "service_performance", str(csv_path), "--csv"]
            ),
        ),
        "raw_limit": repeated(
            repeat, in_tmp(lambda tmp: [sys.executable, "-c", RAW_LIMIT, str(csv_path), str(tmp / "t.db")])
        ),
    }
    if shape == "standard":  # `shafaf validate` takes no registry mapping: the standard's columns only
        figures["shafaf_validate"] = repeated(repeat, shafaf_validate)
    csvs_to_sqlite = peers_venv(work) / "bin" / "csvs-to-sqlite" if peers_venv_ok else None
    if csvs_to_sqlite and csvs_to_sqlite.exists():
        figures["csvs_to_sqlite"] = repeated(
            repeat, in_tmp(lambda tmp: [str(csvs_to_sqlite), str(csv_path), str(tmp / "t.db")])
        )
    peers = figures["frictionless_validate"]["median_s"] + figures["sqlite_utils_insert"]["median_s"]
    figures["rows_per_s"] = {
        name: round(rows / f["median_s"]) for name, f in figures.items() if isinstance(f, dict) and "median_s" in f
    }
    figures["peers_back_to_back_s"] = round(peers, 2)
    figures["speedup_vs_peers"] = round(peers / figures["shafaf"]["median_s"], 2)
    if all("cpu_s" in figures[k] for k in ("shafaf", "frictionless_validate", "sqlite_utils_insert")):
        figures["speedup_vs_peers_cpu"] = round(
            (figures["frictionless_validate"]["cpu_s"] + figures["sqlite_utils_insert"]["cpu_s"])
            / figures["shafaf"]["cpu_s"],
            2,
        )
        if "shafaf_validate" in figures:
            figures["validate_vs_frictionless_cpu"] = round(
                figures["frictionless_validate"]["cpu_s"] / figures["shafaf_validate"]["cpu_s"], 2
            )
    if "shafaf_validate" in figures:
        figures["validate_vs_frictionless"] = round(
            figures["frictionless_validate"]["median_s"] / figures["shafaf_validate"]["median_s"], 2
        )
    return figures


def frictionless_validate(command: str, schema: Path, csv_path: Path, rows: int) -> dict[str, Any]:
    """``frictionless validate`` of the whole file (exit 1: it found the invalid rows); checks it read every row."""
    result = checked(
        measure(
            [
                command,
                "validate",
                "--trusted",
                "--json",
                "--schema",
                str(schema),
                "--limit-errors",
                str(10 * rows + 1000),
                str(csv_path),
            ]
        ),
        allowed=(0, 1),
    )
    stats = json.loads(result["output"])["tasks"][0]["stats"]
    if stats.get("rows") != rows:
        raise SystemExit(f"frictionless validated {stats.get('rows')} rows of {rows}: {result['output'][:2000]!r}")
    return result


@functools.cache
def peers_venv(work: Path) -> Path:
    """A venv with csvs-to-sqlite (it cannot share ours); left out of the figures if it cannot be made."""
    venv = work / PEERS_VENV
    if not (venv / "bin" / "csvs-to-sqlite").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "csvs-to-sqlite"], check=False)
    return venv


# -- 2. unchanged re-harvest


def reharvest(work: Path, *, agencies: int, rows: int, repeat: int) -> dict[str, Any]:
    """``agencies`` agencies' files over HTTP on loopback: the first harvest, then again with nothing changed."""
    folder = work / f"reharvest-{agencies}x{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    with file_server(folder) as base:
        registry = generate.write_registry(
            folder,
            {f"agency-{i:02d}": rows for i in range(agencies)},
            base_url=base,
            settings={"allow_private_networks": True, "harvest_concurrency": min(agencies, 8)},
        )
        data_dir = work / "reharvest-data"
        firsts, agains = [], []
        for _ in range(repeat):
            shutil.rmtree(data_dir, ignore_errors=True)
            cmd = shafaf("harvest", "--registry", str(registry), "--data-dir", str(data_dir), "--json")
            firsts.append(checked(measure(cmd)))
            agains.append(checked(measure(cmd)))
    first = statistics.median(r["seconds"] for r in firsts)
    again = statistics.median(r["seconds"] for r in agains)
    return {
        "agencies": agencies,
        "rows_per_agency": rows,
        "first_s": round(first, 2),
        "unchanged_s": round(again, 2),
        "ratio": round(again / first, 3),
    }


@contextlib.contextmanager
def file_server(folder: Path) -> Iterator[str]:
    """A static file server on 127.0.0.1 (a free port) for ``folder``."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


# -- 3. serving


def serve(work: Path, rows: int, *, requests: int, seconds: float) -> dict[str, Any]:
    """Our pages against plain Datasette's table JSON, on one agency's ``rows`` rows published by Shafaf."""
    registry, data_dir = build(work, rows)
    if not (data_dir / "shafaf.db").exists():
        shafaf_ingest(registry, data_dir)
    db = data_dir / "shafaf.db"
    agency_id = "bench"
    service_id = "S00000"
    results: dict[str, Any] = {"rows": rows}
    ours = shafaf("serve", "--registry", str(registry), "--data-dir", str(data_dir))
    plain = [sys.executable, "-c", PLAIN_DATASETTE, "-i", str(db)]
    table = "/shafaf/service_performance.json?_size=50"
    targets = [
        ("plain Datasette, table JSON (defaults)", plain, table),
        ("plain Datasette, table JSON (suggest_facets off)", [*plain, "--setting", "suggest_facets", "off"], table),
        ("Shafaf, table JSON", ours, table),
        ("Shafaf, agency page", ours, f"/agencies/{agency_id}"),
        ("Shafaf, home page", ours, "/"),
        ("Shafaf, service page", ours, f"/agencies/{agency_id}/services/{service_id}"),
    ]
    for label, cmd, path in targets:
        with server(cmd) as base:
            for concurrency in (1, 20):
                results.setdefault(label, {})[f"c{concurrency}"] = load(
                    base + path, concurrency=concurrency, requests=requests, seconds=seconds
                )
    # against the faster of the two plain Datasettes: the stricter comparison
    plain_c20 = max(results[label]["c20"]["rps"] for label, _, _ in targets[:2])
    results["agency_vs_plain_c20"] = (
        round(results["Shafaf, agency page"]["c20"]["rps"] / plain_c20, 2) if plain_c20 else None
    )
    return results


@contextlib.contextmanager
def server(cmd: list[str]) -> Iterator[str]:
    """``cmd`` serving on a free loopback port until it answers; stopped on leaving."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*cmd, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start: {' '.join(cmd)}")
            time.sleep(0.2)
        load(base + "/-/versions.json", concurrency=1, requests=3, seconds=10)  # warm up
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def load(url: str, *, concurrency: int, requests: int, seconds: float) -> dict[str, Any]:
    """The load generator in a second process."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.load",
            url,
            "--concurrency",
            str(concurrency),
            "--requests",
            str(requests),
            "--seconds",
            str(seconds),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


# -- the report


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(int(memory) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "date": dt.date.today().isoformat(),
    }


def markdown(results: dict[str, Any]) -> str:
    """The tables of ``docs/benchmarks.md``, between its markers."""
    m = results["machine"]
    lines = [
        f"Measured on {m['date']}: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, "
        f"Python {m['python']}, SQLite {m['sqlite']}. Command: `{results['command']}`.",
        "",
    ]
    if results.get("ingest"):
        lines += [
            "### Ingest (one agency's service-performance file)",
            "",
            "| rows | tool | median s | min–max s | CPU s | rows/s | peak RSS MB |",
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for fig in results["ingest"]:
            shape = "" if fig.get("shape", "standard") == "standard" else " (labels)"
            for name in (
                "shafaf",
                "shafaf_validate",
                "frictionless_validate",
                "sqlite_utils_insert",
                "csvs_to_sqlite",
                "raw_limit",
            ):
                if name in fig:
                    f = fig[name]
                    split = f" (harvest {f['harvest_s']} + publish {f['publish_s']})" if "harvest_s" in f else ""
                    cpu = f.get("cpu_s", "")
                    if "harvest_cpu_s" in f:
                        cpu = f"{cpu} ({f['harvest_cpu_s']} + {f['publish_cpu_s']})"
                    lines.append(
                        f"| {fig['rows']:,}{shape} | {name.replace('_', ' ')}{split} | {f['median_s']} "
                        f"| {f['min_s']}–{f['max_s']} | {cpu} | {fig['rows_per_s'][name]:,} | {f['peak_rss_mb']} |"
                    )
            lines.append(
                f"| {fig['rows']:,}{shape} | **Shafaf vs frictionless + sqlite-utils back to back** | "
                f"{fig['peers_back_to_back_s']} vs {fig['shafaf']['median_s']} | | {_cpu_ratio(fig, 'speedup_vs_peers_cpu')} "
                f"| **{fig['speedup_vs_peers']}×** | |"
            )
            if "validate_vs_frictionless" in fig:
                lines.append(
                    f"| {fig['rows']:,}{shape} | **shafaf validate vs frictionless validate** | "
                    f"{fig['frictionless_validate']['median_s']} vs {fig['shafaf_validate']['median_s']} | | "
                    f"{_cpu_ratio(fig, 'validate_vs_frictionless_cpu')} | **{fig['validate_vs_frictionless']}×** | |"
                )
        lines.append("")
    if results.get("reharvest"):
        r = results["reharvest"]
        lines += [
            "### Unchanged re-harvest over HTTP on 127.0.0.1",
            "",
            "| agencies | rows each | first harvest s | unchanged s | ratio |",
            "| ---: | ---: | ---: | ---: | ---: |",
            f"| {r['agencies']} | {r['rows_per_agency']:,} | {r['first_s']} | {r['unchanged_s']} | {r['ratio']:.1%} |",
            "",
        ]
    if results.get("serve"):
        s = results["serve"]
        lines += [
            f"### Serving, {s['rows']:,} performance rows in the database",
            "",
            "| what | c=1 req/s | c=1 p50 ms | c=1 p99 ms | c=20 req/s | c=20 p50 ms | c=20 p99 ms | non-200 |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for label, fig in s.items():
            if isinstance(fig, dict):
                a, b = fig["c1"], fig["c20"]
                lines.append(
                    f"| {label} | {a['rps']} | {a['p50_ms']} | {a['p99_ms']} | {b['rps']} | {b['p50_ms']} "
                    f"| {b['p99_ms']} | {a['failures'] + b['failures']} |"
                )
        lines += [
            "",
            f"Agency page requests/s against plain Datasette's table JSON at c=20: **{s['agency_vs_plain_c20']}×**.",
            "",
        ]
    return "\n".join(lines)


def _cpu_ratio(fig: dict[str, Any], key: str) -> str:
    return f"{fig[key]}× by CPU" if key in fig else ""


def write_report(results: dict[str, Any], *, json_path: Path, md_path: Path) -> None:
    json_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    begin, end = "<!-- results: begin -->", "<!-- results: end -->"
    text = md_path.read_text(encoding="utf-8") if md_path.exists() else f"# Benchmarks\n\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    md_path.write_text(f"{head}{begin}\n{markdown(results)}\n{end}{rest.split(end, 1)[1]}", encoding="utf-8")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000, 3_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repeat-large", type=int, default=1, help="runs of each tool above 1M rows (minutes each)")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help="comma-separated: " + ", ".join(SECTIONS + EXTRA_SECTIONS)
    )
    parser.add_argument(
        "--scale",
        nargs="+",
        default=["200x1000"],
        help="sizes of the scale section, AGENCIESxROWS each (the issue's target: 1000x1000)",
    )
    parser.add_argument("--smoke", action="store_true", help="10k rows, one run each, a few requests")
    parser.add_argument(
        "--shapes", default=",".join(generate.SHAPES), help="input shapes: " + ", ".join(generate.SHAPES)
    )
    parser.add_argument(
        "--no-csvs-to-sqlite", action="store_true", help="leave out the peer that needs a venv of its own"
    )
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rows, args.repeat = [10_000], 1
    only = set(args.only.split(","))
    args.work.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmarks.run " + " ".join(argv or sys.argv[1:])
    if only <= set(EXTRA_SECTIONS):
        sizes = [tuple(int(n) for n in size.split("x")) for size in (["5x1000"] if args.smoke else args.scale)]
        figures = [
            scale.run(args.work, agencies=a, rows=r, measure=measure, shafaf=shafaf, checked=checked) for a, r in sizes
        ]
        print(json.dumps(figures, indent=1), file=sys.stderr)
        scale.write_report(figures, machine=machine(), command=command, json_path=args.json, md_path=args.markdown)
        return {"scale": figures}
    results: dict[str, Any] = {"machine": machine(), "command": command}
    if "ingest" in only:
        results["ingest"] = [
            ingest(
                args.work,
                rows,
                repeat=args.repeat if rows <= 1_000_000 else args.repeat_large,
                peers_venv_ok=not args.smoke and not args.no_csvs_to_sqlite,
                shape=shape,
            )
            for rows in args.rows
            for shape in args.shapes.split(",")
        ]
        print(json.dumps(results["ingest"], indent=1), file=sys.stderr)
    if "reharvest" in only:
        results["reharvest"] = reharvest(
            args.work, agencies=5 if args.smoke else 50, rows=1000 if args.smoke else 20_000, repeat=args.repeat
        )
        print(json.dumps(results["reharvest"]), file=sys.stderr)
    if "serve" in only:
        results["serve"] = serve(
            args.work,
            min(max(args.rows), 1_000_000),
            requests=20 if args.smoke else 2000,
            seconds=5 if args.smoke else 20,
        )
    write_report(results, json_path=args.json, md_path=args.markdown)
    return results


if __name__ == "__main__":
    main()
