"""What docs/indicators.md says, read from the document itself: the independent check's rulebook.

The figures oracle (``figures_oracle``) takes its directions, scorecard columns, ranks, known target
names and measures from the published document, never from ``shafaf``'s own tables of them, so that a
formula changed in the code but not in the document (or the other way round) shows up as a mismatch.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "indicators.md"


@dataclasses.dataclass(frozen=True)
class Indicator:
    name: str
    unit: str
    better: str | None  # higher, lower or None


@dataclasses.dataclass(frozen=True)
class ScorecardColumn:
    column: str
    indicator: str
    window: str
    year: str | None  # current or previous, for year columns
    rank: str | None
    among: str | None  # all or compared
    better: str | None


@dataclasses.dataclass(frozen=True)
class Measure:
    target: str
    source: str  # services or service_performance
    unit: str


@dataclasses.dataclass(frozen=True)
class Rules:
    indicators: dict[str, Indicator]
    scorecard: dict[str, ScorecardColumn]
    known_targets: dict[str, str]
    lower_units: tuple[str, ...]  # "else the unit's, where it is unambiguous (lower: ...)"
    lower_unit_starts: tuple[str, ...]  # the units given as `cost_per_…`
    lower_name_ends: tuple[str, ...]  # "else the name's (lower for a name ending in ... or starting with ...)"
    lower_name_starts: tuple[str, ...]
    measures: dict[str, Measure]
    score_weights: dict[str, float]


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


@functools.cache
def rules(path: Path = DOC) -> Rules:
    text = path.read_text(encoding="utf-8")
    indicators = {}
    for m in re.finditer(r"### `([^`]+)`\n\n- \*\*.*?\*\* — unit `([^`]+)`; windows: .*?; better: (\w+)", text):
        name, unit, better = m.groups()
        indicators[name] = Indicator(name, unit, None if better == "neither" else better)

    scorecard = {}
    ranks = _section(text, "Scorecard and ranks")
    for m in re.finditer(r"^\| `(\w+)` \| `(\w+)` \| `(\w+)`(?: \((\w+)\))? \| (.*?) \| (.*?) \|$", ranks, re.M):
        column, indicator, window, year, rank_text, better_text = m.groups()
        rank = among = None
        if rank_text:
            rank = re.match(r"`(\w+)`", rank_text).group(1)
            among = "compared" if "compared" in rank_text else "all"
        better = better_text.split(" ")[0] if better_text else None
        scorecard[column] = ScorecardColumn(column, indicator, window, year, rank, among, better)

    met = _section(text, "Whether a target was met")
    known = dict(re.findall(r"`(\w+)` (higher|lower)", met.split("these target names:")[1].split(");")[0]))
    units = re.findall(r"`([^`]+)`", met.split("where it is unambiguous (lower:")[1].split(");")[0])
    names = met.split("else the name's (lower for a name ending in")[1].split(").")[0]
    ends, starts = names.split(" or starting with ")

    measured = _section(text, "Reported against measured")
    measures = {t: Measure(t, s, u) for t, s, u in re.findall(r"^\| `(\w+)` \| (\w+) \| (\w+) \|$", measured, re.M)}

    score = _section(text, "Transparency score")
    formula = re.search(r"`transparency_score = (.*?)`", score).group(1)
    weights = {name: float(w) for w, name in re.findall(r"(\d+(?:\.\d+)?) × (\w+)", formula)}
    return Rules(
        indicators,
        scorecard,
        known,
        tuple(u for u in units if not u.endswith("…")),
        tuple(u[:-1] for u in units if u.endswith("…")),
        tuple(re.findall(r"`([^`]+)`", ends)),
        tuple(re.findall(r"`([^`]+)`", starts)),
        measures,
        weights,
    )


def target_direction(indicator: str, unit: str | None, stated: str | None, doc: Rules) -> str | None:
    return direction_and_rule(indicator, unit, stated, doc)[0]


def direction_and_rule(indicator: str, unit: str | None, stated: str | None, doc: Rules) -> tuple[str | None, str]:
    """The row's direction; else the indicator's (the portal's indicators and known target names); else the unit's;
    else the name's. With the rule that decided: stated, known, unit, name or unknown."""
    if stated in ("higher", "lower"):
        return stated, "stated"
    if indicator in doc.known_targets:
        return doc.known_targets[indicator], "known"
    if indicator in doc.indicators and doc.indicators[indicator].better:
        return doc.indicators[indicator].better, "known"
    written = (unit or "").strip().lower()
    if written in doc.lower_units or any(
        written.startswith(p) and len(written) > len(p) for p in doc.lower_unit_starts
    ):
        return "lower", "unit"
    if indicator.endswith(doc.lower_name_ends) or indicator.startswith(doc.lower_name_starts):
        return "lower", "name"
    return None, "unknown"


def target_met(target: float | None, actual: float | None, better: str | None) -> int | None:
    """1 when actual ≥ target (higher) or ≤ target (lower), a tie is met; 0 when not; None when it cannot be
    said."""
    if target is None or actual is None or better is None:
        return None
    return int(actual >= target) if better == "higher" else int(actual <= target)


# -- the document's arithmetic (its conventions)

PERCENT_UNITS = ("percent", "%", "pct", "درصد")


def as_share(value: float, unit: str | None) -> float:
    """A reported figure as a share from 0 to 1: percentages divided by 100; no unit and above 1 is a percentage."""
    written = (unit or "").strip().lower()
    if written in PERCENT_UNITS or (not written and value > 1):
        return value / 100
    return value


def ratio(numerator: float | None, denominator: float | None, scale: float = 1.0) -> float | None:
    if numerator is None or not denominator:
        return None
    return scale * numerator / denominator


def weighted_median(pairs: list[tuple[float, float]]) -> float | None:
    """The value of the first pair (in value order) at which the running weight reaches half the total."""
    total = sum(w for _, w in pairs)
    running = 0.0
    for value, weight in sorted(pairs):
        running += weight
        if 2 * running >= total:
            return value
    return None
