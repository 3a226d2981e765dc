"""``shafaf serve`` in a subprocess on a free loopback port, for the tests that need a real server."""

from __future__ import annotations

import contextlib
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(registry_path: Path, data_dir: Path, log_path: Path) -> Iterator[str]:
    """Yields the base URL once the server answers (30 s at most, polled every 0.1 s); stops it after."""
    with served_process(registry_path, data_dir, log_path) as (base, _):
        yield base


@contextlib.contextmanager
def served_process(
    registry_path: Path,
    data_dir: Path,
    log_path: Path,
    *,
    memory_limit: int | None = None,
    serve_args: tuple[str, ...] = (),
) -> Iterator[tuple[str, int]]:
    """``served``, yielding the server's pid too; with ``memory_limit``, the server runs under that ``RLIMIT_AS``.

    A test that attacks the server's memory runs it under a limit, so that a
    regression fails the test instead of eating the machine.
    """
    port = free_port()

    def limit() -> None:
        if memory_limit:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shafaf",
                "serve",
                "--port",
                str(port),
                "--registry",
                str(registry_path),
                "--data-dir",
                str(data_dir),
                *serve_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=limit if memory_limit else None,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/-/versions.json", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None:
                    pytest.fail(f"shafaf serve exited: {log_path.read_text(errors='replace')}")
                time.sleep(0.1)
            else:
                pytest.fail("shafaf serve did not answer in 30 s")
            yield base, server.pid
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
