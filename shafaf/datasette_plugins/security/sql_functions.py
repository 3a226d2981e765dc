"""SQLite's built-in functions whose one call can outlast the time limit, guarded by a cost check.

Datasette's time limit is a progress handler, called between VM
instructions; one function call is one instruction, so a call that loops
long is never interrupted. With values capped at 1 MB (``sql_limits``) these
still can, measured on SQLite 3.40:

==================================  =========================  ==================
call                                cost                        measured
==================================  =========================  ==================
``printf('%.*c', 1e9, 'x')``         a loop per precision unit  10.8 s (NULL result)
``trim(X, Y)``, ``ltrim``, ``rtrim``   len(X) x len(Y)            20k x 20k: 2.1 s
``instr(X, Y)``, ``replace(X, Y, Z)`` len(X) x len(Y) (memcmp)   200k x 100k: 0.4 s
``X LIKE P``, ``X GLOB P``              len(X) x len(P)            100k x 10k: 3.4 s
==================================  =========================  ==================

(``trim`` of two 1 MB texts would run for hours.) ``LIKE``/``GLOB`` are
bounded by ``SQLITE_LIMIT_LIKE_PATTERN_LENGTH`` (``sql_limits``: 128, so at
most 1 MB x 128, 0.7 s); the others
are replaced on each connection by a function that checks the cost of its
arguments against a budget of about 0.1 s, refuses past it (the statement
fails, with a message ``sql_limits.execute`` reports), and otherwise calls SQLite's own function on
a private in-memory connection of the same thread (so results are SQLite's,
byte for byte). Only the two-argument ``trim`` family is replaced: the
one-argument forms are linear.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import Any

SQLITE_LIMITS: dict[int, int] = {
    sqlite3.SQLITE_LIMIT_LENGTH: 1_000_000,
    sqlite3.SQLITE_LIMIT_COLUMN: 100,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_WORKER_THREADS: 0,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 128,
}


def limit_connection(conn: sqlite3.Connection) -> None:
    """Lower SQLite's per-connection limits to ``SQLITE_LIMITS`` (they can only be lowered)."""
    for limit, value in SQLITE_LIMITS.items():
        conn.setlimit(limit, value)


MAX_FORMAT_WIDTH = 1_000_000  # the sum of printf widths and precisions: a value is at most 1 MB anyway
TRIM_BUDGET = 20_000_000  # len(X) x len(Y) character comparisons, ~5 ns each
SEARCH_BUDGET = 5_000_000_000  # len(X) x len(Y) bytes of memcmp, ~0.02 ns each

# SQLite's printf conversions: flags, width (digits or *), precision (. digits or *), length, type.
_SPEC = re.compile(r"%[-+ 0#!,]*(\*|\d*)(?:\.(\*|\d*))?l{0,2}([a-zA-Z%])")

_NUMBER_PREFIX = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?")

_local = threading.local()


# What a refused call returns: one byte past the value limit, so SQLite fails the statement at once with
# "string or blob too big" (a function's result is checked against SQLITE_LIMIT_LENGTH). Raising would do
# the same, but Datasette turns on sqlite3's callback tracebacks: a traceback in the log for each refusal.
_TOO_BIG = bytes(MAX_FORMAT_WIDTH + 1)


def register(conn: sqlite3.Connection) -> None:
    """Replace the guarded built-ins on ``conn``."""
    conn.create_function("printf", -1, _guarded("printf", _format_cost), deterministic=True)
    conn.create_function("format", -1, _guarded("format", _format_cost), deterministic=True)
    for name in ("trim", "ltrim", "rtrim"):
        conn.create_function(name, 2, _guarded(name, _trim_cost), deterministic=True)
    conn.create_function("instr", 2, _guarded("instr", _search_cost), deterministic=True)
    conn.create_function("replace", 3, _guarded("replace", _search_cost), deterministic=True)
    # fts3_tokenizer(name) answers the address of a tokenizer's code in the server's memory (and, where
    # enabled, its two-argument form installs code from an address): nothing a reader needs.
    for arguments in (1, 2):
        conn.create_function("fts3_tokenizer", arguments, _refused("fts3_tokenizer"))


def _refused(name: str) -> Any:
    def call(*args: Any) -> Any:
        _local.refusal = f"{name}() is not available on this portal"
        return _TOO_BIG

    return call


def take_refusal() -> str | None:
    """The message of this thread's last refused call (once), or None.

    SQLite reports a refused call as "string or blob too big" (``_TOO_BIG``);
    this is how the reason reaches the answer.
    """
    message = getattr(_local, "refusal", None)
    _local.refusal = None
    return message


def _guarded(name: str, cost: Any) -> Any:
    sql = None

    def call(*args: Any) -> Any:
        nonlocal sql
        problem = cost(name, args)
        if problem:
            _local.refusal = problem
            return _TOO_BIG
        if sql is None or sql.count("?") != len(args):
            sql = f"select {name}({', '.join('?' * len(args))})"
        return _builtins().execute(sql, args).fetchone()[0]

    return call


def _builtins() -> sqlite3.Connection:
    """This thread's connection where SQLite's functions are its own, with the same value limit."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(":memory:", check_same_thread=True)
        limit_connection(conn)
        _local.conn = conn
    return conn


def _length(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes)) else len(str(value)) if value is not None else 0


def _number(value: Any) -> float:
    """At least the size SQLite reads from a ``*`` argument (it takes a number's prefix of a text or blob)."""
    if isinstance(value, (int, float)):
        number = abs(float(value))
        return number if number == number else 0.0  # NaN
    if isinstance(value, (str, bytes)):
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        match = _NUMBER_PREFIX.match(text)
        return abs(float(match.group(0))) if match else 0.0
    return 0.0


def _format_cost(name: str, args: tuple[Any, ...]) -> str | None:
    if not args or not isinstance(args[0], str):
        return None
    rest = list(args[1:])
    total = 0.0
    for width, precision, kind in _SPEC.findall(args[0]):
        for part in (width, precision):
            if part == "*":
                total += _number(rest.pop(0) if rest else 0)
            elif part:
                total += int(part) if len(part) <= 9 else MAX_FORMAT_WIDTH + 1
        if kind != "%" and rest:
            rest.pop(0)
        if total > MAX_FORMAT_WIDTH:
            return (
                f"{name}(): widths and precisions add up to more than {MAX_FORMAT_WIDTH:,} "
                "(a value may be at most 1,000,000 bytes)"
            )
    return None


def _trim_cost(name: str, args: tuple[Any, ...]) -> str | None:
    work = _length(args[0]) * _length(args[1])
    if work > TRIM_BUDGET:
        return f"{name}(X, Y) of {_length(args[0]):,} by {_length(args[1]):,} characters would take too long"
    return None


def _search_cost(name: str, args: tuple[Any, ...]) -> str | None:
    work = _length(args[0]) * _length(args[1])
    if work > SEARCH_BUDGET:
        return f"{name}() in {_length(args[0]):,} for {_length(args[1]):,} characters would take too long"
    return None
