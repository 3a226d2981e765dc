"""What each ``agency_scorecard`` column holds: which indicators row fills it, and whether agencies are ranked on it.

The scorecard is one row per agency of headline figures, each copied from
one of the agency's ``indicators`` rows (``indicators.scorecard_row``), so a
figure on a page is always also an indicators row. A rank means something
only where agencies are compared on the same thing: snapshot shares of the
inventory rank every agency that has one; the reference window's figures
rank only the agencies compared on the window (``ranked = 1``: data in the
window and not stale); harvest freshness ranks nobody.
"""

from __future__ import annotations

import dataclasses

from shafaf.standard.indicator_defs import BY_NAME, CURRENT, LAST_12_MONTHS, YEAR

ALL, COMPARED = "all", "compared"  # who a rank is among: every agency with a value, or the ranked agencies only
THIS_YEAR, LAST_YEAR = "current", "previous"  # which Jalali year a YEAR column reads


@dataclasses.dataclass(frozen=True)
class Column:
    """One agency_scorecard column: the indicators row that fills it, and its rank column if agencies are ranked."""

    column: str
    indicator: str
    window: str
    rank: str | None = None
    among: str = ALL
    year: str | None = None  # for YEAR rows: this Jalali year or the one before

    @property
    def better(self) -> str | None:
        return BY_NAME[self.indicator].better


SCORECARD: tuple[Column, ...] = (
    Column("services", "services", CURRENT),
    Column("share_fully_online", "share_fully_online", CURRENT, "rank_fully_online"),
    Column("share_smart", "share_smart", CURRENT, "rank_smart"),
    Column("share_national_portal", "share_national_portal", CURRENT, "rank_national_portal"),
    Column("share_gsb", "share_gsb", CURRENT, "rank_gsb"),
    Column("applications_12m", "applications", LAST_12_MONTHS),
    Column("digital_takeup_12m", "digital_takeup", LAST_12_MONTHS, "rank_digital_takeup", COMPARED),
    Column("completion_rate_12m", "completion_rate", LAST_12_MONTHS, "rank_completion_rate", COMPARED),
    Column("within_standard_12m", "within_standard", LAST_12_MONTHS, "rank_within_standard", COMPARED),
    Column("median_days_12m", "median_days", LAST_12_MONTHS, "rank_median_days", COMPARED),
    Column("satisfaction_12m", "satisfaction", LAST_12_MONTHS, "rank_satisfaction", COMPARED),
    Column("complaints_per_1000_12m", "complaints_per_1000", LAST_12_MONTHS, "rank_complaints", COMPARED),
    Column("availability_12m", "availability", LAST_12_MONTHS, "rank_availability", COMPARED),
    Column("data_months_behind", "data_months_behind", CURRENT),
    Column("data_stale", "data_stale", CURRENT),
    Column("smart_required_share", "smart_required_share", YEAR, year=THIS_YEAR),
    Column("smart_share", "smart_share_judged", YEAR, year=THIS_YEAR),
    Column("smart_status", "smart_on_track", YEAR, year=THIS_YEAR),
    Column("smart_gap_services", "smart_gap_services", YEAR, year=THIS_YEAR),
    Column("smart_required_previous", "smart_required_share", YEAR, year=LAST_YEAR),
    Column("smart_share_previous", "smart_share_judged", YEAR, year=LAST_YEAR),
    Column("smart_status_previous", "smart_on_track", YEAR, year=LAST_YEAR),
    Column("smart_gap_previous", "smart_gap_services", YEAR, year=LAST_YEAR),
    Column("freshness_days", "freshness_days", CURRENT),
    Column("coverage", "coverage", CURRENT),
    Column("window_months", "window_months", CURRENT),
    Column("data_age_score", "data_age_score", CURRENT),
    Column("validity", "validity", CURRENT, "rank_validity"),
    Column("citizen_fields", "citizen_fields", CURRENT),
    Column("transparency_score", "transparency_score", CURRENT, "rank_transparency"),
)
BY_COLUMN: dict[str, Column] = {c.column: c for c in SCORECARD}

# Scorecard columns that are not an indicator value.
SCORECARD_EXTRA: dict[str, tuple[str, str]] = {
    "agency_id": ("The agency.", "دستگاه."),
    "computed_at": ("When the scorecard was computed (UTC).", "زمان محاسبهٔ کارنامه (UTC)."),
    "period_start_12m": ("First day of the portal's reference window, which every *_12m column covers.",
                         "نخستین روز بازهٔ مرجع درگاه که همه ستون‌های *_12m آن را پوشش می‌دهند."),
    "period_end_12m": ("Last day of the reference window: the end of the reference month.",
                       "آخرین روز بازهٔ مرجع: پایان ماه مرجع."),
    "reference_month": ("The reference month, in the portal's calendar (YYYY-MM).",
                        "ماه مرجع در تقویم درگاه (YYYY-MM)."),
    "window_months_covered": ("Months of the reference window the agency's performance data covers (0-12).",
                              "شمار ماه‌های بازهٔ مرجع که دادهٔ عملکرد دستگاه پوشش می‌دهد (۰ تا ۱۲)."),
    "data_last_month": ("The last month of the portal's calendar the agency's performance data covers to its end.",
                        "آخرین ماه تقویم درگاه که دادهٔ عملکرد دستگاه تا پایانش را پوشش می‌دهد."),
    "ranked": ("1 when the agency is compared on the reference window's figures: it has performance data in "
               "the window and its data is not stale; 0 when it is listed apart (see unranked_reason).",
               "۱ اگر دستگاه در ارقام بازهٔ مرجع مقایسه شود: در بازه دادهٔ عملکرد دارد و داده‌اش کهنه نیست؛ ۰ اگر "
               "جدا فهرست شود (unranked_reason)."),
    "unranked_reason": ("Why an agency is not compared: no_performance_data, no_data_in_window or stale.",
                        "چرا دستگاه مقایسه نمی‌شود: no_performance_data (بی دادهٔ عملکرد)، no_data_in_window (بی "
                        "داده در بازه) یا stale (دادهٔ کهنه)."),
    "smart_year": ("The Jalali year the smart-services plan is judged for: the current one (empty without a plan).",
                   "سال شمسی‌ای که مسیر خدمات هوشمند برای آن داوری می‌شود: سال جاری (بی برنامه خالی)."),
    "smart_status": ("on_track or behind for smart_year (smart_on_track); empty when there is nothing to judge.",
                     "on_track (در مسیر) یا behind (عقب) برای smart_year (smart_on_track)؛ اگر چیزی برای داوری "
                     "نباشد خالی است."),
    "smart_year_previous": ("The Jalali year before smart_year.", "سال شمسی پیش از smart_year."),
    "smart_status_previous": ("on_track or behind for smart_year_previous.",
                              "on_track یا behind برای smart_year_previous."),
    "smart_basis_previous": ("What smart_share_previous is: reported (the agency's targets row for that year) "
                             "or inventory (today's services).",
                             "smart_share_previous چیست: reported (سطر اهداف خود دستگاه برای آن سال) یا "
                             "inventory (فهرست امروز خدمات)."),
}

# What each column of the ``indicators`` table holds.
INDICATORS_TABLE_TEXT: dict[str, tuple[str, str]] = {
    "agency_id": ("The agency.", "دستگاه."),
    "indicator": ("The indicator's name; formulas in docs/indicators.md.", "نام شاخص؛ فرمول‌ها در docs/indicators.md."),
    "window": ("month, last_12_months (the reference window), year or current (targets: month, quarter, year or "
               "period).",
               "month، last_12_months (بازهٔ مرجع)، year یا current (اهداف: month، quarter، year یا period)."),
    "period_start": ("First day the value covers; empty for a current snapshot.",
                     "نخستین روزی که مقدار پوشش می‌دهد؛ برای تصویر جاری خالی است."),
    "period_end": ("Last day the value covers; the publication day for a current snapshot.",
                   "آخرین روزی که مقدار پوشش می‌دهد؛ برای تصویر جاری روز انتشار."),
    "value": ("The indicator's value; empty when there is nothing to divide by, never 0 for no data.",
              "مقدار شاخص؛ اگر مخرج صفر یا نامعلوم باشد خالی است، نه ۰."),
    "numerator": ("What was counted above the line (for ratios).", "صورت کسر (برای نسبت‌ها)."),
    "denominator": ("What it was divided by (for ratios); for targets the target.",
                    "مخرج کسر (برای نسبت‌ها)؛ برای اهداف، خود هدف."),
    "unit": ("share (0–1), percent (0–100), days, months, services, applications, per_1000_applications, "
             "boolean, score (0–100), or a target's own unit.",
             "share (۰ تا ۱)، percent (۰ تا ۱۰۰)، days، months، services، applications، per_1000_applications، "
             "boolean، score (۰ تا ۱۰۰) یا واحد خود هدف."),
}

RANK_NOTE = ("Rank of the agency on {column} (1 = best, {better} is better) among {among}; ties share a rank; "
             "empty when the agency has no value or is not among them.",
             "رتبهٔ دستگاه در {column} (۱ = بهترین، {better_fa}) میان {among_fa}؛ مقدارهای برابر رتبهٔ برابر دارند؛ "
             "اگر دستگاه مقداری نداشته باشد یا در میان آنها نباشد خالی است.")
AMONG_TEXT = {ALL: ("every agency with a value", "همه دستگاه‌های دارای مقدار"),
              COMPARED: ("the agencies compared on the reference window (ranked = 1)",
                         "دستگاه‌هایی که در بازهٔ مرجع مقایسه می‌شوند (ranked = ۱)")}
BETTER_FA = {"higher": "بیشتر بهتر است", "lower": "کمتر بهتر است"}
