"""The columnar engine's primary-key index (validate/keys.py HashedKeys): the first row of every repeated key,
whether the earlier key sits in this batch, an earlier batch in memory, or a sealed run settled from its file."""

from __future__ import annotations

import random

import numpy as np

from shafaf.validate.keys import HashedKeys


def _replay(keys: HashedKeys, pairs: list[tuple[int, int]], batch: int) -> list[int | None]:
    """Register ``pairs`` in batches as the engine does; the earlier row each one found (None: new)."""
    out: list[int | None] = []
    for start in range(0, len(pairs), batch):
        chunk = pairs[start : start + batch]
        earlier = keys.earlier(chunk)
        for row, (pair, first) in enumerate(zip(chunk, earlier), start=start):
            first = first if first is not None else keys.pending.get(pair)
            out.append(first)
            if first is None:
                keys.pending[pair] = row
        keys.end_batch()
    return out


def test_every_repeat_finds_its_first_row_in_memory_and_in_sealed_runs(monkeypatch):
    monkeypatch.setattr(HashedKeys, "RUN_CAP", 256)
    rng = random.Random(3)
    pairs: list[tuple[int, int]] = []
    for _ in range(6000):
        if pairs and rng.random() < 0.05:
            pairs.append(rng.choice(pairs))  # a repeat, near or far
        elif pairs and rng.random() < 0.05:
            # same 64-bit first hash, another second one; and same top 32 bits, another first hash:
            # candidates that must be told apart exactly
            h1, h2 = rng.choice(pairs)
            pairs.append((h1, (h2 + 1) & 0xFFFFFFFF) if rng.random() < 0.5 else ((h1 ^ 1), h2))
        else:
            pairs.append((rng.getrandbits(64) - (1 << 63), rng.getrandbits(32)))
    expected: list[int | None] = []
    seen: dict[tuple[int, int], int] = {}
    for row, p in enumerate(pairs):
        expected.append(seen.get(p))
        seen.setdefault(p, row)
    keys = HashedKeys()
    assert _replay(keys, pairs, 100) == expected
    assert keys.sealed, "the test must reach sealed runs"
    assert all(tops.dtype == np.int32 for tops, _ in keys.sealed)  # 4 bytes a key in memory
    assert sum(len(h) for h, _ in keys.runs) < 2 * HashedKeys.RUN_CAP


def test_first_row_sees_keys_of_sealed_runs(monkeypatch):
    monkeypatch.setattr(HashedKeys, "RUN_CAP", 64)
    keys = HashedKeys()
    for row in range(1000):
        assert keys.first_row(f"S{row}", row, register=True) is None
        if row % 50 == 49:
            keys.end_batch()
    keys.end_batch()
    assert keys.sealed
    assert [keys.first_row(f"S{row}", 5000, register=False) for row in (0, 63, 500, 999)] == [0, 63, 500, 999]
    assert keys.first_row("S1000", 5000, register=False) is None
