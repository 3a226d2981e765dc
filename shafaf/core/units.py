"""An agency's own figure read in the unit it wrote it in: one rule for every place that compares or judges one.

Agencies write a share as a percentage (``percent``, ``%``, ``pct``, ``درصد``) or as a fraction
(``share``); with no unit, a value above 1 can only be a percentage. The smart-services plan's verdict, its
trajectory on the agency's page and the reported-against-measured comparison all read a reported share
through ``as_share``.
"""

from __future__ import annotations

PERCENT_UNITS: tuple[str, ...] = ("percent", "%", "pct", "درصد")
SHARE_UNIT = "share"


def written(unit: str | None) -> str:
    """The unit as compared: trimmed and lower-cased."""
    return (unit or "").strip().lower()


def is_percent(unit: str | None) -> bool:
    return written(unit) in PERCENT_UNITS


def as_share(value: float, unit: str | None) -> float:
    """``value`` as a share from 0 to 1: a percentage divided by 100, a share as it is; no unit and above 1 is a
    percentage."""
    if is_percent(unit) or (not written(unit) and value > 1):
        return value / 100
    return value
