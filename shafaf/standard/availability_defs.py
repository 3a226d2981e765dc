"""What "a source's availability" means: the columns of ``source_availability``, defined once.

The seeds ask that agencies exchange data through the service bus "so that
a failing service can be spotted and followed up". Each source's run
history becomes one published row (``publish/availability.py``); these
definitions are rendered into docs/indicators.md and explain the columns
on the pages.
"""

from __future__ import annotations

from shafaf.core.catalogue import N_
from shafaf.core.models import Outcome, Phase
from shafaf.standard.indicator_defs import Definition

WINDOWS_DAYS = (30, 90)
# Runs that say nothing about the endpoint: not yet run, skipped (another run held the source), or ended by
# our own process dying (aborted).
NOT_COUNTED = (Outcome.QUEUED, Outcome.RUNNING, Outcome.SKIPPED, Outcome.ABORTED)
# A run failed to fetch when it failed in the harvest phase; a file that arrived but did not validate was fetched.
FAILED_FETCH = (Outcome.FAILED, Phase.HARVEST)

_A = "availability"
_W = ("30d", "90d")

DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "success_share",
        _A,
        "share",
        _W,
        N_("Fetch success share"),
        N_(
            "Runs of the source whose fetch succeeded ÷ runs counted, over the last 30 and 90 days before the publication. A run fetched when it did not fail in the harvest phase (ok, unchanged, needs_review, or a file that arrived but failed validation); queued, running, skipped and aborted runs are not counted."
        ),
        better="higher",
    ),
    Definition(
        "median_fetch_ms",
        _A,
        "milliseconds",
        _W,
        N_("Median fetch time"),
        N_(
            "The median of fetch_ms (every request of the run, token requests and pages included, on the monotonic clock) over the runs in the window whose fetch succeeded."
        ),
        better="lower",
    ),
    Definition(
        "p95_fetch_ms",
        _A,
        "milliseconds",
        _W,
        N_("95th percentile fetch time"),
        N_("The 95th percentile (nearest rank: the ⌈0.95 × n⌉-th smallest) of fetch_ms over the same runs."),
        better="lower",
    ),
    Definition(
        "consecutive_failures",
        _A,
        "runs",
        ("current",),
        N_("Consecutive failures"),
        N_(
            "Counted runs that failed to fetch since the source's last successful fetch (0 when the newest counted run fetched). status is failing when it is 1 or more, up when 0, unknown without a counted run; failing_since is the start of the first failure of the streak, and last_failure, last_failure_reason and last_failure_message describe the newest failure."
        ),
        better="lower",
    ),
)
