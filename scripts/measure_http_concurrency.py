"""Measure how fast httpx fetches small files from a loopback server, three ways.

Why: the harvest runner needs concurrency across agencies; httpx's
AsyncClient is known to be slow under concurrency (httpx#3215). This prints
requests per second for a sequential Client, a thread pool of Clients (what
``shafaf.harvest`` uses) and an AsyncClient with N concurrent requests.

    python scripts/measure_http_concurrency.py --requests 2000 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import http.server
import socket
import threading
import time

import httpx

BODY = b"service_id,name\n" + b"S1,x\n" * 200


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, delayed ACKs cap us at ~25 req/s.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


def sequential(url: str, n: int) -> float:
    with httpx.Client() as client:
        start = time.perf_counter()
        for _ in range(n):
            client.get(url).read()
        return n / (time.perf_counter() - start)


def threads(url: str, n: int, workers: int) -> float:
    local = threading.local()

    def one(_: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client()
        local.client.get(url).read()

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        start = time.perf_counter()
        list(pool.map(one, range(n)))
        return n / (time.perf_counter() - start)


def async_client(url: str, n: int, concurrency: int) -> float:
    async def main() -> float:
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(limits=limits) as client:
            gate = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with gate:
                    (await client.get(url)).read()

            start = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            return n / (time.perf_counter() - start)

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/x.csv"
    print(f"httpx {httpx.__version__}, {args.requests} GETs of {len(BODY)} bytes on loopback")
    print(f"  sequential Client           {sequential(url, args.requests):8.0f} req/s")
    print(f"  {args.threads} threads, one Client each  {threads(url, args.requests, args.threads):8.0f} req/s")
    print(
        f"  AsyncClient, {args.concurrency} concurrent    {async_client(url, args.requests, args.concurrency):8.0f} req/s"
    )
    server.shutdown()


if __name__ == "__main__":
    main()
