"""Public SQL and bad requests against a real ``shafaf serve``: memory bombs, time bombs, junk paths.

Why: issue 15 found that one ``?sql=`` could take the server's memory (23.9 GB
for ``zeroblob(1e9)``) and that ten slow queries or twenty 404s stalled every
page. This prints, for each bomb of ``BOMBS``, the status, seconds, body bytes
and the server's peak RSS (``VmHWM``, reset before each request through
``/proc/<pid>/clear_refs``), then the latency of ``/`` while ten time bombs
or thirty junk paths are in flight. The server runs under ``RLIMIT_AS``
(``--memory-limit``) so that a regression fails instead of eating the machine.

\b
    python -m benchmarks.public_sql                       # a small portal in a temp dir
    python -m benchmarks.public_sql --memory-limit 4e9 --json out.json

``BOMBS``, ``TIME_BOMB`` and ``JUNK_PATHS`` are also what
``tests/test_sql_limits.py`` and ``tests/test_bad_requests.py`` fire.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from . import generate

DB = "/shafaf"
# n rows of recursive counting, which the bombs below multiply.
_ROWS = "with recursive c(x) as (select 1 union all select x + 1 from c where x < {n}) "


def sql(query: str, *, fmt: str = ".json", extra: str = "") -> str:
    return f"{DB}{fmt}?" + urllib.parse.urlencode({"sql": query}) + extra


# (label, path). Each must answer 400 (or a truncated 200 where that is Datasette's contract), fast,
# without the server's memory growing past the ceiling.
BOMBS: tuple[tuple[str, str], ...] = (
    ("zeroblob(1e9)", sql("select zeroblob(1000000000)")),
    ("randomblob(1e9)", sql("select randomblob(1000000000)")),
    ("length(randomblob(999999999))", sql("select length(randomblob(999999999))")),
    ("printf('%.*c', 1e9)", sql("select printf('%.*c', 1000000000, 'x')")),
    ("length(printf) in HTML", sql("select length(printf('%.*c', 1000000000, 'x'))", fmt="")),
    ("replace() doubling", sql("select replace(hex(zeroblob(500000)), '0', hex(zeroblob(500)))")),
    ("substr(hex(zeroblob(5e8)))", sql("select substr(hex(zeroblob(500000000)), 1, 10)")),
    (
        "group_concat(char() || hex) x 2000",
        sql(_ROWS.format(n=2000) + "select length(group_concat(char(65, 66) || hex(zeroblob(500000)), '')) from c"),
    ),
    (
        "group_concat(randomblob(1e6)) x 2000",
        sql(_ROWS.format(n=2000) + "select length(group_concat(randomblob(1000000))) from c"),
    ),
    ("json_group_array x 2000", sql(_ROWS.format(n=2000) + "select json_group_array(hex(zeroblob(400000))) from c")),
    ("printf('%.*c', '1e9') (a text count)", sql("select printf('%.*c', '1e9', 'x')")),
    ("printf of 100 '%.999999c'", sql("select printf(replace(hex(zeroblob(100)), '00', '%.999999c'), 'x')")),
    ("trim(1 MB, 0.5 MB)", sql("select length(trim(printf('%.*c', 999999, 'x'), hex(zeroblob(250000)) || 'x'))")),
    ("instr(1 MB, 0.5 MB)", sql("select instr(printf('%.*c', 999999, 'a'), printf('%.*c', 500000, 'a') || 'b')")),
    (
        "replace(1 MB, 0.5 MB)",
        sql("select length(replace(printf('%.*c', 999999, 'a'), printf('%.*c', 500000, 'a') || 'b', 'c'))"),
    ),
    (
        "1 MB LIKE a long pattern",
        sql("select printf('%.*c', 999999, 'a') like '%' || printf('%.*c', 20000, 'a') || 'b'"),
    ),
    (
        "recursive doubling string",
        sql(
            "with recursive d(n, s) as (select 1, 'xx' union all select n + 1, s || s from d "
            "where n < 40) select n, length(s) from d"
        ),
    ),
    (
        "100 columns of 0.9 MB",
        sql("with v(b) as (select hex(zeroblob(450000))) select " + ", ".join(["b"] * 100) + " from v"),
    ),
    (
        "wide row past LIMIT_COLUMN",
        sql("with v(b) as (select hex(zeroblob(450000))) select " + ", ".join(["b"] * 1000) + " from v"),
    ),
    ("1000 rows x 0.9 MB", sql(_ROWS.format(n=1000) + "select hex(zeroblob(450000)) from c")),
    (
        "1000 rows x 0.9 MB, _shape=array",
        sql(_ROWS.format(n=1000) + "select hex(zeroblob(450000)) from c", extra="&_shape=array"),
    ),
    ("1000 rows x 0.9 MB, HTML", sql(_ROWS.format(n=1000) + "select hex(zeroblob(450000)) from c", fmt="")),
    (
        "1000 rows x 0.9 MB, CSV stream",
        sql(_ROWS.format(n=1000) + "select hex(zeroblob(450000)) from c", fmt=".csv", extra="&_stream=on"),
    ),
    (
        "sort spilling to disk",
        sql(_ROWS.format(n=100_000_000) + "select x, hex(zeroblob(1000)) from c order by random() limit 1"),
    ),
    (
        "distinct temp b-tree",
        sql(_ROWS.format(n=100_000_000) + "select count(distinct hex(x) || hex(zeroblob(500))) from c"),
    ),
    (
        "table _where zeroblob",
        f"{DB}/services.json?" + urllib.parse.urlencode({"_where": "length(zeroblob(2000000000)) > 0"}),
    ),
    (
        "table _where wide",
        f"{DB}/services.json?" + urllib.parse.urlencode({"_where": "length(printf('%.*c', 900000000, 'x')) > 0"}),
    ),
    (
        "table _sort_desc with _where bomb",
        f"{DB}/services?"
        + urllib.parse.urlencode({"_sort_desc": "name_en", "_where": "randomblob(999999999) is not null"}),
    ),
    ("_memory database", "/_memory.json?" + urllib.parse.urlencode({"sql": "select zeroblob(1000000000)"})),
)

TIME_BOMB = sql("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c")

JUNK_PATHS: tuple[str, ...] = (
    "/x/y/z/w",
    "/a//b",
    "/shafaf/services/1/2/3",
    "/shafaf/services/1/2/3/4/5",
    "/shafaf//services",
    "/shafaf/services/%2e%2e/%2e%2e",
    "/shafaf/..%2f..%2fetc%2fpasswd",
    "/shafaf/services%2f1",
    "/%ff%fe",
    "/shafaf/%ff",
    "/shafaf/services/%c0%af",
    "/agencies/alpha/services/S1/x/y",
    "/agencies//alpha",
    "/api/3/action/x/y",
    "/shafaf/services.json/x",
    "/-/x/y/z",
    "/downloads/../x",
    "/shafaf/services/" + "a" * 4000,
    "/" + "/".join(["x"] * 300),
    "/shafaf/%00",
)


# -- the server


@contextlib.contextmanager
def served(registry: Path, data_dir: Path, log_path: Path, *, memory_limit: int | None) -> Iterator[tuple[str, int]]:
    """``shafaf serve`` on a free loopback port under ``RLIMIT_AS``; yields its base URL and pid."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shafaf",
                "serve",
                "--port",
                str(port),
                "--registry",
                str(registry),
                "--data-dir",
                str(data_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=address_space_limit(memory_limit),
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{base}/-/versions.json", timeout=1).status_code == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"shafaf serve did not start: {log_path.read_text(errors='replace')[-2000:]}")
                time.sleep(0.1)
            yield base, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def address_space_limit(limit: int | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` capping the child's address space: a memory bomb fails inside it, not on the machine."""
    if not limit:
        return None

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (``VmHWM``) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def reset_peak_rss(pid: int) -> None:
    """From now on ``VmHWM`` is the peak since this call (Linux: ``5`` into ``clear_refs``)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


# -- measuring


def fire(base: str, path: str, *, timeout: float = 120) -> dict[str, Any]:
    """One GET: status, seconds and body bytes, reading the body as a stream (it may be huge)."""
    start = time.perf_counter()
    size = 0
    head = b""
    try:
        with httpx.stream("GET", base + path, timeout=timeout) as response:
            for chunk in response.iter_bytes():
                if len(head) < 2000:
                    head += chunk[: 2000 - len(head)]
                size += len(chunk)
            status = response.status_code
            headers = dict(response.headers)
    except httpx.HTTPError as e:
        status, headers = f"{type(e).__name__}", {}
    return {
        "status": status,
        "seconds": round(time.perf_counter() - start, 2),
        "bytes": size,
        "head": head.decode("utf-8", "replace"),
        "headers": headers,
    }


def bomb(base: str, pid: int, path: str) -> dict[str, Any]:
    reset_peak_rss(pid)
    result = fire(base, path)
    result["peak_rss_mb"] = round(peak_rss_mb(pid), 1)
    return result


async def latency_under(base: str, paths: list[str], *, probe: str = "/", probes: int = 10) -> dict[str, Any]:
    """Latency of ``probe`` while every path of ``paths`` is in flight at once; and how those answered."""
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=len(paths) + 2)) as client:
        await client.get(base + probe)  # warm: the page cache and connections

        async def one(path: str) -> int:
            return (await client.get(base + path)).status_code

        storm = [asyncio.create_task(one(p)) for p in paths]
        await asyncio.sleep(0.2)  # they are queued or running
        latencies = []
        async with httpx.AsyncClient(timeout=60) as prober:
            for _ in range(probes):
                start = time.perf_counter()
                status = (await prober.get(base + probe)).status_code
                latencies.append((time.perf_counter() - start) * 1000)
                assert status == 200, status
                await asyncio.sleep(0.05)
        statuses = await asyncio.gather(*storm)
    return {
        "probe_ms_median": round(statistics.median(latencies), 1),
        "probe_ms_max": round(max(latencies), 1),
        "statuses": sorted({str(s) for s in statuses}),
    }


def build_portal(work: Path) -> tuple[Path, Path]:
    """A generated agency of 2,000 performance rows, harvested and published by the real commands."""
    registry = work / "src" / "agencies.yml"
    data_dir = work / "var"
    if not (data_dir / "shafaf.db").exists():
        generate.write_registry(work / "src", {"bench": 2000})
        for command in ("harvest", "publish"):
            subprocess.run(
                [sys.executable, "-m", "shafaf", command, "--registry", str(registry), "--data-dir", str(data_dir)],
                check=True,
                capture_output=True,
            )
    return registry, data_dir


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memory-limit", type=float, default=4e9, help="RLIMIT_AS of the server, bytes")
    parser.add_argument("--work", type=Path, help="where the portal is built (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        work = args.work or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shafaf-public-sql-")))
        registry, data_dir = build_portal(work)
        base, pid = stack.enter_context(
            served(registry, data_dir, work / "serve.log", memory_limit=int(args.memory_limit))
        )
        results: dict[str, Any] = {
            "memory_limit": int(args.memory_limit),
            "idle_rss_mb": round(peak_rss_mb(pid), 1),
            "bombs": {},
        }
        print(f"{'bomb':45} {'status':>8} {'s':>6} {'bytes':>12} {'peak MB':>8}")
        for label, path in BOMBS:
            r = bomb(base, pid, path)
            results["bombs"][label] = {k: r[k] for k in ("status", "seconds", "bytes", "peak_rss_mb")}
            print(
                f"{label:45} {r['status']!s:>8} {r['seconds']:6.2f} {r['bytes']:12,} {r['peak_rss_mb']:8.1f}",
                flush=True,
            )
        results["alive_after"] = fire(base, "/")["status"]
        results["home_under_10_time_bombs"] = asyncio.run(latency_under(base, [TIME_BOMB] * 10))
        print("/ under 10 time bombs:", results["home_under_10_time_bombs"], flush=True)
        results["home_under_30_junk_paths"] = asyncio.run(latency_under(base, list(JUNK_PATHS) + list(JUNK_PATHS[:10])))
        print("/ under 30 junk paths:", results["home_under_30_junk_paths"], flush=True)
        results["server_log_bytes"] = os.path.getsize(work / "serve.log")
        print("server log bytes:", results["server_log_bytes"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
