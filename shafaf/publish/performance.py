"""The sums behind every performance figure, and the ratio each figure is of them (docs/indicators.md).

One definition for the indicators (an agency's rows, per period and window) and the service page (one
service's rows, per month), so "completion rate" or "within the standard time" means the same on both:
completed over the applications of the rows that report both, within the standard over the completed of
the rows that report both, satisfaction weighted by applications, processing days the median of the
rows' medians weighted by completed.
"""

from __future__ import annotations

from typing import Any

# The sums over a group of service_performance rows (SQL select-list terms).
SUMS = """sum(applications) AS applications,
           sum(CASE WHEN channel = 'online' THEN applications END) AS online,
           sum(CASE WHEN completed IS NOT NULL THEN applications END) AS done_den,
           sum(CASE WHEN applications IS NOT NULL THEN completed END) AS done_num,
           sum(CASE WHEN within_standard IS NOT NULL THEN completed END) AS ws_den,
           sum(CASE WHEN completed IS NOT NULL THEN within_standard END) AS ws_num,
           sum(CASE WHEN applications IS NOT NULL THEN satisfaction * applications END) AS sat_num,
           sum(CASE WHEN satisfaction IS NOT NULL THEN applications END) AS sat_den,
           sum(CASE WHEN applications IS NOT NULL THEN complaints END) AS comp_num,
           sum(CASE WHEN complaints IS NOT NULL THEN applications END) AS comp_den,
           sum(availability_pct) AS avail_num, count(availability_pct) AS avail_den"""

# indicator -> (numerator sum, denominator sum, scale).
RATIOS: dict[str, tuple[str, str, float]] = {
    "digital_takeup": ("online", "applications", 1.0),
    "completion_rate": ("done_num", "done_den", 1.0),
    "within_standard": ("ws_num", "ws_den", 1.0),
    "satisfaction": ("sat_num", "sat_den", 1.0),
    "complaints_per_1000": ("comp_num", "comp_den", 1000.0),
    "availability": ("avail_num", "avail_den", 1.0),
}


def ratio(numerator: float | None, denominator: float | None, scale: float = 1.0) -> float | None:
    """scale × numerator ÷ denominator, or None when there is nothing to divide by (never 0 for no data)."""
    if numerator is None or not denominator:
        return None
    return scale * numerator / denominator


def figures(sums: dict[str, Any]) -> dict[str, float | None]:
    """Each ratio indicator's value from one group's sums (applications reported, none online: take-up 0)."""
    online = sums["online"] if sums["online"] is not None or sums["applications"] is None else 0
    sums = {**sums, "online": online}
    return {name: ratio(sums[num], sums[den], scale) for name, (num, den, scale) in RATIOS.items()}


def weighted_median(pairs: list[tuple[float, float]]) -> float | None:
    """median_days: the rows' medians in order, weighted by completed; the first at which the running weight
    reaches half the total. Rows without a median or with nothing completed are left out."""
    kept = sorted((value, weight) for value, weight in pairs if value is not None and weight and weight > 0)
    total = sum(weight for _, weight in kept)
    running = 0.0
    for value, weight in kept:
        running += weight
        if 2 * running >= total:
            return value
    return None
