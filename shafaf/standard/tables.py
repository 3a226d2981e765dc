"""Names and columns of the public tables in shafaf.db.

Shared by the publisher (which creates and fills them) and the Datasette
plugin (which reads them), so the two can never disagree. Only the tables
listed in ``PUBLIC_TABLES`` may exist in the public file.
"""

from __future__ import annotations

from shafaf import standard
from shafaf.standard.search_index import SEARCH_TABLES

# The class of a period from its length in days, NULL for lengths that are none of these: a Jalali month
# (29-31 days, from the 1st of a Jalali month) is a month as much as a Gregorian one. SQL over period_start
# and period_end, shared by the indicators and the pages.
PERIOD_DAYS = "(julianday(period_end) - julianday(period_start) + 1)"
PERIOD_CLASS = (
    f"CASE WHEN {PERIOD_DAYS} BETWEEN 28 AND 31 THEN 'month' "
    f"WHEN {PERIOD_DAYS} BETWEEN 89 AND 93 THEN 'quarter' "
    f"WHEN {PERIOD_DAYS} BETWEEN 365 AND 366 THEN 'year' END"
)
IS_MONTH = f"{PERIOD_DAYS} BETWEEN 28 AND 31"

# Columns added to every dataset table, so each row leads back to the run that brought it.
PROVENANCE_COLUMNS: dict[str, str] = {"run_id": "TEXT"}

AGENCIES_COLUMNS: dict[str, str] = {
    "id": "TEXT",
    "name_fa": "TEXT",
    "name_en": "TEXT",
    "parent": "TEXT",
    "website": "TEXT",
    "contact_email": "TEXT",
    "description_fa": "TEXT",
    "description_en": "TEXT",
    "sources": "INTEGER",
    "last_harvest": "TEXT",
    "last_good_harvest": "TEXT",
    "last_outcome": "TEXT",
    "published_at": "TEXT",
}

HARVEST_RUNS_COLUMNS: dict[str, str] = {
    "run_id": "TEXT",
    "agency_id": "TEXT",
    "source_id": "TEXT",
    "dataset": "TEXT",
    "kind": "TEXT",
    "location": "TEXT",
    "started": "TEXT",
    "finished": "TEXT",
    "outcome": "TEXT",
    "reason": "TEXT",
    "phase": "TEXT",
    "message": "TEXT",
    "http_status": "INTEGER",
    "bytes": "INTEGER",
    "sha256": "TEXT",
    "rows_read": "INTEGER",
    "rows_passed": "INTEGER",
    "rows_failed": "INTEGER",
    "rows_staged": "INTEGER",  # rows published from the file: more than rows_passed when columns became rows
    "fetch_ms": "INTEGER",  # how long the capture (every request of the run) took, on the monotonic clock
}

# One row per source: how reliably its endpoint answers, from the run history (publish/availability.py).
SOURCE_AVAILABILITY_COLUMNS: dict[str, str] = {
    "agency_id": "TEXT",
    "source_id": "TEXT",
    "dataset": "TEXT",
    "kind": "TEXT",
    "location": "TEXT",  # the endpoint, credentials and secret-looking query values redacted
    "runs_30d": "INTEGER",
    "fetched_30d": "INTEGER",
    "success_share_30d": "REAL",  # 0-1; empty without a counted run in the window
    "median_fetch_ms_30d": "INTEGER",
    "p95_fetch_ms_30d": "INTEGER",
    "runs_90d": "INTEGER",
    "fetched_90d": "INTEGER",
    "success_share_90d": "REAL",
    "median_fetch_ms_90d": "INTEGER",
    "p95_fetch_ms_90d": "INTEGER",
    "last_success": "TEXT",
    "last_failure": "TEXT",
    "last_failure_reason": "TEXT",
    "last_failure_message": "TEXT",
    "last_failure_run_id": "TEXT",
    "consecutive_failures": "INTEGER",
    "failing_since": "TEXT",  # start of the first failed run of the current streak; empty when not failing
    "recovered": "TEXT",  # start of the first good fetch after the last failure; empty while failing
    "status": "TEXT",  # up, failing, unknown
    "computed": "TEXT",
}

VALIDATION_ERRORS_COLUMNS: dict[str, str] = {
    "run_id": "TEXT",
    "agency_id": "TEXT",
    "source_id": "TEXT",
    "dataset": "TEXT",
    "file": "TEXT",
    "row_number": "INTEGER",
    "field": "TEXT",
    "value": "TEXT",
    "error_type": "TEXT",
    "message": "TEXT",
    "message_fa": "TEXT",
}

# Derived at publish time on every table with periods: Jalali is a dimension, not only a display format.
# fiscal_year is the Iranian fiscal year, which is the Jalali year of period_start.
PERIOD_COLUMNS: dict[str, str] = {"jalali_year": "INTEGER", "jalali_month": "INTEGER", "fiscal_year": "INTEGER"}

# services: a service missing from a newer inventory is kept, marked withdrawn; run_id stays the last run that saw it.
HISTORY_COLUMNS: dict[str, str] = {"withdrawn": "INTEGER", "withdrawn_at": "TEXT"}

# targets: which way is better for the row (its own direction, else the portal's knowledge of the indicator or
# its unit) and whether the target was met in that direction: 1, 0, or empty when it cannot be said (targets.py).
VERDICT_COLUMNS: dict[str, str] = {"direction_used": "TEXT", "met": "INTEGER"}

# One row per agency, indicator and window; formulas in docs/indicators.md.
INDICATORS_COLUMNS: dict[str, str] = {
    "agency_id": "TEXT",
    "indicator": "TEXT",
    "window": "TEXT",  # month, last_12_months, year, current
    "period_start": "TEXT",
    "period_end": "TEXT",
    "value": "REAL",
    "numerator": "REAL",
    "denominator": "REAL",
    "unit": "TEXT",
}

# One row per agency: the headline figures the pages show, and the agency's rank on each. Filled from the
# agency's indicators rows by shafaf/publish/indicators.py (which owns the list, SCORECARD in indicator_defs.py).
AGENCY_SCORECARD_COLUMNS: dict[str, str] = {
    "agency_id": "TEXT",
    "computed_at": "TEXT",
    "period_start_12m": "TEXT",  # the portal's reference window, which every *_12m column covers
    "period_end_12m": "TEXT",
    "reference_month": "TEXT",  # its last month, in the portal's calendar (1405-07)
    "services": "INTEGER",
    "share_fully_online": "REAL",
    "share_smart": "REAL",
    "share_national_portal": "REAL",
    "share_gsb": "REAL",
    "applications_12m": "REAL",
    "digital_takeup_12m": "REAL",
    "completion_rate_12m": "REAL",
    "within_standard_12m": "REAL",
    "median_days_12m": "REAL",
    "satisfaction_12m": "REAL",
    "complaints_per_1000_12m": "REAL",
    "availability_12m": "REAL",
    "window_months_covered": "INTEGER",  # months of the reference window the agency's performance data covers
    "data_last_month": "TEXT",  # the last month its performance data covers to the end
    "data_months_behind": "INTEGER",
    "data_stale": "INTEGER",
    "ranked": "INTEGER",  # 1 when the agency is compared on the window's figures; else see unranked_reason
    "unranked_reason": "TEXT",  # no_performance_data, no_data_in_window or stale
    "smart_year": "INTEGER",  # the Jalali year the smart-services plan is judged for (the current one)
    "smart_required_share": "REAL",
    "smart_share": "REAL",
    "smart_status": "TEXT",  # on_track, behind, or empty when there is nothing to judge (or no plan)
    "smart_gap_services": "INTEGER",
    "smart_year_previous": "INTEGER",
    "smart_required_previous": "REAL",
    "smart_share_previous": "REAL",
    "smart_status_previous": "TEXT",
    "smart_gap_previous": "INTEGER",
    "smart_basis_previous": "TEXT",  # reported (the agency's targets row) or inventory (today's services)
    "freshness_days": "REAL",
    "coverage": "REAL",
    "window_months": "REAL",
    "data_age_score": "REAL",
    "validity": "REAL",
    "citizen_fields": "REAL",
    "transparency_score": "REAL",
    # 1 = best (ties share a rank, no value no rank); directions in docs/indicators.md. Window figures rank
    # only the agencies compared on the window (ranked = 1).
    "rank_transparency": "INTEGER",
    "rank_smart": "INTEGER",
    "rank_fully_online": "INTEGER",
    "rank_national_portal": "INTEGER",
    "rank_gsb": "INTEGER",
    "rank_digital_takeup": "INTEGER",
    "rank_completion_rate": "INTEGER",
    "rank_within_standard": "INTEGER",
    "rank_median_days": "INTEGER",
    "rank_satisfaction": "INTEGER",
    "rank_complaints": "INTEGER",
    "rank_availability": "INTEGER",
    "rank_validity": "INTEGER",
}

# One row per agency and dataset of the standard: how much it publishes and how old its data is (data_quality.py).
DATA_COVERAGE_COLUMNS: dict[str, str] = {
    "agency_id": "TEXT",
    "dataset": "TEXT",
    "rows": "INTEGER",
    "first_date": "TEXT",
    "last_date": "TEXT",  # the last period end (or inventory update) the rows cover
    "last_month": "TEXT",  # the last month of the portal's calendar covered to its end
    "months_behind": "INTEGER",  # from last_month to the reference month
    "stale": "INTEGER",  # 1 when months_behind passes the portal's stale_after_months
    "reference_month": "TEXT",
    "computed_at": "TEXT",
}

# Reported against measured: an agency's targets actual beside the portal's own computation (discrepancies.py).
DISCREPANCIES_COLUMNS: dict[str, str] = {
    "agency_id": "TEXT",
    "indicator": "TEXT",
    "period_start": "TEXT",
    "period_end": "TEXT",
    "period_label": "TEXT",
    "reported": "REAL",  # the targets row's actual, as the agency wrote it
    "reported_unit": "TEXT",
    "reported_as_measured": "REAL",  # the same in the measured value's unit
    "measured": "REAL",
    "measured_unit": "TEXT",  # share (0-1), percent (0-100), services, per_1000_applications
    "difference": "REAL",  # measured - reported_as_measured
    "tolerance": "REAL",
    "flagged": "INTEGER",  # 1 when the difference is beyond the tolerance
    "measured_from": "TEXT",  # services (today's inventory) or service_performance (the period's monthly rows)
    "measured_rows": "INTEGER",
}

POSSIBLE_DUPLICATES_COLUMNS: dict[str, str] = {
    "agency_a": "TEXT",
    "service_a": "TEXT",
    "name_a": "TEXT",
    "agency_b": "TEXT",
    "service_b": "TEXT",
    "name_b": "TEXT",
    "score": "REAL",
    "method": "TEXT",
}

# The columns the portal adds to dataset tables, as Table Schema fields: described once for the Datasette
# metadata (serve.py) and the downloaded packages' schemas (exports.py).
DERIVED_FIELDS: dict[str, dict[str, object]] = {
    "run_id": {
        "type": "string",
        "title": "Harvest run",
        "description": "The harvest run that brought this row (see harvest_runs, and the resource's shafaf.runs).",
    },
    "jalali_year": {"type": "integer", "title": "Jalali year", "description": "Jalali year of period_start (derived)."},
    "jalali_month": {
        "type": "integer",
        "title": "Jalali month",
        "description": "Jalali month (1-12) of period_start (derived).",
        "constraints": {"minimum": 1, "maximum": 12},
    },
    "fiscal_year": {
        "type": "integer",
        "title": "Fiscal year",
        "description": "Iranian fiscal year of period_start: the Jalali year (derived).",
    },
    "withdrawn": {
        "type": "boolean",
        "title": "Withdrawn",
        "description": "True (1) when the service is missing from the agency's newest inventory; the row is "
        "kept as history.",
    },
    "withdrawn_at": {
        "type": "datetime",
        "title": "Withdrawn at",
        "description": "When the portal first published the service as withdrawn (UTC).",
    },
    "direction_used": {
        "type": "string",
        "title": "Direction judged",
        "constraints": {"enum": ["higher", "lower"]},
        "description": "Which way is better for this target, as the portal judged it: the row's "
        "direction, else the indicator's known direction, else its unit's "
        "(docs/indicators.md); empty when unknown.",
    },
    "met": {
        "type": "boolean",
        "title": "Target met",
        "description": "True (1) when the actual reached the target in that direction (a tie is met), false (0) "
        "when it did not; empty when there is no actual, no target or no direction.",
    },
}

DATASET_TABLES: tuple[str, ...] = standard.DATASET_KINDS

PUBLIC_TABLES: tuple[str, ...] = (
    "agencies",
    *DATASET_TABLES,
    "harvest_runs",
    "validation_errors",
    "indicators",
    "agency_scorecard",
    "data_coverage",
    "discrepancies",
    "possible_duplicates",
    "source_availability",
)


# The full-text search tables (FTS5 and its shadow tables), made by shafaf/publish/search.py: public, but
# not created from column lists like the tables above.
ALLOWED_TABLES: tuple[str, ...] = PUBLIC_TABLES + SEARCH_TABLES


def dataset_columns(kind: str) -> dict[str, str]:
    """SQLite columns of a dataset table: the standard's fields, provenance, then derived columns."""
    cols = {f["name"]: standard.SQLITE_TYPES[f["type"]] for f in standard.fields(kind)}
    cols.update(PROVENANCE_COLUMNS)
    if standard.has_periods(kind):
        cols.update(PERIOD_COLUMNS)
    if kind == "services":
        cols.update(HISTORY_COLUMNS)
    if kind == "targets":
        cols.update(VERDICT_COLUMNS)
    return cols


def columns(table: str) -> dict[str, str]:
    if table in DATASET_TABLES:
        return dataset_columns(table)
    return {
        "agencies": AGENCIES_COLUMNS,
        "harvest_runs": HARVEST_RUNS_COLUMNS,
        "validation_errors": VALIDATION_ERRORS_COLUMNS,
        "indicators": INDICATORS_COLUMNS,
        "agency_scorecard": AGENCY_SCORECARD_COLUMNS,
        "data_coverage": DATA_COVERAGE_COLUMNS,
        "discrepancies": DISCREPANCIES_COLUMNS,
        "possible_duplicates": POSSIBLE_DUPLICATES_COLUMNS,
        "source_availability": SOURCE_AVAILABILITY_COLUMNS,
    }[table]


def indexes(table: str) -> list[tuple[str, ...]]:
    """Indexes the pages and common queries need: agency, then periods."""
    if table == "agencies":
        return []
    if table == "possible_duplicates":
        return [("agency_a",), ("agency_b",)]
    if table in ("agency_scorecard", "data_coverage", "discrepancies", "source_availability"):
        return [("agency_id",)]
    if table == "indicators":
        return [("agency_id", "indicator", "window"), ("indicator", "window", "period_start")]
    cols = columns(table)
    out: list[tuple[str, ...]] = []
    if "period_start" in cols:
        out.append(("agency_id", "period_start", "period_end"))  # also serves lookups by agency alone
        if "service_id" in cols:  # the service page: one service's recent periods
            out.append(("agency_id", "service_id", "period_start", "period_end"))
        out.append(("period_start", "period_end"))
        out.append(("fiscal_year", "jalali_month"))  # the Jalali facets
    elif table != "services":  # services has its unique (agency_id, service_id) key, made by the publisher
        out.append(("agency_id",))
    if table == "harvest_runs":
        out.append(("agency_id", "started"))
    if table == "validation_errors":
        out.append(("run_id",))
    return out
