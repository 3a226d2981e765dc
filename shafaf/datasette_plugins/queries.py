"""The read-only SQL behind the pages, over the published ``shafaf`` database.

Each function takes a Datasette ``Database`` and returns plain dicts, so the
page handlers never hold SQL and the templates never hold logic. Figures are
simple aggregates over the rows the page links to, so a reader can check them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .i18n import ONLINE_STAGES

if TYPE_CHECKING:
    from datasette.database import Database

_STAGE_COLUMNS = ", ".join(column for column, _ in ONLINE_STAGES)


def _dicts(results: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in results.rows]


async def agency(db: Database, agency_id: str) -> dict[str, Any] | None:
    """The agency's registry row, or None when it is not published."""
    results = await db.execute(
        """
        select id, name_fa, name_en, parent, website, description_fa, description_en,
               last_harvest, last_good_harvest, last_outcome, published_at
        from agencies where id = :id
        """,
        {"id": agency_id},
    )
    rows = _dicts(results)
    return rows[0] if rows else None


async def agency_names(db: Database, agency_id: str) -> dict[str, Any] | None:
    """Just the names of an agency (for a parent link), or None when it is not an agency."""
    results = await db.execute(
        "select id, name_fa, name_en from agencies where id = :id", {"id": agency_id}
    )
    rows = _dicts(results)
    return rows[0] if rows else None


async def agency_summaries(db: Database) -> list[dict[str, Any]]:
    """Every agency with its number of services and its last harvest outcome."""
    results = await db.execute(
        """
        select a.id, a.name_fa, a.name_en, a.last_outcome,
               (select count(*) from services s where s.agency_id = a.id) as services
        from agencies a
        order by a.id
        """
    )
    return _dicts(results)


async def latest_month(db: Database, agency_id: str) -> dict[str, Any] | None:
    """Totals over the agency's last calendar month in ``service_performance``.

    A month is a row whose period runs from the first to the last day of one
    calendar month; quarters and years are left to the indicator tables.
    Returns None when the agency has no monthly rows. ``online_share`` is the
    online channel's share of applications; ``satisfaction`` is weighted by
    applications over the rows that report both.
    """
    results = await db.execute(
        """
        with month as (
            select period_start, period_end
            from service_performance
            where agency_id = :agency_id
              and period_start = date(period_start, 'start of month')
              and period_end = date(period_start, '+1 month', '-1 day')
            order by period_start desc
            limit 1
        )
        select p.period_start, p.period_end,
               max(p.period_label) as period_label,
               sum(p.applications) as applications,
               sum(case when p.channel = 'online' then p.applications else 0 end)
                   as online_applications,
               sum(1.0 * p.satisfaction * p.applications)
                   / sum(case when p.satisfaction is not null then p.applications end)
                   as satisfaction
        from service_performance p
        join month m on p.period_start = m.period_start and p.period_end = m.period_end
        where p.agency_id = :agency_id
        group by p.period_start, p.period_end
        """,
        {"agency_id": agency_id},
    )
    rows = _dicts(results)
    if not rows:
        return None
    month = rows[0]
    applications = month["applications"]
    month["online_share"] = (
        month["online_applications"] / applications if applications else None
    )
    return month


async def service_counts(db: Database, agency_id: str) -> dict[str, int]:
    """How many services the agency lists, and how many of them are smart."""
    results = await db.execute(
        """
        select count(*) as services, coalesce(sum(smart = 1), 0) as smart
        from services where agency_id = :agency_id
        """,
        {"agency_id": agency_id},
    )
    return _dicts(results)[0]


async def services(
    db: Database, agency_id: str, *, lang: str, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` + 1 services of the agency (one more tells the caller it truncated)."""
    order = "name_fa, name_en" if lang == "fa" else "name_en, name_fa"
    results = await db.execute(
        f"""
        select service_id, name_fa, name_en, {_STAGE_COLUMNS},
               smart, on_national_portal, via_gsb, standard_days, how_to_url
        from services
        where agency_id = :agency_id
        order by coalesce({order}, service_id), service_id
        limit :limit
        """,
        {"agency_id": agency_id, "limit": limit + 1},
    )
    return _dicts(results)


async def harvest_runs(db: Database, agency_id: str, *, limit: int) -> list[dict[str, Any]]:
    """The agency's most recent harvest runs, newest first."""
    results = await db.execute(
        """
        select run_id, dataset, started, outcome, reason, rows_passed, rows_failed
        from harvest_runs
        where agency_id = :agency_id
        order by started desc
        limit :limit
        """,
        {"agency_id": agency_id, "limit": limit},
    )
    return _dicts(results)
