"""A load generator on loopback: one URL, a set concurrency, a bounded number of requests and seconds.

Run as its own process (``python -m benchmarks.load URL``) so that the client
does not share the server's interpreter; prints one JSON object: requests per
second, latency percentiles in milliseconds, and the count of non-200 answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import urllib.parse

import httpx


async def hammer(url: str, *, concurrency: int, requests: int, seconds: float) -> dict[str, float | int]:
    """``requests`` GETs of ``url`` by ``concurrency`` workers, stopping early after ``seconds``."""
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"benchmarks only load loopback servers, not {host}")
    latencies: list[float] = []
    failures = 0
    remaining = requests
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal remaining, failures
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                start = time.perf_counter()
                response = await client.get(url)
                await response.aread()
                latencies.append(time.perf_counter() - start)
                failures += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "failures": failures,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    result = asyncio.run(hammer(args.url, concurrency=args.concurrency, requests=args.requests, seconds=args.seconds))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
