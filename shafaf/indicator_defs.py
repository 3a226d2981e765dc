"""What each derived indicator means: one table, the single source of every formula.

``shafaf.indicators`` computes from these names, ``docs/indicators.md`` is
generated from this table (``scripts/make_indicators_doc.py``), and the
Datasette column descriptions come from it too, so a formula is written once.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

# Windows (the ``window`` column of ``indicators``).
MONTH = "month"  # one reported period of 28-31 days: a Gregorian or a Jalali month
LAST_12_MONTHS = "last_12_months"  # the twelve months ending at the agency's latest period_end
YEAR = "year"  # one fiscal (Jalali) year
CURRENT = "current"  # a snapshot as of the publication day
TARGET_WINDOWS = ("month", "quarter", "year", "period")  # a targets row's window, from the length of its period
PERFORMANCE_WINDOWS = (MONTH, LAST_12_MONTHS, YEAR)

# The 7th development plan: 20% more of an agency's services smart each year from the plan's first year.
SMART_STEP = Fraction(1, 5)
PLAN_YEARS = 5

# Transparency score: weights of its parts (they add up to 100) and the freshness ramp.
SCORE_WEIGHTS: dict[str, int] = {"coverage": 40, "freshness_score": 30, "validity": 30}
FRESH_FULL_DAYS = 31  # at most this old: full marks
FRESH_ZERO_DAYS = 365  # this old or older: no marks

TARGET_PREFIX = "target:"


@dataclasses.dataclass(frozen=True)
class Definition:
    """One indicator: its name in ``indicators.indicator``, unit, windows and formula in both languages."""

    name: str
    group: str  # services, performance, targets, data
    unit: str
    windows: tuple[str, ...]
    title_en: str
    title_fa: str
    formula_en: str
    formula_fa: str


_S, _P, _T, _D = "services", "performance", "targets", "data"
_C = (CURRENT,)

DEFINITIONS: tuple[Definition, ...] = (
    # -- services: a snapshot of the inventory
    Definition(
        "services", _S, "services", _C, "Services", "تعداد خدمات",
        "Number of services in the agency's inventory; withdrawn services do not count.",
        "شمار خدمات در فهرست خدمات دستگاه؛ خدمات حذف‌شده (withdrawn) شمرده نمی‌شوند.",
    ),
    Definition(
        "share_fully_online", _S, "share", _C, "Share of services fully online", "سهم خدمات تمام‌برخط",
        "Services whose every applicable stage (online_information … online_issuance) is online ÷ services with "
        "at least one applicable stage. An empty stage does not apply; a service with no applicable stage counts "
        "in neither.",
        "خدماتی که همه مرحله‌های موضوعیت‌دارشان (online_information تا online_issuance) برخط است ÷ خدماتی که "
        "دست‌کم یک مرحلهٔ موضوعیت‌دار دارند. مرحلهٔ خالی موضوعیت ندارد؛ خدمتی که هیچ مرحلهٔ موضوعیت‌داری ندارد "
        "در صورت و مخرج شمرده نمی‌شود.",
    ),
    Definition(
        "share_smart", _S, "share", _C, "Share of services smart", "سهم خدمات هوشمند",
        "Services with smart = true ÷ services; an empty flag counts as not smart.",
        "خدمات با smart = بله ÷ همه خدمات؛ مقدار خالی «غیرهوشمند» شمرده می‌شود.",
    ),
    Definition(
        "share_national_portal", _S, "share", _C, "Share of services on the national portal",
        "سهم خدمات متصل به درگاه ملی خدمات هوشمند",
        "Services with on_national_portal = true ÷ services; an empty flag counts as not connected.",
        "خدمات با on_national_portal = بله ÷ همه خدمات؛ مقدار خالی «نامتصل» شمرده می‌شود.",
    ),
    Definition(
        "share_gsb", _S, "share", _C, "Share of services exchanging data via the GSB",
        "سهم خدمات با تبادل داده از راه گذرگاه خدمات دولت (GSB)",
        "Services with via_gsb = true ÷ services; an empty flag counts as not connected.",
        "خدمات با via_gsb = بله ÷ همه خدمات؛ مقدار خالی «نامتصل» شمرده می‌شود.",
    ),
    # -- performance: sums over the window's service_performance rows (all services and channels)
    Definition(
        "applications", _P, "applications", PERFORMANCE_WINDOWS, "Applications", "درخواست‌ها",
        "Σ applications over the window's rows (every service and channel); empty when no row reports it.",
        "Σ درخواست‌ها در سطرهای بازه (همه خدمات و مجراها)؛ اگر هیچ سطری آن را گزارش نکند خالی است.",
    ),
    Definition(
        "digital_takeup", _P, "share", PERFORMANCE_WINDOWS, "Digital take-up", "سهم درخواست‌های برخط",
        "Σ applications of the online channel ÷ Σ applications of every channel.",
        "Σ درخواست‌های مجرای برخط ÷ Σ درخواست‌های همه مجراها.",
    ),
    Definition(
        "completion_rate", _P, "share", PERFORMANCE_WINDOWS, "Completion rate", "نرخ انجام درخواست‌ها",
        "Σ completed ÷ Σ applications, over the rows that report both.",
        "Σ انجام‌شده ÷ Σ درخواست‌ها، در سطرهایی که هر دو را گزارش کرده‌اند.",
    ),
    Definition(
        "within_standard", _P, "share", PERFORMANCE_WINDOWS, "Share completed within standard",
        "سهم انجام‌شده در زمان استاندارد",
        "Σ within_standard ÷ Σ completed, over the rows that report both.",
        "Σ انجام‌شده در زمان استاندارد ÷ Σ انجام‌شده، در سطرهایی که هر دو را گزارش کرده‌اند.",
    ),
    Definition(
        "median_days", _P, "days", PERFORMANCE_WINDOWS, "Median processing days", "میانه زمان رسیدگی (روز)",
        "Median of the rows' median_days weighted by completed: order the window's rows by median_days; the "
        "value is that of the first row at which the running Σ completed reaches half of Σ completed. Rows "
        "without median_days or with no completed application are left out.",
        "میانهٔ وزنی median_days سطرها با وزن «انجام‌شده»: سطرهای بازه به ترتیب median_days مرتب می‌شوند و "
        "مقدار، median_days نخستین سطری است که جمع انباشتهٔ انجام‌شده‌ها در آن به نیمی از کل انجام‌شده‌ها "
        "می‌رسد. سطرهای بی median_days یا بی درخواست انجام‌شده کنار گذاشته می‌شوند.",
    ),
    Definition(
        "satisfaction", _P, "percent", PERFORMANCE_WINDOWS, "Satisfaction (weighted by applications)",
        "رضایت (وزن‌دار با شمار درخواست‌ها)",
        "Σ (satisfaction × applications) ÷ Σ applications, over the rows that report both; a window whose "
        "rows have no applications has no value.",
        "Σ (رضایت × درخواست‌ها) ÷ Σ درخواست‌ها، در سطرهایی که هر دو را گزارش کرده‌اند؛ بازه‌ای که درخواستی "
        "ندارد مقداری ندارد.",
    ),
    Definition(
        "complaints_per_1000", _P, "per_1000_applications", PERFORMANCE_WINDOWS,
        "Complaints per 1,000 applications", "شکایت به ازای هر ۱۰۰۰ درخواست",
        "1000 × Σ complaints ÷ Σ applications, over the rows that report both (numerator Σ complaints, "
        "denominator Σ applications).",
        "۱۰۰۰ × Σ شکایت‌ها ÷ Σ درخواست‌ها، در سطرهایی که هر دو را گزارش کرده‌اند (صورت Σ شکایت‌ها، مخرج "
        "Σ درخواست‌ها).",
    ),
    Definition(
        "availability", _P, "percent", PERFORMANCE_WINDOWS, "Online availability", "دسترس‌پذیری برخط",
        "Mean of availability_pct over the rows that report it (numerator Σ availability_pct, denominator the "
        "number of those rows).",
        "میانگین availability_pct در سطرهایی که آن را گزارش کرده‌اند (صورت Σ availability_pct، مخرج شمار آن "
        "سطرها).",
    ),
    # -- targets
    Definition(
        "smart_required_share", _T, "share", (YEAR,), "Required share of smart services (7th plan)",
        "سهم لازم خدمات هوشمند (برنامه هفتم)",
        "For Jalali year Y from the plan's start year S (the portal setting plan_start_year): min(1, 0.20 × "
        "(Y − S + 1)). One row per year from S to S + 4, and on to the current year if later.",
        "برای سال شمسی Y از سال آغاز برنامه S (تنظیم plan_start_year درگاه): min(1, 0.20 × (Y − S + 1)). "
        "یک سطر برای هر سال از S تا S + 4 و اگر سال جاری دیرتر باشد تا سال جاری.",
    ),
    Definition(
        "smart_on_track", _T, "boolean", _C, "On track for smart services", "در مسیر هدف خدمات هوشمند",
        "1 when smart services (numerator) ≥ services required (denominator) = ⌈required share of the current "
        "Jalali year × services⌉, else 0 (behind). Empty when the agency lists no services or the plan has "
        "not started.",
        "۱ اگر خدمات هوشمند (صورت) ≥ خدمات لازم (مخرج) = ⌈سهم لازم سال شمسی جاری × همه خدمات⌉، وگرنه ۰ "
        "(عقب). اگر دستگاه خدمتی فهرست نکرده یا برنامه آغاز نشده باشد خالی است.",
    ),
    Definition(
        "smart_gap_services", _T, "services", _C, "Smart services still needed", "خدمات هوشمند کسری",
        "max(0, ⌈required share of the current Jalali year × services⌉ − smart services); empty like "
        "smart_on_track.",
        "max(0, ⌈سهم لازم سال شمسی جاری × همه خدمات⌉ − خدمات هوشمند)؛ مانند smart_on_track ممکن است خالی باشد.",
    ),
    Definition(
        TARGET_PREFIX + "<indicator>", _T, "the row's unit", TARGET_WINDOWS, "Target and result",
        "هدف و عملکرد",
        "One row per row of the targets dataset, named target: and the row's indicator: value = numerator = "
        "actual, denominator = target. The window follows the period's length: 28–31 days month, 89–93 "
        "quarter, 365–366 year, otherwise period.",
        "برای هر سطر دادهٔ اهداف (targets) یک سطر با نام target: و شاخص آن سطر: مقدار = صورت = عملکرد "
        "(actual)، مخرج = هدف (target). بازه از طول دوره: ۲۸ تا ۳۱ روز ماه، ۸۹ تا ۹۳ فصل، ۳۶۵ تا ۳۶۶ سال، "
        "وگرنه دوره (period).",
    ),
    # -- data: how well the agency publishes
    Definition(
        "freshness_days", _D, "days", _C, "Days since the last good harvest", "روزهای گذشته از آخرین برداشت موفق",
        "Days from the date (UTC) of the agency's latest harvest run with outcome ok or unchanged to the "
        "publication day; empty when there was none.",
        "روزهای میان تاریخ (UTC) آخرین اجرای برداشت دستگاه با نتیجهٔ ok یا unchanged تا روز انتشار؛ اگر "
        "چنین اجرایی نبوده خالی است.",
    ),
    Definition(
        "freshness_score", _D, "share", _C, "Freshness score", "امتیاز به‌روز بودن",
        "1 when freshness_days ≤ 31, falling linearly to 0 at 365: min(1, max(0, (365 − days) ÷ (365 − 31))); "
        "empty when freshness_days is.",
        "۱ اگر freshness_days ≤ ۳۱، با کاهش خطی تا ۰ در ۳۶۵ روز: min(1, max(0, (365 − days) ÷ (365 − 31)))؛ "
        "اگر freshness_days خالی باشد خالی است.",
    ),
    Definition(
        "validity", _D, "share", _C, "Validity", "اعتبار داده‌ها",
        "Σ rows_passed ÷ Σ rows_read over the latest run of each source that read rows (an unchanged run reads "
        "nothing, so the last run that did stands).",
        "Σ سطرهای پذیرفته ÷ Σ سطرهای خوانده‌شده در آخرین اجرای هر منبع که سطری خوانده است (اجرای «بدون "
        "تغییر» چیزی نمی‌خواند، پس آخرین اجرایی که خوانده است ملاک است).",
    ),
    Definition(
        "coverage", _D, "share", _C, "Coverage of the standard", "پوشش استاندارد",
        "Dataset kinds of the standard with at least one published row of the agency ÷ 5 (services, "
        "service_performance, service_standards, activities, targets).",
        "شمار داده‌های استاندارد که دستگاه دست‌کم یک سطر منتشرشده در آن دارد ÷ ۵ (services، "
        "service_performance، service_standards، activities، targets).",
    ),
    Definition(
        "transparency_score", _D, "score", _C, "Transparency score (0–100)", "امتیاز شفافیت (۰ تا ۱۰۰)",
        "40 × coverage + 30 × freshness_score + 30 × validity; an empty part counts as 0.",
        "۴۰ × coverage + ۳۰ × freshness_score + ۳۰ × validity؛ بخش خالی صفر شمرده می‌شود.",
    ),
)

BY_NAME: dict[str, Definition] = {d.name: d for d in DEFINITIONS}


@dataclasses.dataclass(frozen=True)
class Column:
    """One agency_scorecard column: which indicators row fills it, and the rank direction if it is ranked."""

    column: str
    indicator: str
    window: str
    rank: str | None = None  # the rank column, when agencies are ranked on it
    better: str | None = None  # higher or lower: which end is rank 1


# Headline figures, each copied from one indicators row. smart_required_share is the year row containing
# the publication day; smart_status is smart_on_track spelled on_track / behind.
SCORECARD: tuple[Column, ...] = (
    Column("services", "services", CURRENT),
    Column("share_fully_online", "share_fully_online", CURRENT, "rank_fully_online", "higher"),
    Column("share_smart", "share_smart", CURRENT, "rank_smart", "higher"),
    Column("share_national_portal", "share_national_portal", CURRENT, "rank_national_portal", "higher"),
    Column("share_gsb", "share_gsb", CURRENT, "rank_gsb", "higher"),
    Column("applications_12m", "applications", LAST_12_MONTHS),
    Column("digital_takeup_12m", "digital_takeup", LAST_12_MONTHS, "rank_digital_takeup", "higher"),
    Column("completion_rate_12m", "completion_rate", LAST_12_MONTHS, "rank_completion_rate", "higher"),
    Column("within_standard_12m", "within_standard", LAST_12_MONTHS, "rank_within_standard", "higher"),
    Column("median_days_12m", "median_days", LAST_12_MONTHS, "rank_median_days", "lower"),
    Column("satisfaction_12m", "satisfaction", LAST_12_MONTHS, "rank_satisfaction", "higher"),
    Column("complaints_per_1000_12m", "complaints_per_1000", LAST_12_MONTHS, "rank_complaints", "lower"),
    Column("availability_12m", "availability", LAST_12_MONTHS, "rank_availability", "higher"),
    Column("smart_required_share", "smart_required_share", YEAR),
    Column("smart_status", "smart_on_track", CURRENT),
    Column("smart_gap_services", "smart_gap_services", CURRENT),
    Column("freshness_days", "freshness_days", CURRENT, "rank_freshness", "lower"),
    Column("validity", "validity", CURRENT, "rank_validity", "higher"),
    Column("coverage", "coverage", CURRENT, "rank_coverage", "higher"),
    Column("transparency_score", "transparency_score", CURRENT, "rank_transparency", "higher"),
)

# Scorecard columns that are not an indicator value.
SCORECARD_EXTRA: dict[str, tuple[str, str]] = {
    "agency_id": ("The agency.", "دستگاه."),
    "computed_at": ("When the scorecard was computed (UTC).", "زمان محاسبهٔ کارنامه (UTC)."),
    "period_start_12m": ("First day of the last-12-months window.", "نخستین روز بازهٔ ۱۲ ماه اخیر."),
    "period_end_12m": ("Last day of the last-12-months window: the agency's latest reported period end.",
                       "آخرین روز بازهٔ ۱۲ ماه اخیر: پایان آخرین دورهٔ گزارش‌شدهٔ دستگاه."),
    "smart_status": ("on_track or behind on the 7th plan's smart-services trajectory (smart_on_track); empty "
                     "when there is nothing to judge.",
                     "on_track (در مسیر) یا behind (عقب) در مسیر خدمات هوشمند برنامه هفتم (smart_on_track)؛ "
                     "اگر چیزی برای داوری نباشد خالی است."),
    "smart_required_share": ("Required share of smart services for the current Jalali year (7th plan).",
                             "سهم لازم خدمات هوشمند در سال شمسی جاری (برنامه هفتم)."),
}

# What each column of the ``indicators`` table holds.
INDICATORS_TABLE_TEXT: dict[str, tuple[str, str]] = {
    "agency_id": ("The agency.", "دستگاه."),
    "indicator": ("The indicator's name; formulas in docs/indicators.md.", "نام شاخص؛ فرمول‌ها در docs/indicators.md."),
    "window": ("month, last_12_months, year or current (targets: month, quarter, year or period).",
               "month، last_12_months، year یا current (اهداف: month، quarter، year یا period)."),
    "period_start": ("First day the value covers; empty for a current snapshot.",
                     "نخستین روزی که مقدار پوشش می‌دهد؛ برای تصویر جاری خالی است."),
    "period_end": ("Last day the value covers; the publication day for a current snapshot.",
                   "آخرین روزی که مقدار پوشش می‌دهد؛ برای تصویر جاری روز انتشار."),
    "value": ("The indicator's value; empty when there is nothing to divide by, never 0 for no data.",
              "مقدار شاخص؛ اگر مخرج صفر یا نامعلوم باشد خالی است، نه ۰."),
    "numerator": ("What was counted above the line (for ratios).", "صورت کسر (برای نسبت‌ها)."),
    "denominator": ("What it was divided by (for ratios); for targets the target.",
                    "مخرج کسر (برای نسبت‌ها)؛ برای اهداف، خود هدف."),
    "unit": ("share (0–1), percent (0–100), days, services, applications, per_1000_applications, boolean, score "
             "(0–100), or a target's own unit.",
             "share (۰ تا ۱)، percent (۰ تا ۱۰۰)، days، services، applications، per_1000_applications، boolean، "
             "score (۰ تا ۱۰۰) یا واحد خود هدف."),
}

RANK_NOTE = ("Rank of the agency among all agencies on {column} (1 = best, {better} is better); ties share a rank; "
             "empty when the agency has no value.",
             "رتبهٔ دستگاه میان همه دستگاه‌ها در {column} (۱ = بهترین، {better_fa})؛ مقدارهای برابر رتبهٔ برابر "
             "دارند؛ اگر دستگاه مقداری نداشته باشد خالی است.")
BETTER_FA = {"higher": "بیشتر بهتر است", "lower": "کمتر بهتر است"}

WINDOW_TEXT: dict[str, tuple[str, str]] = {
    MONTH: ("One reported period of 28–31 days (a Gregorian or a Jalali month), one row per distinct "
            "period_start/period_end.",
            "یک دورهٔ گزارش‌شدهٔ ۲۸ تا ۳۱ روزه (ماه میلادی یا شمسی)، یک سطر برای هر period_start/period_end."),
    LAST_12_MONTHS: ("The agency's rows of its finest grain (month, else quarter, else year) whose period_start "
                     "is after its latest period_end minus one year and seven days (a week's slack for Jalali "
                     "leap years): the last 12 months, 4 quarters or 1 year reported.",
                     "سطرهای دستگاه در ریزترین دانه‌بندی‌اش (ماه، وگرنه فصل، وگرنه سال) که period_start آنها پس "
                     "از «آخرین period_end منهای یک سال و هفت روز» است (یک هفته حاشیه برای سال کبیسهٔ شمسی): ۱۲ "
                     "ماه، ۴ فصل یا ۱ سال اخیر گزارش‌شده."),
    YEAR: ("One fiscal year (the Jalali year of period_start, column fiscal_year) over the agency's rows of its "
           "finest grain; for smart_required_share, the Jalali year itself.",
           "یک سال مالی (سال شمسی period_start، ستون fiscal_year) روی سطرهای ریزترین دانه‌بندی دستگاه؛ برای "
           "smart_required_share خودِ سال شمسی."),
    CURRENT: ("A snapshot on the publication day: period_start is empty and period_end is that day.",
              "تصویر روز انتشار: period_start خالی و period_end همان روز است."),
}

NOTES: tuple[tuple[str, str], ...] = (
    ("A share is stored as a fraction from 0 to 1 with its numerator and denominator; when the denominator is "
     "0 or missing the value is empty, never 0.",
     "سهم‌ها کسری از ۰ تا ۱ با صورت و مخرجشان ذخیره می‌شوند؛ اگر مخرج ۰ یا نامعلوم باشد مقدار خالی است، نه ۰."),
    ("Periods of 28–31 days count as months, 89–93 as quarters and 365–366 as years; other lengths are not "
     "counted in performance windows. An agency that reports months and also quarters or years is summed "
     "over its months only, so nothing is counted twice.",
     "دوره‌های ۲۸ تا ۳۱ روزه ماه، ۸۹ تا ۹۳ روزه فصل و ۳۶۵ تا ۳۶۶ روزه سال شمرده می‌شوند؛ دوره‌های دیگر در "
     "بازه‌های عملکرد شمرده نمی‌شوند. دستگاهی که هم ماهانه و هم فصلی یا سالانه گزارش می‌دهد فقط با ماه‌هایش "
     "جمع زده می‌شود تا چیزی دو بار شمرده نشود."),
    ("Performance rows of withdrawn services still count: the applications were received.",
     "سطرهای عملکرد خدمات حذف‌شده همچنان شمرده می‌شوند: آن درخواست‌ها دریافت شده‌اند."),
)
