"""What publishing computes from the published rows, so pages never scan them, at the cost of what changed.

Per agency (``Derived.agency``, inside that agency's transaction): its
indicators, data coverage, discrepancies, scorecard row and search entries.
Across agencies (``Derived.catalog``, once per version): the ranks, by window
functions over ``agency_scorecard`` (one row per agency), and the possible
duplicates of the changed agencies' services against all others
(``duplicates.compute_for``, prefix-filtered candidates; the other pairs do
not depend on what changed). An agency not published in this version is
re-derived only when its figures were computed for another day or another
reference window (its freshness moves with the day), so a one-agency publish
derives one agency, plus every agency once a day.

``changed`` names the agencies whose rows differ from the base version (or
None: all of them); the downloads rebuild only those agencies' parts
(``export_parts``).
"""

from __future__ import annotations

import sqlite3
from zoneinfo import ZoneInfo

from shafaf.config.registry import Portal
from shafaf.core.durable import transaction
from shafaf.publish import duplicates, indicators, search
from shafaf.standard.indicator_defs import CURRENT
from shafaf.state import store as state_mod


class Derived:
    """The derived rows of one version being built; ``changed`` collects the agencies they were rebuilt for."""

    def __init__(self, portal: Portal, *, rebuild: bool = False):
        self.portal = portal
        self.today = state_mod.wall_clock().astimezone(ZoneInfo(portal.timezone)).date()  # the one clock
        self.window = indicators.window_for(portal, self.today)
        self.rebuild = rebuild
        self.changed: set[str] | None = None if rebuild else set()

    def agency(self, conn: sqlite3.Connection, agency_id: str) -> None:
        """One agency's derived rows, inside the caller's transaction."""
        indicators.compute_agency(conn, agency_id, portal=self.portal, today=self.today, window=self.window)
        search.index_agency(conn, agency_id)
        if self.changed is not None:
            self.changed.add(agency_id)

    def stale(self, conn: sqlite3.Connection) -> list[str]:
        """Agencies whose derived rows were computed for another day or reference window (or never)."""
        return [
            row[0]
            for row in conn.execute(
                f"""
            SELECT a.id FROM agencies AS a LEFT JOIN agency_scorecard AS s ON s.agency_id = a.id
            WHERE s.agency_id IS NULL OR s.period_start_12m IS NOT :start OR s.period_end_12m IS NOT :end
               OR s.reference_month IS NOT :month
               OR NOT EXISTS (SELECT 1 FROM indicators AS i WHERE i.agency_id = a.id AND i.indicator = 'services'
                              AND i.[window] = '{CURRENT}' AND i.period_end = :today)
            ORDER BY a.id
            """,
                {
                    "start": self.window.start.isoformat(),
                    "end": self.window.end.isoformat(),
                    "month": self.window.reference.label,
                    "today": self.today.isoformat(),
                },
            )
        ]

    def catalog(self, conn: sqlite3.Connection, *, done: set[str]) -> None:
        """Agencies whose figures are stale (not ``done`` in this version), then what spans agencies."""
        with transaction(conn):
            published = set(done)
            for agency_id in self.stale(conn):
                if agency_id not in done:
                    indicators.compute_agency(conn, agency_id, portal=self.portal, today=self.today, window=self.window)
                    if self.rebuild:
                        search.index_agency(conn, agency_id)
                    if self.changed is not None:
                        self.changed.add(agency_id)
            indicators.compute_scorecards(conn)
            every = {row[0] for row in conn.execute("SELECT DISTINCT agency_id FROM services")}
            if self.rebuild or every <= published:
                duplicates.compute(conn, threshold=self.portal.duplicate_threshold)
            else:
                duplicates.compute_for(conn, published, threshold=self.portal.duplicate_threshold)
