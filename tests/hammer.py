"""Readers hammering a served portal from threads, counting what a reader must never see.

Used by the torn-read test (readers while publishes swap) and by the timing
of the home page under load; everything runs against a real ``shafaf serve``.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import threading
import time
from pathlib import Path

import httpx

# What a reader of the portal asks for: Datasette's JSON, CSV stream, row and SQL pages, our pages,
# the CKAN API and the catalogs, so every way of reading the published file is exercised.
READER_PATHS = (
    "/shafaf.json?_shape=array&sql=select+agency_id,+run_id,+count(*)+as+n+from+service_performance+group+by+agency_id,+run_id",
    "/shafaf/service_performance.json?_size=50",
    "/shafaf/services.json?_shape=array&_size=20",
    "/shafaf/service_performance.csv?_stream=on&_size=max",
    "/shafaf/services/alpha,S1",  # a row page, by its primary key (agency_id, service_id)
    "/api/3/action/package_search?rows=5",
    "/api/3/action/package_show?id=alpha-services",
    "/api/3/action/organization_list?all_fields=true",
    "/data.json",
    "/feed.atom",
    "/catalog.ttl",
    "/search?q=Service",
    "/quality",
    "/duplicates",
    "/",
    "/agencies/alpha",
)

_NEVER = ("malformed", "no such table", "database is locked", "unable to open", "disk image")


@dataclasses.dataclass
class Tally:
    requests: int = 0
    problems: list[str] = dataclasses.field(default_factory=list)
    statuses: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    latencies: dict[str, list[float]] = dataclasses.field(default_factory=lambda: collections.defaultdict(list))

    def errors(self) -> int:
        return len(self.problems)


def hammer(
    base: str, stop: threading.Event, *, threads: int = 4, paths: tuple[str, ...] = READER_PATHS
) -> tuple[list[threading.Thread], Tally]:
    """Start ``threads`` readers cycling through ``paths`` until ``stop`` is set; returns them and their tally."""
    tally = Tally()
    lock = threading.Lock()

    def read(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            i = offset
            while not stop.is_set():
                path = paths[i % len(paths)]
                i += 1
                started = time.monotonic()
                try:
                    response = client.get(path)
                    body = response.text
                except httpx.HTTPError as e:
                    problem = f"{path}: {type(e).__name__}: {e}"
                    status = None
                else:
                    status = response.status_code
                    problem = None
                    if status >= 500 or (status != 200 and path != "/shafaf/services/alpha,S1"):
                        problem = f"{path}: {status}: {body[:200]}"
                    elif any(word in body.lower() for word in _NEVER) and status != 200:
                        problem = f"{path}: {status}: {body[:200]}"
                    elif status == 200 and path.startswith("/shafaf.json?"):
                        problem = _torn(response.json())
                elapsed = time.monotonic() - started
                with lock:
                    tally.requests += 1
                    tally.statuses[status] += 1
                    tally.latencies[path].append(elapsed)
                    if problem:
                        tally.problems.append(problem)

    readers = [threading.Thread(target=read, args=(n * 3,), daemon=True) for n in range(threads)]
    for reader in readers:
        reader.start()
    return readers, tally


def _torn(rows: list[dict]) -> str | None:
    """Every agency's performance rows come from one run, all of them (the publishing tests' packages)."""
    by_agency = collections.Counter(row["agency_id"] for row in rows)
    if any(n != 1 for n in by_agency.values()):
        return f"half a publication: {rows}"
    return None


def deleted_descriptors(pid: int) -> list[str]:
    """The server's open files that were deleted from disk (old versions, WALs): what a leak looks like."""
    out = []
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.endswith("(deleted)"):
            out.append(target)
    return out


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
