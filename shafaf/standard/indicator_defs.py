"""What each derived indicator means: one table, the single source of every formula.

``shafaf.indicators`` computes from these names, ``docs/indicators.md`` is
generated from this table (``scripts/make_indicators_doc.py``), and the
Datasette column descriptions come from it too, so a formula is written once.
"""

from __future__ import annotations

import dataclasses

# Windows (the ``window`` column of ``indicators``).
MONTH = "month"  # one reported period of 28-31 days: a Gregorian or a Jalali month
LAST_12_MONTHS = "last_12_months"  # the portal's reference window: the same twelve months for every agency
YEAR = "year"  # one fiscal (Jalali) year
CURRENT = "current"  # a snapshot as of the publication day
TARGET_WINDOWS = ("month", "quarter", "year", "period")  # a targets row's window, from the length of its period
PERFORMANCE_WINDOWS = (MONTH, LAST_12_MONTHS, YEAR)

# Transparency score: its parts, each a share from 0 to 1 an agency can act on, and their weights (Σ = 100).
SCORE_PARTS: tuple[str, ...] = ("coverage", "window_months", "data_age_score", "validity", "citizen_fields")
SCORE_WEIGHTS: dict[str, int] = {part: 20 for part in SCORE_PARTS}

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
    better: str | None = None  # higher or lower; None where neither end is better (a count of applications)


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
        better="higher",
    ),
    Definition(
        "share_smart", _S, "share", _C, "Share of services smart", "سهم خدمات هوشمند",
        "Services with smart = true ÷ services; an empty flag counts as not smart.",
        "خدمات با smart = بله ÷ همه خدمات؛ مقدار خالی «غیرهوشمند» شمرده می‌شود.",
        better="higher",
    ),
    Definition(
        "share_national_portal", _S, "share", _C, "Share of services on the national portal",
        "سهم خدمات متصل به درگاه ملی خدمات هوشمند",
        "Services with on_national_portal = true ÷ services; an empty flag counts as not connected.",
        "خدمات با on_national_portal = بله ÷ همه خدمات؛ مقدار خالی «نامتصل» شمرده می‌شود.",
        better="higher",
    ),
    Definition(
        "share_gsb", _S, "share", _C, "Share of services exchanging data via the GSB",
        "سهم خدمات با تبادل داده از راه گذرگاه خدمات دولت (GSB)",
        "Services with via_gsb = true ÷ services; an empty flag counts as not connected.",
        "خدمات با via_gsb = بله ÷ همه خدمات؛ مقدار خالی «نامتصل» شمرده می‌شود.",
        better="higher",
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
        better="higher",
    ),
    Definition(
        "completion_rate", _P, "share", PERFORMANCE_WINDOWS, "Completion rate", "نرخ انجام درخواست‌ها",
        "Σ completed ÷ Σ applications, over the rows that report both.",
        "Σ انجام‌شده ÷ Σ درخواست‌ها، در سطرهایی که هر دو را گزارش کرده‌اند.",
        better="higher",
    ),
    Definition(
        "within_standard", _P, "share", PERFORMANCE_WINDOWS, "Share completed within standard",
        "سهم انجام‌شده در زمان استاندارد",
        "Σ within_standard ÷ Σ completed, over the rows that report both.",
        "Σ انجام‌شده در زمان استاندارد ÷ Σ انجام‌شده، در سطرهایی که هر دو را گزارش کرده‌اند.",
        better="higher",
    ),
    Definition(
        "median_days", _P, "days", PERFORMANCE_WINDOWS, "Median processing days", "میانه زمان رسیدگی (روز)",
        "Median of the rows' median_days weighted by completed: order the window's rows by median_days; the "
        "value is that of the first row at which the running Σ completed reaches half of Σ completed. Rows "
        "without median_days or with no completed application are left out.",
        "میانهٔ وزنی median_days سطرها با وزن «انجام‌شده»: سطرهای بازه به ترتیب median_days مرتب می‌شوند و "
        "مقدار، median_days نخستین سطری است که جمع انباشتهٔ انجام‌شده‌ها در آن به نیمی از کل انجام‌شده‌ها "
        "می‌رسد. سطرهای بی median_days یا بی درخواست انجام‌شده کنار گذاشته می‌شوند.",
        better="lower",
    ),
    Definition(
        "satisfaction", _P, "percent", PERFORMANCE_WINDOWS, "Satisfaction (weighted by applications)",
        "رضایت (وزن‌دار با شمار درخواست‌ها)",
        "Σ (satisfaction × applications) ÷ Σ applications, over the rows that report both; a window whose "
        "rows have no applications has no value.",
        "Σ (رضایت × درخواست‌ها) ÷ Σ درخواست‌ها، در سطرهایی که هر دو را گزارش کرده‌اند؛ بازه‌ای که درخواستی "
        "ندارد مقداری ندارد.",
        better="higher",
    ),
    Definition(
        "complaints_per_1000", _P, "per_1000_applications", PERFORMANCE_WINDOWS,
        "Complaints per 1,000 applications", "شکایت به ازای هر ۱۰۰۰ درخواست",
        "1000 × Σ complaints ÷ Σ applications, over the rows that report both (numerator Σ complaints, "
        "denominator Σ applications).",
        "۱۰۰۰ × Σ شکایت‌ها ÷ Σ درخواست‌ها، در سطرهایی که هر دو را گزارش کرده‌اند (صورت Σ شکایت‌ها، مخرج "
        "Σ درخواست‌ها).",
        better="lower",
    ),
    Definition(
        "availability", _P, "percent", PERFORMANCE_WINDOWS, "Online availability", "دسترس‌پذیری برخط",
        "Mean of availability_pct over the rows that report it (numerator Σ availability_pct, denominator the "
        "number of those rows).",
        "میانگین availability_pct در سطرهایی که آن را گزارش کرده‌اند (صورت Σ availability_pct، مخرج شمار آن "
        "سطرها).",
        better="higher",
    ),
    # -- targets: the smart-services plan, when the portal's registry sets one (smart_plan)
    Definition(
        "smart_required_share", _T, "share", (YEAR,), "Required share of smart services (the plan)",
        "سهم لازم خدمات هوشمند (برنامه)",
        "For Jalali year Y of a plan starting in S with a yearly step p (the portal setting smart_plan: Iran's "
        "7th development plan is S = 1403, p = 0.20): min(1, p × (Y − S + 1)). One row per year from S to the "
        "plan's last year, and on to the current year if later. No rows on a portal without a plan.",
        "برای سال شمسی Y از برنامه‌ای که در S آغاز می‌شود با گام سالانهٔ p (تنظیم smart_plan درگاه؛ برنامهٔ "
        "هفتم توسعه S = ۱۴۰۳ و p = ۰٫۲۰): min(1, p × (Y − S + 1)). یک سطر برای هر سال از S تا سال پایانی "
        "برنامه و اگر سال جاری دیرتر باشد تا سال جاری. درگاهی که برنامه‌ای ندارد سطری ندارد.",
    ),
    Definition(
        "smart_share_judged", _T, "share", (YEAR,), "Smart services share judged", "سهم خدمات هوشمندِ داوری‌شده",
        "The share the plan's verdict uses for a Jalali year: for the current year smart services ÷ services "
        "of today's inventory; for the year before, the agency's own reported share for that year when it has "
        "one (smart_share_reported = 1), else today's inventory. The reported share is its targets row over "
        "exactly that Jalali year named smart_services_share, else share_smart, else smart_share, in its unit: "
        "percent, %, pct or درصد divided by 100, share as it is, no unit and above 1 a percentage. Numerator: "
        "the smart services it stands for (rounded); denominator: the services.",
        "سهمی که داوری برنامه برای یک سال شمسی به کار می‌برد: برای سال جاری خدمات هوشمند ÷ خدمات فهرست "
        "امروز؛ برای سال پیش، سهم گزارش‌شدهٔ خود دستگاه برای آن سال اگر باشد (smart_share_reported = ۱)، "
        "وگرنه فهرست امروز. سهم گزارش‌شده سطر اهداف دستگاه برای دقیقاً همان سال شمسی است با نام "
        "smart_services_share، وگرنه share_smart، وگرنه smart_share، در واحد خودش: percent، %، pct یا درصد "
        "تقسیم بر ۱۰۰، share همان‌گونه، بی واحد و بیش از ۱ درصد. صورت: خدمات هوشمندی که نشان می‌دهد (گردشده)؛ "
        "مخرج: همه خدمات.",
        better="higher",
    ),
    Definition(
        "smart_share_reported", _T, "boolean", (YEAR,), "Judged on the agency's reported share",
        "داوری بر پایهٔ سهم گزارش‌شدهٔ دستگاه",
        "1 when smart_share_judged of the year is the agency's reported figure, 0 when it is today's inventory.",
        "۱ اگر smart_share_judged آن سال رقم گزارش‌شدهٔ دستگاه باشد، ۰ اگر از فهرست امروز باشد.",
    ),
    Definition(
        "smart_on_track", _T, "boolean", (YEAR,), "On track for smart services", "در مسیر هدف خدمات هوشمند",
        "For the current Jalali year and the year before: 1 when the smart services of smart_share_judged "
        "(numerator) ≥ the services required (denominator) = ⌈smart_required_share of that year × services⌉, "
        "else 0 (behind). No row when the agency lists no services, the plan has not started or the portal "
        "has no plan.",
        "برای سال شمسی جاری و سال پیش از آن: ۱ اگر خدمات هوشمندِ smart_share_judged (صورت) ≥ خدمات لازم "
        "(مخرج) = ⌈smart_required_share آن سال × همه خدمات⌉، وگرنه ۰ (عقب). اگر دستگاه خدمتی فهرست نکرده، "
        "برنامه آغاز نشده یا درگاه برنامه‌ای ندارد سطری نیست.",
        better="higher",
    ),
    Definition(
        "smart_gap_services", _T, "services", (YEAR,), "Smart services still needed", "خدمات هوشمند کسری",
        "max(0, services required − smart services), for the same years as smart_on_track.",
        "max(0, خدمات لازم − خدمات هوشمند)، برای همان سال‌های smart_on_track.",
        better="lower",
    ),
    Definition(
        TARGET_PREFIX + "<indicator>", _T, "the row's unit", TARGET_WINDOWS, "Target and result",
        "هدف و عملکرد",
        "One row per row of the targets dataset, named target: and the row's indicator: value = numerator = "
        "actual, denominator = target. The window follows the period's length: 28–31 days month, 89–93 "
        "quarter, 365–366 year, otherwise period. Whether it was met is the targets table's met column, in "
        "the direction of its direction_used column (below).",
        "برای هر سطر دادهٔ اهداف (targets) یک سطر با نام target: و شاخص آن سطر: مقدار = صورت = عملکرد "
        "(actual)، مخرج = هدف (target). بازه از طول دوره: ۲۸ تا ۳۱ روز ماه، ۸۹ تا ۹۳ فصل، ۳۶۵ تا ۳۶۶ سال، "
        "وگرنه دوره (period). محقق شدن یا نشدن در ستون met جدول اهداف است، در جهت ستون direction_used آن (پایین).",
    ),
    # -- data: how well and how recently the agency publishes
    Definition(
        "freshness_days", _D, "days", _C, "Days since the last good harvest", "روزهای گذشته از آخرین برداشت موفق",
        "Days from the day of the agency's latest harvest run with outcome ok or unchanged to the publication "
        "day, both days in the portal's timezone; empty when there was none. It says when the portal last read "
        "the agency, not how old its data is (data_months_behind); it is neither ranked nor scored.",
        "روزهای میان روز آخرین اجرای برداشت دستگاه با نتیجهٔ ok یا unchanged تا روز انتشار، هر دو روز در منطقهٔ "
        "زمانی درگاه؛ اگر "
        "چنین اجرایی نبوده خالی است. می‌گوید درگاه آخرین بار کی دادهٔ دستگاه را خوانده، نه اینکه داده چقدر "
        "کهنه است (data_months_behind)؛ نه رتبه دارد نه در امتیاز می‌آید.",
        better="lower",
    ),
    Definition(
        "data_months_behind", _D, "months", _C, "Data age: months behind the reference month",
        "سن داده: ماه‌های عقب‌تر از ماه مرجع",
        "Months from the last month of the portal's calendar that the agency's service_performance rows "
        "cover to its end (the month before the one containing the day after the latest period_end) to the "
        "portal's reference month; 0 when the data reaches it. Every dataset's is in data_coverage.",
        "ماه‌ها از آخرین ماهِ تقویم درگاه که سطرهای service_performance دستگاه تا پایانش را پوشش می‌دهد (ماهِ "
        "پیش از ماهی که روز پس از آخرین period_end در آن است) تا ماه مرجع درگاه؛ اگر داده به آن برسد ۰. "
        "مقدار هر داده در جدول data_coverage است.",
        better="lower",
    ),
    Definition(
        "data_stale", _D, "boolean", _C, "Data stale", "داده کهنه",
        "1 when data_months_behind > the portal setting stale_after_months (default 3) + the months of the "
        "latest period − 1, else 0: a quarter's figures (3 months) or a year's (12) are not due before the "
        "period ends; of periods of several lengths ending on the last day, the shortest counts. Empty without "
        "performance data. A stale agency is listed apart from the league table, with the month its data ends.",
        "۱ اگر data_months_behind > تنظیم stale_after_months درگاه (پیش‌فرض ۳) + ماه‌های آخرین دوره − ۱، وگرنه "
        "۰: رقم‌های یک فصل (۳ ماه) یا یک سال (۱۲) پیش از پایان دوره موعد ندارند؛ از دوره‌های با طول‌های گوناگون "
        "که در روز آخر پایان می‌یابند کوتاه‌ترین ملاک است. بی دادهٔ عملکرد خالی است. دستگاه دارای دادهٔ کهنه "
        "جدا از جدول رده‌بندی با ماه پایان داده‌اش فهرست می‌شود.",
        better="lower",
    ),
    Definition(
        "coverage", _D, "share", _C, "Datasets published", "داده‌های منتشرشده",
        "Dataset kinds of the standard with at least one published row of the agency ÷ 5 (services, "
        "service_performance, service_standards, activities, targets). Part of the transparency score.",
        "شمار داده‌های استاندارد که دستگاه دست‌کم یک سطر منتشرشده در آن دارد ÷ ۵ (services، "
        "service_performance، service_standards، activities، targets). بخشی از امتیاز شفافیت.",
        better="higher",
    ),
    Definition(
        "window_months", _D, "share", _C, "Months of the reference window covered", "ماه‌های پوشش‌داده از بازهٔ مرجع",
        "Months of the portal's reference window whose midpoint lies inside one of the agency's performance "
        "periods that count in the window (its finest grain, midpoint in the window) (numerator) ÷ 12 "
        "(denominator). Part of the transparency score.",
        "ماه‌هایی از بازهٔ مرجع درگاه که نقطهٔ میانی‌شان درون یکی از دوره‌های عملکرد دستگاه است که در بازه "
        "شمرده می‌شوند (ریزترین دانه‌بندی‌اش، با نقطهٔ میانی در بازه) (صورت) ÷ ۱۲ (مخرج). بخشی از امتیاز شفافیت.",
        better="higher",
    ),
    Definition(
        "data_age_score", _D, "share", _C, "Data age score", "امتیاز سن داده",
        "max(0, 1 − data_months_behind ÷ 12): 1 when the performance data reaches the reference month, 1/12 "
        "less for each month behind; empty (0 in the score) without performance data. Part of the "
        "transparency score.",
        "max(0, 1 − data_months_behind ÷ 12): ۱ اگر دادهٔ عملکرد به ماه مرجع برسد و برای هر ماه عقب‌ماندگی "
        "۱/۱۲ کمتر؛ بی دادهٔ عملکرد خالی (در امتیاز ۰). بخشی از امتیاز شفافیت.",
        better="higher",
    ),
    Definition(
        "validity", _D, "share", _C, "Validity", "اعتبار داده‌ها",
        "Σ rows_passed ÷ Σ rows_read over the latest run of each source that read rows: rows of the agency's "
        "files, as written (a row whose columns become several published rows counts once; an unchanged run "
        "reads nothing, so the last run that did stands). Part of the transparency score.",
        "Σ سطرهای پذیرفته ÷ Σ سطرهای خوانده‌شده در آخرین اجرای هر منبع که سطری خوانده است: سطرهای فایل‌های "
        "دستگاه همان‌گونه که نوشته شده‌اند (سطری که ستون‌هایش چند سطر منتشرشده می‌شوند یک بار شمرده می‌شود؛ "
        "اجرای «بدون تغییر» چیزی نمی‌خواند، پس آخرین اجرایی که خوانده است ملاک است). بخشی از امتیاز شفافیت.",
        better="higher",
    ),
    Definition(
        "citizen_fields", _D, "share", _C, "What citizens ask, filled in", "آنچه شهروندان می‌پرسند، پر شده",
        "The mean of three shares: performance rows of the reference window with satisfaction, the same rows "
        "with cost, and current services with a how_to_url (numerator Σ filled cells, denominator Σ cells). "
        "Part of the transparency score.",
        "میانگین سه سهم: سطرهای عملکرد بازهٔ مرجع که رضایت دارند، همان سطرها که هزینه دارند، و خدمات جاری "
        "که how_to_url دارند (صورت Σ خانه‌های پر، مخرج Σ خانه‌ها). بخشی از امتیاز شفافیت.",
        better="higher",
    ),
    Definition(
        "transparency_score", _D, "score", _C, "Transparency score (0–100)", "امتیاز شفافیت (۰ تا ۱۰۰)",
        "20 × coverage + 20 × window_months + 20 × data_age_score + 20 × validity + 20 × citizen_fields; a "
        "part with no value counts as 0.",
        "۲۰ × coverage + ۲۰ × window_months + ۲۰ × data_age_score + ۲۰ × validity + ۲۰ × citizen_fields؛ "
        "بخش خالی صفر شمرده می‌شود.",
        better="higher",
    ),
)

BY_NAME: dict[str, Definition] = {d.name: d for d in DEFINITIONS}

WINDOW_TEXT: dict[str, tuple[str, str]] = {
    MONTH: ("One reported period of 28–31 days (a Gregorian or a Jalali month), one row per distinct "
            "period_start/period_end.",
            "یک دورهٔ گزارش‌شدهٔ ۲۸ تا ۳۱ روزه (ماه میلادی یا شمسی)، یک سطر برای هر period_start/period_end."),
    LAST_12_MONTHS: ("The portal's reference window, the same for every agency: the twelve months of the portal's "
                     "calendar ending at the reference month (the last complete month less reference_lag_months, "
                     "default 1: a month's figures are due in the month after). An agency's rows of its finest "
                     "grain (month, else quarter, else year) count when their period's midpoint lies in the window.",
                     "بازهٔ مرجع درگاه، برای همه دستگاه‌ها یکسان: دوازده ماهِ تقویم درگاه که به ماه مرجع ختم می‌شود "
                     "(آخرین ماه کامل منهای reference_lag_months، پیش‌فرض ۱: رقم‌های هر ماه در ماه بعد می‌رسد). "
                     "سطرهای دستگاه در ریزترین دانه‌بندی‌اش (ماه، وگرنه فصل، وگرنه سال) وقتی شمرده می‌شوند که "
                     "نقطهٔ میانی دوره‌شان در بازه باشد."),
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
