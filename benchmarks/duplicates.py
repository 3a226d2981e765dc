"""How possible-duplicate detection grows with the number of services (issue 19).

Service names drawn from a Persian-like vocabulary with a Zipf spread (a few
words in most names, many rare ones), over agencies of 100 services each, and
a share of services that several agencies offer under near-identical names.
For each size: the full list (``duplicates.find``), the pairs of one changed
agency (``find(..., involving=...)``, what a one-agency publish runs), and the
pairs found; and, at the smallest size, the check that blocking finds exactly
what comparing every pair finds is left to ``tests/test_duplicates.py``.
"""

from __future__ import annotations

import random
import time
from typing import Any

from shafaf.publish import duplicates

_VOCABULARY = 4000


def services(n: int, *, seed: int = 1405) -> list[duplicates.Service]:
    rng = random.Random(seed)
    words = [f"واژه{i}" for i in range(_VOCABULARY)]
    weights = [1 / (i + 1) for i in range(_VOCABULARY)]
    shared = [" ".join(rng.choices(words, weights, k=rng.randint(2, 5))) for _ in range(max(1, n // 50))]
    out = []
    for i in range(n):
        agency = f"ag{i // 100:04d}"
        if rng.random() < 0.2:  # a service other agencies offer too, sometimes worded a little differently
            name = rng.choice(shared)
            if rng.random() < 0.3:
                name += " " + rng.choice(words)
        else:
            name = " ".join(rng.choices(words, weights, k=rng.randint(2, 6)))
        out.append(duplicates.Service(agency, f"S{i:06d}", name, None))
    return out


def run(sizes: list[int], *, threshold: float = 0.8) -> list[dict[str, Any]]:
    figures = []
    for n in sizes:
        batch = services(n)
        start = time.perf_counter()
        pairs = duplicates.find(batch, threshold=threshold)
        full = time.perf_counter() - start
        start = time.perf_counter()
        mine = duplicates.find(batch, threshold=threshold, involving={"ag0000"})
        one = time.perf_counter() - start
        figures.append(
            {
                "services": n,
                "full_s": round(full, 2),
                "one_agency_s": round(one, 2),
                "pairs": len(pairs),
                "one_agency_pairs": len(mine),
                "us_per_service": round(full / n * 1e6, 1),
            }
        )
    return figures


def markdown(figures: list[dict[str, Any]]) -> str:
    lines = [
        "| services | full list s | µs a service | pairs | one agency's pairs s | its pairs |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {f['services']:,} | {f['full_s']} | {f['us_per_service']} | {f['pairs']:,} | {f['one_agency_s']} "
        f"| {f['one_agency_pairs']:,} |"
        for f in figures
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import json

    print(json.dumps(run([10_000, 50_000, 100_000]), indent=1))
