"""The child processes that check files for ``/validate``: one warm spare per slot, one check per process.

Starting Python and importing frictionless takes a second or two; a person
waiting for a report should not pay it. So each slot keeps a spare
``shafaf check-file --wait`` that has done its imports and waits on stdin
for one job (its folder and arguments). The job's process checks one file
and exits; a new spare is started at once for the next. A check never shares
a process with another, so a deadline can kill it (with its process group)
without harming any other, and a spare whose parent dies reads EOF and exits.

The spares are ``subprocess.Popen`` objects, waited on in a thread: they do
not belong to any one event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

MEMORY_LIMIT = 2_000_000_000  # address space of one check (frictionless and openpyxl included)
IDLE_CPU_S = 30  # CPU a spare may spend on its imports, beside the job's deadline

_spares: list[subprocess.Popen] = []
_lock = threading.Lock()


def _env() -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": tempfile.gettempdir(),
        "TMPDIR": tempfile.gettempdir(),
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
    }
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def _spawn(deadline_s: float, file_cap: int) -> subprocess.Popen:
    def limit() -> None:  # in the child, before it runs Python
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_cap, file_cap))
        cpu = int(deadline_s) + IDLE_CPU_S
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    return subprocess.Popen(
        [sys.executable, "-m", "shafaf", "check-file", "--wait"],
        cwd=tempfile.gettempdir(),
        env=_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=limit,
        start_new_session=True,
    )


def _take(deadline_s: float, file_cap: int, spares: int) -> subprocess.Popen:
    """A waiting spare (or a new process), and spares started up to ``spares`` for the next checks."""
    with _lock:
        alive = [p for p in _spares if p.poll() is None]
        _spares[:] = alive
        process = _spares.pop(0) if _spares else _spawn(deadline_s, file_cap)
        while len(_spares) < spares:
            _spares.append(_spawn(deadline_s, file_cap))
    return process


def stop_spares() -> None:
    """End the waiting spares (tests; a server that stops closes their stdin, which ends them too)."""
    with _lock:
        for process in _spares:
            _kill(process)
            process.wait()
            for stream in (process.stdin, process.stdout, process.stderr):
                stream.close()
        _spares.clear()


async def run_check(
    args: list[str], folder: Path, *, deadline_s: float, max_bytes: int, spares: int = 1
) -> dict[str, Any] | str:
    """``shafaf check-file ARGS`` in ``folder``: its JSON, or "usage", "deadline" or "failed"."""
    file_cap = max(64_000_000, 40 * max_bytes)  # the interim files and key index beside the file
    process = _take(deadline_s, file_cap, spares)
    job = json.dumps({"folder": str(folder), "args": args}).encode() + b"\n"

    def wait() -> tuple[bytes, bytes] | None:
        try:
            return process.communicate(job, timeout=deadline_s)
        except subprocess.TimeoutExpired:
            _kill(process)
            process.communicate()
            return None

    try:
        done = await asyncio.to_thread(wait)
    except BaseException:  # the request was cancelled (the client went away): the check goes with it
        _kill(process)
        raise
    if done is None:
        return "deadline"
    out, _ = done
    if process.returncode == 2:
        return "usage"
    if process.returncode not in (0, 1):
        return "failed"
    try:
        value = json.loads(out)
    except (ValueError, RecursionError):
        return "failed"
    return value if isinstance(value, dict) and "report" in value and "view" in value else "failed"


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
