"""The read-only SQL behind a service's page: its inventory row, its monthly rows and sums, its standards.

One service's periods are read through the (agency_id, service_id, period_start) index; the monthly
figures are the sums of ``performance.SUMS``, as the agency's indicators are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shafaf.publish.performance import SUMS
from shafaf.standard.tables import IS_MONTH

if TYPE_CHECKING:
    from datasette.database import Database


def _dicts(results: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in results.rows]


async def service(db: Database, agency_id: str, service_id: str) -> dict[str, Any] | None:
    results = await db.execute(
        "select * from services where agency_id = :agency_id and service_id = :service_id",
        {"agency_id": agency_id, "service_id": service_id},
    )
    rows = _dicts(results)
    return rows[0] if rows else None


async def service_months(db: Database, agency_id: str, service_id: str, *, months: int) -> list[dict[str, Any]]:
    """One service's last ``months`` monthly periods (Gregorian or Jalali), one row per period and channel, oldest first."""
    results = await db.execute(
        f"""
        with recent as (
            select distinct period_start, period_end
            from service_performance
            where agency_id = :agency_id and service_id = :service_id
              and {IS_MONTH}
            order by period_start desc
            limit :months
        )
        select p.period_start, p.period_end, p.channel, p.applications, p.completed,
               p.within_standard, p.median_days, p.satisfaction, p.complaints
        from service_performance p
        join recent r on p.period_start = r.period_start and p.period_end = r.period_end
        where p.agency_id = :agency_id and p.service_id = :service_id
        order by p.period_start, p.channel
        """,
        {"agency_id": agency_id, "service_id": service_id, "months": months},
    )
    return _dicts(results)


async def service_month_sums(db: Database, agency_id: str, service_id: str, *, months: int) -> list[dict[str, Any]]:
    """The sums behind each of one service's last ``months`` monthly figures (``performance.SUMS``), oldest first."""
    results = await db.execute(
        f"""
        with recent as (
            select distinct period_start, period_end
            from service_performance
            where agency_id = :agency_id and service_id = :service_id
              and {IS_MONTH}
            order by period_start desc
            limit :months
        )
        select p.period_start, p.period_end, {SUMS}
        from service_performance p
        join recent r on p.period_start = r.period_start and p.period_end = r.period_end
        where p.agency_id = :agency_id and p.service_id = :service_id
        group by p.period_start, p.period_end
        order by p.period_start
        """,
        {"agency_id": agency_id, "service_id": service_id, "months": months},
    )
    return _dicts(results)


async def service_standards(db: Database, agency_id: str, service_id: str, *, limit: int) -> list[dict[str, Any]]:
    """The service's promises, newest period first."""
    results = await db.execute(
        """
        select standard_id, name_fa, name_en, kind, target, performance, target_met, period_start, period_label
        from service_standards
        where agency_id = :agency_id and service_id = :service_id
        order by period_start desc, standard_id
        limit :limit
        """,
        {"agency_id": agency_id, "service_id": service_id, "limit": limit},
    )
    return _dicts(results)
