"""Whether a target was met, value by value in both directions, and which direction a row is judged in."""

from __future__ import annotations

import math

import pytest

from shafaf.standard.targets import direction, met


@pytest.mark.parametrize(
    "target, actual, better, expected",
    [
        # higher is better: reaching the target is met, a tie is met
        (40, 44.4, "higher", 1),
        (40, 40, "higher", 1),
        (40, 39.9, "higher", 0),
        (0, 0, "higher", 1),
        (0.3, 0.1 + 0.2, "higher", 1),  # float noise is a tie, not a miss
        (-5, -4, "higher", 1),
        (-5, -6, "higher", 0),
        # lower is better: at or below the target is met
        (30, 44.8, "lower", 0),
        (20, 45.3, "lower", 0),
        (30, 30, "lower", 1),
        (30, 29.99, "lower", 1),
        (0.3, 0.1 + 0.2, "lower", 1),
        (2.0, 5.0, "lower", 0),
        (2.5, 2.4, "lower", 1),
        # no verdict without an actual, a target or a direction
        (30, None, "lower", None),
        (None, 30, "higher", None),
        (None, None, "higher", None),
        (30, 44.8, None, None),
        (30, 44.8, "sideways", None),
        (30, math.nan, "higher", None),
        (math.inf, 3, "lower", None),
    ],
)
def test_met_in_both_directions(target, actual, better, expected):
    assert met(target, actual, better) == expected


@pytest.mark.parametrize(
    "indicator, unit, stated, expected",
    [
        # the row's own direction wins, even against what the portal would guess
        ("smart_card_issuance_days", "days", "higher", "higher"),
        ("pension_files_digitized", "percent", "lower", "lower"),
        # names the portal knows: its own indicators and the common target names
        ("smart_services_share", "percent", None, "higher"),
        ("digital_uptake", "percent", None, "higher"),
        ("satisfaction", "percent", None, "higher"),
        ("complaints_per_1000", "per_1000_applications", None, "lower"),
        ("median_days", None, None, "lower"),
        ("SMART_SERVICES_SHARE ", "percent", None, "higher"),
        # units whose direction is plain
        ("smart_card_issuance_days", "days", None, "lower"),
        ("clearance_time", "روز", None, "lower"),
        ("anything", "hours", None, "lower"),
        ("anything", "rials_per_transaction", None, "lower"),
        ("response_days", "", None, "lower"),  # the name says days
        # nothing to go on: no verdict
        ("pension_files_digitized", "percent", None, None),
        ("budget_execution", "rials", None, None),
        ("x", None, None, None),
        ("x", None, "", None),
    ],
)
def test_direction_of_a_row(indicator, unit, stated, expected):
    assert direction(indicator, unit, stated) == expected
