"""The derived indicators, one ``Definition`` each: the table every formula is written in once.

``indicator_defs`` indexes it (``BY_NAME``) and is what the rest of Shafaf imports.
"""

from __future__ import annotations

from shafaf.core.catalogue import N_
from shafaf.standard.indicator_definition import (
    CURRENT,
    PERFORMANCE_WINDOWS,
    TARGET_PREFIX,
    TARGET_WINDOWS,
    YEAR,
    Definition,
)

_S, _P, _T, _D = "services", "performance", "targets", "data"
_C = (CURRENT,)

DEFINITIONS: tuple[Definition, ...] = (
    # -- services: a snapshot of the inventory
    Definition(
        "services",
        _S,
        "services",
        _C,
        N_("Number of services"),
        N_("Number of services in the agency's inventory; withdrawn services do not count."),
    ),
    Definition(
        "share_fully_online",
        _S,
        "share",
        _C,
        N_("Share of services fully online"),
        N_(
            "Services whose every applicable stage (online_information … online_issuance) is online ÷ services with "
            "at least one applicable stage. An empty stage does not apply; a service with no applicable stage counts "
            "in neither."
        ),
        better="higher",
    ),
    Definition(
        "share_smart",
        _S,
        "share",
        _C,
        N_("Share of services smart"),
        N_("Services with smart = true ÷ services; an empty flag counts as not smart."),
        better="higher",
    ),
    Definition(
        "share_national_portal",
        _S,
        "share",
        _C,
        N_("Share of services on the national portal"),
        N_("Services with on_national_portal = true ÷ services; an empty flag counts as not connected."),
        better="higher",
    ),
    Definition(
        "share_gsb",
        _S,
        "share",
        _C,
        N_("Share of services exchanging data via the GSB"),
        N_("Services with via_gsb = true ÷ services; an empty flag counts as not connected."),
        better="higher",
    ),
    # -- performance: sums over the window's service_performance rows (all services and channels)
    Definition(
        "applications",
        _P,
        "applications",
        PERFORMANCE_WINDOWS,
        N_("Applications"),
        N_("Σ applications over the window's rows (every service and channel); empty when no row reports it."),
    ),
    Definition(
        "digital_takeup",
        _P,
        "share",
        PERFORMANCE_WINDOWS,
        N_("Digital take-up"),
        N_("Σ applications of the online channel ÷ Σ applications of every channel."),
        better="higher",
    ),
    Definition(
        "completion_rate",
        _P,
        "share",
        PERFORMANCE_WINDOWS,
        N_("Completion rate"),
        N_("Σ completed ÷ Σ applications, over the rows that report both."),
        better="higher",
    ),
    Definition(
        "within_standard",
        _P,
        "share",
        PERFORMANCE_WINDOWS,
        N_("Share completed within standard"),
        N_("Σ within_standard ÷ Σ completed, over the rows that report both."),
        better="higher",
    ),
    Definition(
        "median_days",
        _P,
        "days",
        PERFORMANCE_WINDOWS,
        N_("Median processing days"),
        N_(
            "Median of the rows' median_days weighted by completed: order the window's rows by median_days; the "
            "value is that of the first row at which the running Σ completed reaches half of Σ completed. Rows "
            "without median_days or with no completed application are left out."
        ),
        better="lower",
    ),
    Definition(
        "satisfaction",
        _P,
        "percent",
        PERFORMANCE_WINDOWS,
        N_("Satisfaction (weighted by applications)"),
        N_(
            "Σ (satisfaction × applications) ÷ Σ applications, over the rows that report both; a window whose "
            "rows have no applications has no value."
        ),
        better="higher",
    ),
    Definition(
        "complaints_per_1000",
        _P,
        "per_1000_applications",
        PERFORMANCE_WINDOWS,
        N_("Complaints per 1,000 applications"),
        N_(
            "1000 × Σ complaints ÷ Σ applications, over the rows that report both (numerator Σ complaints, "
            "denominator Σ applications)."
        ),
        better="lower",
    ),
    Definition(
        "availability",
        _P,
        "percent",
        PERFORMANCE_WINDOWS,
        N_("Online availability"),
        N_(
            "Mean of availability_pct over the rows that report it (numerator Σ availability_pct, denominator the "
            "number of those rows)."
        ),
        better="higher",
    ),
    # -- targets: the smart-services plan, when the portal's registry sets one (smart_plan)
    Definition(
        "smart_required_share",
        _T,
        "share",
        (YEAR,),
        N_("Required share of smart services (the plan)"),
        N_(
            "For Jalali year Y of a plan starting in S with a yearly step p (the portal setting smart_plan: Iran's "
            "7th development plan is S = 1403, p = 0.20): min(1, p × (Y − S + 1)). One row per year from S to the "
            "plan's last year, and on to the current year if later. No rows on a portal without a plan."
        ),
    ),
    Definition(
        "smart_share_judged",
        _T,
        "share",
        (YEAR,),
        N_("Smart services share judged"),
        N_(
            "The share the plan's verdict uses for a Jalali year: for the current year smart services ÷ services "
            "of today's inventory; for the year before, the agency's own reported share for that year when it has "
            "one (smart_share_reported = 1), else today's inventory. The reported share is its targets row over "
            "exactly that Jalali year named smart_services_share, else share_smart, else smart_share, in its unit: "
            "percent, %, pct or درصد divided by 100, share as it is, no unit and above 1 a percentage. Numerator: "
            "the smart services it stands for (rounded); denominator: the services."
        ),
        better="higher",
    ),
    Definition(
        "smart_share_reported",
        _T,
        "boolean",
        (YEAR,),
        N_("Judged on the agency's reported share"),
        N_("1 when smart_share_judged of the year is the agency's reported figure, 0 when it is today's inventory."),
    ),
    Definition(
        "smart_on_track",
        _T,
        "boolean",
        (YEAR,),
        N_("On track for smart services"),
        N_(
            "For the current Jalali year and the year before: 1 when the smart services of smart_share_judged "
            "(numerator) ≥ the services required (denominator) = ⌈smart_required_share of that year × services⌉, "
            "else 0 (behind). No row when the agency lists no services, the plan has not started or the portal "
            "has no plan."
        ),
        better="higher",
    ),
    Definition(
        "smart_gap_services",
        _T,
        "services",
        (YEAR,),
        N_("Smart services still needed"),
        N_("max(0, services required − smart services), for the same years as smart_on_track."),
        better="lower",
    ),
    Definition(
        TARGET_PREFIX + "<indicator>",
        _T,
        "the row's unit",
        TARGET_WINDOWS,
        N_("Target and result"),
        N_(
            "One row per row of the targets dataset, named target: and the row's indicator: value = numerator = "
            "actual, denominator = target. The window follows the period's length: 28–31 days month, 89–93 "
            "quarter, 365–366 year, otherwise period. Whether it was met is the targets table's met column, in "
            "the direction of its direction_used column (below)."
        ),
    ),
    # -- data: how well and how recently the agency publishes
    Definition(
        "freshness_days",
        _D,
        "days",
        _C,
        N_("Days since the last good harvest"),
        N_(
            "Days from the day of the agency's latest harvest run with outcome ok or unchanged to the publication "
            "day, both days in the portal's timezone; empty when there was none. It says when the portal last read "
            "the agency, not how old its data is (data_months_behind); it is neither ranked nor scored."
        ),
        better="lower",
    ),
    Definition(
        "data_months_behind",
        _D,
        "months",
        _C,
        N_("Data age: months behind the reference month"),
        N_(
            "Months from the last month of the portal's calendar that the agency's service_performance rows "
            "cover to its end (the month before the one containing the day after the latest period_end) to the "
            "portal's reference month; 0 when the data reaches it. Every dataset's is in data_coverage."
        ),
        better="lower",
    ),
    Definition(
        "data_stale",
        _D,
        "boolean",
        _C,
        N_("Data stale"),
        N_(
            "1 when data_months_behind > the portal setting stale_after_months (default 3) + the months of the "
            "latest period − 1, else 0: a quarter's figures (3 months) or a year's (12) are not due before the "
            "period ends; of periods of several lengths ending on the last day, the shortest counts. Empty without "
            "performance data. A stale agency is listed apart from the league table, with the month its data ends."
        ),
        better="lower",
    ),
    Definition(
        "coverage",
        _D,
        "share",
        _C,
        N_("Datasets published"),
        N_(
            "Dataset kinds of the standard with at least one published row of the agency ÷ 5 (services, "
            "service_performance, service_standards, activities, targets). Part of the transparency score."
        ),
        better="higher",
    ),
    Definition(
        "window_months",
        _D,
        "share",
        _C,
        N_("Months of the reference window covered"),
        N_(
            "Months of the portal's reference window whose midpoint lies inside one of the agency's performance "
            "periods that count in the window (its finest grain, midpoint in the window) (numerator) ÷ 12 "
            "(denominator). Part of the transparency score."
        ),
        better="higher",
    ),
    Definition(
        "data_age_score",
        _D,
        "share",
        _C,
        N_("Data age score"),
        N_(
            "max(0, 1 − data_months_behind ÷ 12): 1 when the performance data reaches the reference month, 1/12 "
            "less for each month behind; empty (0 in the score) without performance data. Part of the "
            "transparency score."
        ),
        better="higher",
    ),
    Definition(
        "validity",
        _D,
        "share",
        _C,
        N_("Validity"),
        N_(
            "Σ rows_passed ÷ Σ rows_read over the latest run of each source that read rows: rows of the agency's "
            "files, as written (a row whose columns become several published rows counts once; an unchanged run "
            "reads nothing, so the last run that did stands). Part of the transparency score."
        ),
        better="higher",
    ),
    Definition(
        "citizen_fields",
        _D,
        "share",
        _C,
        N_("What citizens ask, filled in"),
        N_(
            "The mean of three shares: performance rows of the reference window with satisfaction, the same rows "
            "with cost, and current services with a how_to_url (numerator Σ filled cells, denominator Σ cells). "
            "Part of the transparency score."
        ),
        better="higher",
    ),
    Definition(
        "transparency_score",
        _D,
        "score",
        _C,
        N_("Transparency score (0–100)"),
        N_(
            "20 × coverage + 20 × window_months + 20 × data_age_score + 20 × validity + 20 × citizen_fields; a "
            "part with no value counts as 0."
        ),
        better="higher",
    ),
)
