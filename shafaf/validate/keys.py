"""Primary keys seen so far in a file: the on-disk index of the row engines.

Memory stays small for any number of rows: frictionless' in-memory index holds
every key (490 MB for a million-row performance file); ``KeyIndex`` holds
them on disk, ``HashedKeys`` 4 bytes a key past its first half million.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

KEY_SEPARATOR = "\x1f"


class KeyIndex:
    """Primary keys seen so far, in a throwaway SQLite file: memory stays flat for any number of rows."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> KeyIndex:
        self.db = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-8000", "temp_store=FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE keys (key TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")
        self.db.execute("BEGIN")
        return self

    def __exit__(self, *exc: Any) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("ROLLBACK")
        self.db.close()

    def first_row(self, key: str, row: int, *, register: bool) -> int | None:
        """The row that had ``key`` before, if any; otherwise remember ``row`` for it when ``register``."""
        if register:
            try:
                self.db.execute("INSERT INTO keys VALUES (?, ?)", (key, row))
                return None
            except sqlite3.IntegrityError:
                pass
        found = self.db.execute("SELECT row FROM keys WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None


class HashedKeys:
    """Primary keys seen so far as 96 bits of hash each, in sorted numpy runs, looked up in bulk.

    Each key is two SipHash values of its text (``hash(key)``, and of the
    key with a marker appended): 64 bits sorted and searched, 32 more
    compared, beside the row that had it first. Two different keys share all
    96 bits with a probability of about n²/2⁹⁷ (6·10⁻¹⁷ at three million
    keys). The current batch's keys wait in a dict (``first_row`` sees them
    in row order); ``end_batch`` sorts them into a run, and runs of equal
    size are merged (a binary counter: each key is merged log₂(n) times) up to ``RUN_CAP`` keys, 16 bytes a key.

    A run that reaches ``RUN_CAP`` keys is sealed: its 16 bytes a key go to
    an unnamed temporary file, and memory keeps only the top 32 bits of each
    first hash (4 bytes a key: 12 MB at three million keys, not 48; the unsealed runs hold fewer than 2 × RUN_CAP keys, 8 MB). A key
    is looked up in a sealed run by those 32 bits; the rare candidates (a
    repeated key, or one in about 4·10⁹/n that shares the 32 bits) are
    settled exactly by reading their 16 bytes back from the file.
    """

    RUN_CAP = 1 << 18

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (h1 sorted, (h2 high 32 bits << 32) | row)
        self.sealed: list[tuple[np.ndarray, Any]] = []  # (top 32 bits of h1, sorted; the file of h1 then rest)
        self.pending: dict[tuple[int, int], int] = {}

    @staticmethod
    def pair(key: str) -> tuple[int, int]:
        return hash(key), (hash(key + "\x1e") >> 32) & 0xFFFFFFFF

    @staticmethod
    def pairs(keys: list[str]) -> list[tuple[int, int]]:
        """``pair`` of each key, the loops in C."""
        low = (
            np.fromiter(map(hash, map(operator.add, keys, itertools.repeat("\x1e"))), dtype=np.int64, count=len(keys))
            >> 32
        ) & 0xFFFFFFFF
        return list(zip(map(hash, keys), low.tolist()))

    def earlier(self, pairs: list[tuple[int, int] | None]) -> list[int | None]:
        """For each pair (None: no key), the row that registered it in an earlier batch, if any."""
        found: list[int | None] = [None] * len(pairs)
        if not (self.runs or self.sealed) or not pairs:
            return found
        h1 = np.fromiter((0 if p is None else p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        if self.sealed:
            self._earlier_sealed(pairs, h1, found)
        for hashes, rest in self.runs:
            at = np.searchsorted(hashes, h1)
            at[at == len(hashes)] = 0
            for i in np.flatnonzero(hashes[at] == h1).tolist():  # rare: a repeated key (or a 64-bit collision)
                if pairs[i] is None:
                    continue
                j, low = int(at[i]), pairs[i][1]
                while j < len(hashes) and hashes[j] == h1[i]:
                    if int(rest[j]) >> 32 == low:
                        found[i] = int(rest[j]) & 0xFFFFFFFF
                        break
                    j += 1
        return found

    def _earlier_sealed(self, pairs: list[tuple[int, int] | None], h1: np.ndarray, found: list[int | None]) -> None:
        top = (h1 >> 32).astype(np.int32)
        for tops, file in self.sealed:
            n = len(tops)
            at = np.searchsorted(tops, top)
            at[at == n] = 0
            for i in np.flatnonzero(tops[at] == top).tolist():  # candidates: settled from the file
                if pairs[i] is None or found[i] is not None:
                    continue
                j, (first, low) = int(at[i]), pairs[i]
                while j < n and tops[j] == top[i]:
                    exact = int(np.frombuffer(os.pread(file.fileno(), 8, 8 * j), dtype=np.int64)[0])
                    if exact == first:
                        rest = int(np.frombuffer(os.pread(file.fileno(), 8, 8 * (n + j)), dtype=np.uint64)[0])
                        if rest >> 32 == low:
                            found[i] = rest & 0xFFFFFFFF
                            break
                    j += 1

    def first_row(self, key: str, row: int, *, register: bool) -> int | None:
        """The row that had ``key`` before, if any; otherwise remember ``row`` for it when ``register``."""
        pair = self.pair(key)
        first = self.pending.get(pair)
        if first is None:
            first = self.earlier([pair])[0]
        if first is None and register:
            self.pending[pair] = row
        return first

    def end_batch(self) -> None:
        if not self.pending:
            return
        h1 = np.fromiter((p[0] for p in self.pending), dtype=np.int64, count=len(self.pending))
        rest = np.fromiter(
            ((p[1] << 32) | r for p, r in self.pending.items()), dtype=np.uint64, count=len(self.pending)
        )
        self.pending = {}
        order = np.argsort(h1, kind="stable")
        run = (h1[order], rest[order])
        while self.runs and len(self.runs[-1][0]) <= len(run[0]) and len(run[0]) < self.RUN_CAP:
            hashes, more = self.runs.pop()
            merged = np.concatenate([hashes, run[0]])
            order = np.argsort(merged, kind="stable")
            run = (merged[order], np.concatenate([more, run[1]])[order])
        if len(run[0]) < self.RUN_CAP:
            self.runs.append(run)
            return
        file = tempfile.TemporaryFile(prefix="shafaf-keys-")  # noqa: SIM115 - closed with this index
        file.write(run[0].tobytes())
        file.write(run[1].tobytes())
        file.flush()
        self.sealed.append(((run[0] >> 32).astype(np.int32), file))
