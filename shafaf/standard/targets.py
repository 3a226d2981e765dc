"""Whether a target was met: which way is better for it, and the verdict, decided in one place.

An agency's targets row says what it aimed for and what it reached; only a
direction makes those two numbers a verdict. 44.8 days against a target of
30 is a miss, 44.8% against 30% a hit. The direction is, in order: the row's
own ``direction``; the portal's knowledge of the indicator (its own
indicators and the target names agencies use for them, below); the unit when
it is unambiguous (days, complaints, costs: lower is better); the name when
it says as much (``…_days``, ``complaints_…``). Otherwise
there is no verdict: the page shows "—" and the validation report asks the
agency for a direction. The publisher writes ``direction_used`` and ``met``
beside every row (publish.py), so the pages, the API and SQL all read the
same verdict.
"""

from __future__ import annotations

import math
import re
import sqlite3

from shafaf.standard.indicator_defs import BY_NAME

HIGHER, LOWER = "higher", "lower"
DIRECTIONS = (HIGHER, LOWER)

# Target names agencies use for the portal's own indicators, and other common ones.
KNOWN_TARGETS: dict[str, str] = {
    "smart_services_share": HIGHER,
    "share_smart": HIGHER,
    "smart_services": HIGHER,
    "digital_uptake": HIGHER,
    "digital_takeup": HIGHER,
    "online_share": HIGHER,
    "e_prescription_share": HIGHER,
    "on_time_delivery": HIGHER,
    "gsb_connected_services": HIGHER,
    "national_portal_services": HIGHER,
    "fully_online_services": HIGHER,
    "complaints": LOWER,
}

# Units whose direction nobody disputes (time taken, complaints, costs): lower is better. docs/indicators.md lists
# them from here.
LOWER_UNITS: tuple[str, ...] = (
    "day",
    "days",
    "hour",
    "hours",
    "minute",
    "minutes",
    "روز",
    "ساعت",
    "دقیقه",
    "complaint",
    "complaints",
    "شکایت",
    "per_1000_applications",
    "rial_per_transaction",
    "rials_per_transaction",
    "rial_per_application",
    "rials_per_application",
)
LOWER_UNIT_PREFIXES: tuple[str, ...] = ("cost_per_",)
# Target names that say the same: lower is better.
LOWER_NAME_SUFFIXES: tuple[str, ...] = ("_days", "_hours", "_complaints")
LOWER_NAME_PREFIXES: tuple[str, ...] = ("days_", "complaints_")


def direction(indicator: str | None, unit: str | None, stated: str | None) -> str | None:
    """Which way is better for a targets row: ``higher``, ``lower`` or None (no verdict possible)."""
    if stated in DIRECTIONS:
        return stated
    name = (indicator or "").strip().lower()
    if name in KNOWN_TARGETS:
        return KNOWN_TARGETS[name]
    definition = BY_NAME.get(name)
    if definition is not None and definition.better in DIRECTIONS:
        return definition.better
    written = (unit or "").strip().lower()
    if written in LOWER_UNITS or any(
        written.startswith(p) and re.fullmatch(r"\w+", written[len(p) :]) for p in LOWER_UNIT_PREFIXES
    ):
        return LOWER
    if name.endswith(LOWER_NAME_SUFFIXES) or name.startswith(LOWER_NAME_PREFIXES):
        return LOWER
    return None


def met(target: float | None, actual: float | None, better: str | None) -> int | None:
    """1 when ``actual`` reached ``target`` in the better direction (a tie is met), 0 when not, None when unknown."""
    if target is None or actual is None or better not in DIRECTIONS:
        return None
    if not (math.isfinite(target) and math.isfinite(actual)):
        return None
    t, a = round(target, 9), round(actual, 9)  # 0.1 + 0.2 against 0.3 is a tie, not a miss
    return int(a >= t) if better == HIGHER else int(a <= t)


def judge_published(conn: sqlite3.Connection, agency_id: str) -> int:
    """Write ``direction_used`` and ``met`` on the agency's published targets rows (inside the publisher's transaction)."""
    rows = conn.execute(
        "SELECT rowid, indicator, unit, direction, target, actual FROM targets WHERE agency_id = ?", (agency_id,)
    ).fetchall()
    updates = []
    for rowid, indicator, unit, stated, target, actual in rows:
        better = direction(indicator, unit, stated)
        updates.append((better, met(target, actual, better), rowid))
    conn.executemany("UPDATE targets SET direction_used = ?, met = ? WHERE rowid = ?", updates)
    return len(updates)
