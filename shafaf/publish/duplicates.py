"""Possible duplicate services: the same service offered by different agencies.

Two services of different agencies are listed in ``possible_duplicates`` when
the token sets of their names are alike: Jaccard similarity
``|A ∩ B| / |A ∪ B|`` at or above a threshold (``portal.duplicate_threshold``).
Names are compared in their search form (``search.search_text``, as the search index), so
«صدور كارت ملي» and «صدور کارت‌ملی» have the same tokens; as sets, word order
and repeated spaces do not count. A few function words («و», «از», "of", the
plural «ها» that a ZWNJ split off...) are ignored so they do not dilute short
names. Persian names are compared with Persian names, English with English;
``method`` says which matched.

Complexity. Comparing every pair is O(n²): 1.25 billion pairs for 50,000
services. Instead candidates come from prefix filtering (Chaudhuri et al.
2006; Bayardo et al. 2007, "All-Pairs"): order each name's tokens from the
rarest to the most common across all names; two names with Jaccard ≥ t share
at least one token among the first ``|x| - ⌈t·|x|⌉ + 1`` of each (for t=0.8,
the single rarest token of names up to four words). Only those prefixes go
into an inverted index, so common words («صدور», «درخواست») almost never
produce candidates. Cost: O(N·L log L) to tokenize and sort (L tokens per
name) plus O(C·L) to score the C candidate pairs, where C counts pairs of
different agencies sharing a prefix token and passing the size filter
(``t·|x| ≤ |y|``). This finds exactly the pairs a full comparison would;
``tests/test_duplicates.py`` checks it against brute force. The output itself
can be quadratic when many agencies offer a service with the same name (k
agencies → k(k-1)/2 rows): that is the overlap the table is meant to show.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence

from shafaf.core.durable import transaction
from shafaf.standard import tables
from shafaf.standard.search_index import search_text

LANGUAGES = ("name_fa", "name_en")

# Words that say nothing about which service it is; ignored unless a name has nothing else.
STOP_WORDS = frozenset(
    {
        # Persian, in their search form: conjunctions and prepositions, and the plural and ezafe
        # suffixes a ZWNJ turns into words of their own («کارت‌ها» → «کارت ها»).
        "و",
        "یا",
        "از",
        "به",
        "با",
        "در",
        "برای",
        "را",
        "که",
        "این",
        "ان",
        "ها",
        "های",
        "ی",
        # English
        "a",
        "an",
        "and",
        "by",
        "for",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
    }
)

_WORD = re.compile(r"\w+")
_EPSILON = 1e-9  # t·|x| is a float product: 0.8 * 5 must count as 4, not 4.000000000000001


@dataclasses.dataclass(frozen=True)
class Service:
    agency_id: str
    service_id: str
    name_fa: str | None
    name_en: str | None


@dataclasses.dataclass(frozen=True)
class Match:
    """A row of ``possible_duplicates``: ``a`` sorts before ``b``."""

    a: Service
    b: Service
    score: float
    method: str  # "name_fa", "name_en" or "name_fa+name_en": the names at or above the threshold

    def row(self) -> dict[str, object]:
        name = self.method.split("+")[0]
        return {
            "agency_a": self.a.agency_id,
            "service_a": self.a.service_id,
            "name_a": getattr(self.a, name),
            "agency_b": self.b.agency_id,
            "service_b": self.b.service_id,
            "name_b": getattr(self.b, name),
            "score": self.score,
            "method": self.method,
        }


def tokens(name: str | None) -> frozenset[str]:
    """The words of a name's search form, without stop words (kept when the name has nothing else)."""
    if not name:
        return frozenset()
    words = _WORD.findall(search_text(name))
    return frozenset(w for w in words if w not in STOP_WORDS) or frozenset(words)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def _prefix_length(size: int, threshold: float) -> int:
    """How many of a name's rarest tokens must be indexed so no pair with Jaccard ≥ threshold is missed."""
    return size - math.ceil(threshold * size - _EPSILON) + 1


def candidates(token_sets: Sequence[frozenset[str]], threshold: float) -> Iterator[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, of token sets that may reach ``threshold``: prefix filtering.

    Every pair with Jaccard ≥ threshold is yielded (once); most others are not.
    """
    frequency = collections.Counter(token for s in token_sets for token in s)
    index: dict[str, list[int]] = collections.defaultdict(list)
    for j, tokens_j in enumerate(token_sets):
        if not tokens_j:
            continue
        prefix = sorted(tokens_j, key=lambda t: (frequency[t], t))[: _prefix_length(len(tokens_j), threshold)]
        seen: set[int] = set()
        for token in prefix:
            for i in index[token]:
                if i in seen:
                    continue
                seen.add(i)
                small, large = sorted((len(token_sets[i]), len(tokens_j)))
                if small + _EPSILON >= threshold * large:  # Jaccard ≤ small / large
                    yield (i, j)
            index[token].append(j)


def candidates_of(
    token_sets: Sequence[frozenset[str]], probes: Iterable[int], threshold: float
) -> set[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, with ``i`` or ``j`` among ``probes``, that may reach ``threshold``.

    The same prefix filter as ``candidates``, probed only with the prefixes of
    ``probes``: two sets with Jaccard ≥ threshold share a token in both
    prefixes (under one global token order), so the pairs of a few changed
    names are found from an index of every prefix without looking at the
    other pairs. Cost: O(N·L log L) for the index, plus the probes' postings.
    """
    frequency = collections.Counter(token for s in token_sets for token in s)
    prefixes = [
        sorted(s, key=lambda t: (frequency[t], t))[: _prefix_length(len(s), threshold)] if s else [] for s in token_sets
    ]
    index: dict[str, list[int]] = collections.defaultdict(list)
    for i, prefix in enumerate(prefixes):
        for token in prefix:
            index[token].append(i)
    out: set[tuple[int, int]] = set()
    for j in probes:
        size_j = len(token_sets[j])
        for token in prefixes[j]:
            for i in index[token]:
                if i == j:
                    continue
                small, large = sorted((len(token_sets[i]), size_j))
                if small + _EPSILON >= threshold * large:
                    out.add((min(i, j), max(i, j)))
    return out


def _similar_pairs(
    token_sets: Sequence[frozenset[str]],
    groups: Sequence[str],
    threshold: float,
    involving: frozenset[str] | None = None,
) -> set[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, of different groups whose token sets reach ``threshold``.

    Names repeat (the same service in many agencies), so candidates are
    generated between distinct token sets only, then expanded to the
    services holding them. With ``involving``, only pairs with at least one
    side in those groups.
    """
    holders: dict[frozenset[str], list[int]] = collections.defaultdict(list)
    for i, tokens_i in enumerate(token_sets):
        if tokens_i:
            holders[tokens_i].append(i)
    distinct = list(holders)
    if involving is None:
        similar = [(u, u) for u in range(len(distinct))]
        found: Iterable[tuple[int, int]] = candidates(distinct, threshold)
    else:
        touched = [u for u, s in enumerate(distinct) if any(groups[i] in involving for i in holders[s])]
        similar = [(u, u) for u in touched]
        found = candidates_of(distinct, touched, threshold)
    similar += [(u, v) for u, v in found if jaccard(distinct[u], distinct[v]) + _EPSILON >= threshold]
    pairs = set()
    for u, v in similar:
        for i in holders[distinct[u]]:
            for j in holders[distinct[v]]:
                if (
                    i != j
                    and groups[i] != groups[j]
                    and (involving is None or groups[i] in involving or groups[j] in involving)
                ):
                    pairs.add((min(i, j), max(i, j)))
    return pairs


def find(services: Sequence[Service], *, threshold: float, involving: Iterable[str] | None = None) -> list[Match]:
    """Pairs of services of different agencies whose names reach ``threshold``, best first, in a stable order.

    With ``involving`` (agency ids), only the pairs with a service of one of them.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"the duplicate threshold must be in (0, 1], not {threshold}")
    services = sorted(services, key=lambda s: (s.agency_id, s.service_id, s.name_fa or "", s.name_en or ""))
    groups = [s.agency_id for s in services]
    token_sets = {lang: [tokens(getattr(s, lang)) for s in services] for lang in LANGUAGES}
    only = None if involving is None else frozenset(involving)
    pairs: set[tuple[int, int]] = set()
    for lang in LANGUAGES:
        pairs |= _similar_pairs(token_sets[lang], groups, threshold, only)
    best: dict[tuple[str, str, str, str], Match] = {}
    for i, j in pairs:
        scores = {lang: jaccard(token_sets[lang][i], token_sets[lang][j]) for lang in LANGUAGES}
        matched = [lang for lang in LANGUAGES if scores[lang] + _EPSILON >= threshold]
        a, b = services[i], services[j]  # sorted by agency, so a's agency sorts first
        match = Match(a, b, round(max(scores[lang] for lang in matched), 4), "+".join(matched))
        key = (a.agency_id, a.service_id, b.agency_id, b.service_id)  # an agency listing one service twice
        if key not in best or (match.score, len(matched)) > (best[key].score, best[key].method.count("+") + 1):
            best[key] = match
    return sorted(
        best.values(), key=lambda m: (-m.score, m.a.agency_id, m.a.service_id, m.b.agency_id, m.b.service_id, m.method)
    )


def published_services(conn: sqlite3.Connection) -> list[Service]:
    """Services in the public file that are not withdrawn (``withdrawn`` NULL counts as not withdrawn)."""
    rows = conn.execute(
        "SELECT agency_id, service_id, name_fa, name_en FROM services "
        "WHERE (withdrawn IS NULL OR withdrawn = 0) AND agency_id IS NOT NULL AND service_id IS NOT NULL"
    )
    return [Service(*row) for row in rows]


def compute(conn: sqlite3.Connection, *, threshold: float) -> int:
    """Rebuild ``possible_duplicates`` from the published services; returns the number of pairs.

    Runs in the caller's transaction if there is one, else in its own, so
    readers see the old list or the new one.
    """
    matches = find(published_services(conn), threshold=threshold)
    columns = list(tables.POSSIBLE_DUPLICATES_COLUMNS)
    sql = (
        f"INSERT INTO possible_duplicates ({', '.join(f'[{c}]' for c in columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    with transaction(conn):
        conn.execute("DELETE FROM possible_duplicates")
        conn.executemany(sql, _values(matches, columns))
    return len(matches)


def compute_for(conn: sqlite3.Connection, agency_ids: Iterable[str], *, threshold: float) -> int:
    """Replace the pairs with a service of ``agency_ids``; the others cannot have changed. Returns the pairs written.

    The same rows as ``compute`` when only those agencies' services changed
    (``tests/test_duplicates.py`` compares them); in the caller's transaction.
    """
    changed = sorted(set(agency_ids))
    if not changed:
        return 0
    matches = find(published_services(conn), threshold=threshold, involving=changed)
    columns = list(tables.POSSIBLE_DUPLICATES_COLUMNS)
    sql = (
        f"INSERT INTO possible_duplicates ({', '.join(f'[{c}]' for c in columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    with transaction(conn):
        for start in range(0, len(changed), 500):
            chunk = changed[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            conn.execute(
                f"DELETE FROM possible_duplicates WHERE agency_a IN ({marks}) OR agency_b IN ({marks})", chunk + chunk
            )
        conn.executemany(sql, _values(matches, columns))
    return len(matches)


def _values(matches: Iterable[Match], columns: list[str]) -> Iterator[tuple[object, ...]]:
    for match in matches:
        row = match.row()
        yield tuple(row[c] for c in columns)
