"""The read-only SQL behind the pages, over the published ``shafaf`` database.

Each function takes a Datasette ``Database`` and returns plain dicts, so the
page handlers never hold SQL and the templates never hold logic. Pages read
the tables the publisher precomputes (``agency_scorecard``, ``indicators``);
the service page reads one service's rows through the (agency_id,
service_id, period_start) index (``service_queries``). Figures are the indicators' own
numerators and denominators, so a reader can check them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shafaf.datasette_plugins.i18n import ONLINE_STAGES

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
    results = await db.execute("select id, name_fa, name_en from agencies where id = :id", {"id": agency_id})
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


async def services(db: Database, agency_id: str, *, lang: str, limit: int) -> list[dict[str, Any]]:
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


# -- home


async def scorecards(db: Database) -> list[dict[str, Any]]:
    """Every agency with its scorecard row (columns are None for an agency not yet scored)."""
    results = await db.execute(
        """
        select a.id, a.name_fa, a.name_en, a.last_good_harvest, a.last_outcome, s.*
        from agencies a left join agency_scorecard s on s.agency_id = a.id
        order by a.id
        """
    )
    return _dicts(results)


async def national(db: Database) -> dict[str, Any]:
    """The portal-wide headline figures: shares are pooled over agencies (sum of numerators over sum of denominators).

    The window figures pool every agency's rows of the reference window (the same months for all).
    """
    results = await db.execute(
        """
        with pooled as (
            select indicator, sum(numerator) as numerator, sum(denominator) as denominator
            from indicators
            where (indicator = 'share_fully_online' and window = 'current')
               or (indicator in ('digital_takeup', 'satisfaction') and window = 'last_12_months')
            group by indicator
        )
        select (select count(*) from agencies) as agencies,
               (select sum(services) from agency_scorecard) as services,
               (select numerator / denominator from pooled where indicator = 'share_fully_online')
                   as share_fully_online,
               (select numerator / denominator from pooled where indicator = 'digital_takeup')
                   as digital_takeup,
               (select numerator / denominator from pooled where indicator = 'satisfaction')
                   as satisfaction
        """
    )
    return _dicts(results)[0]


async def smart_years(db: Database) -> list[dict[str, Any]]:
    """The smart-services plan's two judged Jalali years: the share required and how many agencies are on track
    (0 when none is judged: no agency lists a service)."""
    results = await db.execute(
        """
        select smart_year as year, max(smart_required_share) as required, 1 as current,
               coalesce(sum(smart_status = 'on_track'), 0) as on_track, count(smart_status) as judged
        from agency_scorecard where smart_year is not null group by smart_year
        union all
        select smart_year_previous, max(smart_required_previous), 0,
               coalesce(sum(smart_status_previous = 'on_track'), 0), count(smart_status_previous)
        from agency_scorecard where smart_year_previous is not null group by smart_year_previous
        order by year desc
        """
    )
    return _dicts(results)


# -- agency


async def scorecard(db: Database, agency_id: str) -> dict[str, Any] | None:
    results = await db.execute("select * from agency_scorecard where agency_id = :id", {"id": agency_id})
    rows = _dicts(results)
    return rows[0] if rows else None


async def agencies_scored(db: Database) -> int:
    results = await db.execute("select count(*) as n from agency_scorecard")
    return _dicts(results)[0]["n"]


async def monthly_indicators(
    db: Database, agency_id: str, indicators: tuple[str, ...], *, months: int
) -> dict[str, list[dict[str, Any]]]:
    """The agency's last ``months`` monthly rows of each indicator, oldest first."""
    names = {f"i{n}": name for n, name in enumerate(indicators)}
    results = await db.execute(
        f"""
        select indicator, period_start, period_end, value, numerator, denominator
        from (
            select *, row_number() over (partition by indicator order by period_start desc) as age
            from indicators
            where agency_id = :agency_id and window = 'month'
              and indicator in ({", ".join(":" + key for key in names)})
        )
        where age <= :months
        order by indicator, period_start
        """,
        {"agency_id": agency_id, "months": months, **names},
    )
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in indicators}
    for row in _dicts(results):
        out[row["indicator"]].append(row)
    return out


async def yearly_indicators(db: Database, agency_id: str, indicators: tuple[str, ...]) -> list[dict[str, Any]]:
    """The agency's yearly rows (``smart_required_share``, ``target:*``) of ``indicators``, oldest first."""
    names = {f"i{n}": name for n, name in enumerate(indicators)}
    results = await db.execute(
        f"""
        select indicator, period_start, period_end, value, numerator, denominator, unit
        from indicators
        where agency_id = :agency_id and window = 'year'
          and indicator in ({", ".join(":" + key for key in names)})
        order by period_start, indicator
        """,
        {"agency_id": agency_id, **names},
    )
    return _dicts(results)


async def activities(db: Database, agency_id: str, *, limit: int) -> list[dict[str, Any]]:
    results = await db.execute(
        """
        select activity_id, title_fa, title_en, kind, status, start_date, end_date,
               budget, spent, progress_pct, url
        from activities where agency_id = :agency_id
        order by coalesce(start_date, ''), activity_id
        limit :limit
        """,
        {"agency_id": agency_id, "limit": limit + 1},
    )
    return _dicts(results)


async def targets(db: Database, agency_id: str) -> list[dict[str, Any]]:
    results = await db.execute(
        """
        select indicator, period_start, period_end, period_label, target, actual, unit, direction, direction_used,
               met, source
        from targets where agency_id = :agency_id
        order by indicator, period_start
        """,
        {"agency_id": agency_id},
    )
    return _dicts(results)


async def data_coverage(db: Database, agency_id: str) -> list[dict[str, Any]]:
    """The agency's data_coverage rows: each dataset's rows, last month covered and months behind."""
    results = await db.execute(
        "select * from data_coverage where agency_id = :agency_id order by dataset", {"agency_id": agency_id}
    )
    return _dicts(results)


async def discrepancies(
    db: Database, *, agency_id: str | None = None, flagged_only: bool = False, limit: int = 1000
) -> list[dict[str, Any]]:
    """Reported against measured, for one agency or all (flagged first, largest difference first)."""
    where = ["1 = 1"]
    if agency_id is not None:
        where.append("d.agency_id = :agency_id")
    if flagged_only:
        where.append("d.flagged = 1")
    results = await db.execute(
        f"""
        select d.*, a.name_fa, a.name_en from discrepancies d join agencies a on a.id = d.agency_id
        where {" and ".join(where)}
        order by d.flagged desc, abs(d.difference) desc, d.agency_id, d.indicator, d.period_start
        limit :limit
        """,
        {"agency_id": agency_id, "limit": limit},
    )
    return _dicts(results)


async def discrepancy_counts(db: Database) -> dict[str, int]:
    """How many reported figures the portal measures, and how many of them it flags, over all of them."""
    results = await db.execute(
        "select count(*) as reported, coalesce(sum(flagged = 1), 0) as flagged from discrepancies"
    )
    return _dicts(results)[0]


async def rank_populations(db: Database) -> dict[str, int]:
    """How many agencies each rank column ranks (the "of N" beside a rank)."""
    from shafaf.publish.scorecard_defs import SCORECARD

    ranks = [c.rank for c in SCORECARD if c.rank]
    results = await db.execute(
        "select " + ", ".join(f"count([{r}]) as [{r}]" for r in ranks) + " from agency_scorecard"
    )
    return _dicts(results)[0]


async def rejected_rows(db: Database, agency_id: str | None, *, limit: int) -> list[dict[str, Any]]:
    """Rejected rows from each source's latest run, newest first (all agencies when ``agency_id`` is None)."""
    where = "where v.agency_id = :agency_id" if agency_id is not None else ""  # two texts: each can use its index
    results = await db.execute(
        f"""
        select v.agency_id, v.source_id, v.dataset, v.file, v.row_number, v.field, v.value,
               v.error_type, v.message, v.message_fa, r.started
        from validation_errors v left join harvest_runs r on r.run_id = v.run_id
        {where}
        order by r.started desc, v.agency_id, v.file, v.row_number
        limit :limit
        """,
        {"agency_id": agency_id, "limit": limit + 1},
    )
    return _dicts(results)


async def rejected_counts(db: Database) -> list[dict[str, Any]]:
    """Rejected rows per agency and dataset."""
    results = await db.execute(
        """
        select agency_id, dataset, count(*) as rows
        from validation_errors
        group by agency_id, dataset
        order by agency_id, dataset
        """
    )
    return _dicts(results)


# -- duplicates


async def possible_duplicates(db: Database, *, limit: int) -> list[dict[str, Any]]:
    results = await db.execute(
        """
        select agency_a, service_a, name_a, agency_b, service_b, name_b, score, method
        from possible_duplicates
        order by score desc, agency_a, service_a, agency_b, service_b
        limit :limit
        """,
        {"limit": limit + 1},
    )
    return _dicts(results)
