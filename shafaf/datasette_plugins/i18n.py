"""The pages' words and numbers in Persian and English.

Every interface string of the plugin lives in ``LABELS`` (one place, until a
later issue replaces it with gettext catalogues); templates only ever print
``L.<key>``. Column and dataset titles come from the standard itself
(``title`` / ``title_fa`` in ``datasets/*.schema.json``), so they are never
written twice.

Only *our* strings live here. Harvested text (agency names, service names,
URLs) is never looked up, translated or marked safe: templates print it
through Jinja's autoescape.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context

from .. import standard

LANGUAGES: tuple[str, ...] = ("fa", "en")
DEFAULT_LANGUAGE = "fa"
DIRECTION: dict[str, str] = {"fa": "rtl", "en": "ltr"}

LABELS: dict[str, dict[str, str]] = {
    "fa": {
        "portal_title": "شفاف",
        "portal_tagline": "درگاه شفافیت دستگاه‌های اجرایی",
        "switch_to": "English",
        "agencies": "دستگاه‌ها",
        "agency": "دستگاه",
        "services_count": "تعداد خدمات",
        "smart_count": "خدمات هوشمند",
        "last_outcome": "نتیجه آخرین برداشت",
        "no_agencies": "هنوز دستگاهی منتشر نشده است.",
        "sql_link": "همه جدول‌ها و پرسش SQL",
        "home": "خانه",
        "parent": "دستگاه مادر",
        "website": "وبگاه",
        "latest_figures": "آخرین ارقام",
        "latest_month": "ماه",
        "no_performance": "برای این دستگاه هنوز داده ماهانه عملکرد منتشر نشده است.",
        "applications": "درخواست‌ها",
        "online_share": "سهم درخواست‌های برخط",
        "satisfaction": "رضایت (وزن‌دار با تعداد درخواست)",
        "services": "خدمات",
        "no_services": "این دستگاه هنوز فهرست خدماتی منتشر نکرده است.",
        "services_truncated": "فقط بخشی از خدمات نشان داده شده است؛ فهرست کامل در جدول داده‌ها است.",
        "service_name": "خدمت",
        "online_stages": "مراحل برخط",
        "stage_information": "اطلاع‌رسانی",
        "stage_application": "درخواست",
        "stage_identity": "احراز هویت",
        "stage_payment": "پرداخت",
        "stage_decision": "تصمیم‌گیری",
        "stage_issuance": "صدور",
        "list_separator": "، ",
        "yes": "بله",
        "no": "خیر",
        "unknown": "نامشخص",
        "how_to": "راهنما",
        "harvest_runs": "آخرین برداشت‌ها",
        "no_runs": "هنوز برداشتی برای این دستگاه ثبت نشده است.",
        "run_dataset": "مجموعه داده",
        "run_started": "آغاز",
        "run_outcome": "نتیجه",
        "run_reason": "علت",
        "rows_passed": "سطرهای پذیرفته",
        "rows_failed": "سطرهای ردشده",
        "data": "داده‌ها",
        "data_intro": "هر رقم این صفحه از این جدول‌ها آمده است؛ هر جدول را ببینید، دریافت کنید یا با SQL بپرسید.",
        "table_agencies": "دستگاه‌ها",
        "table_harvest_runs": "سابقه برداشت",
        "table_validation_errors": "سطرهای ردشده",
        "table_indicators": "شاخص‌ها",
        "table_agency_scorecard": "کارنامهٔ دستگاه",
        "table_possible_duplicates": "خدمات احتمالاً تکراری",
        "format_csv": "CSV",
        "format_json": "JSON",
        "not_found_title": "یافت نشد",
        "not_found_body": "چنین دستگاهی در این درگاه نیست.",
        "outcome_running": "در حال اجرا",
        "outcome_ok": "موفق",
        "outcome_unchanged": "بدون تغییر",
        "outcome_failed": "ناموفق",
        "outcome_needs_review": "نیازمند بررسی",
        "outcome_skipped": "رد شد",
        "outcome_aborted": "متوقف شد",
    },
    "en": {
        "portal_title": "Shafaf",
        "portal_tagline": "Transparency portal of government agencies",
        "switch_to": "فارسی",
        "agencies": "Agencies",
        "agency": "Agency",
        "services_count": "Services",
        "smart_count": "Smart services",
        "last_outcome": "Last harvest",
        "no_agencies": "No agency has been published yet.",
        "sql_link": "All tables and SQL",
        "home": "Home",
        "parent": "Parent",
        "website": "Website",
        "latest_figures": "Latest figures",
        "latest_month": "Month",
        "no_performance": "No monthly performance data has been published for this agency yet.",
        "applications": "Applications",
        "online_share": "Online share of applications",
        "satisfaction": "Satisfaction (weighted by applications)",
        "services": "Services",
        "no_services": "This agency has not published a service inventory yet.",
        "services_truncated": "Only part of the services is shown; the full list is in the data tables.",
        "service_name": "Service",
        "online_stages": "Online stages",
        "stage_information": "information",
        "stage_application": "application",
        "stage_identity": "identity check",
        "stage_payment": "payment",
        "stage_decision": "decision",
        "stage_issuance": "issuance",
        "list_separator": ", ",
        "yes": "yes",
        "no": "no",
        "unknown": "unknown",
        "how_to": "How to",
        "harvest_runs": "Latest harvests",
        "no_runs": "No harvest has been recorded for this agency yet.",
        "run_dataset": "Dataset",
        "run_started": "Started",
        "run_outcome": "Outcome",
        "run_reason": "Reason",
        "rows_passed": "Rows passed",
        "rows_failed": "Rows failed",
        "data": "Data",
        "data_intro": "Every figure on this page comes from these tables: browse, download or query them with SQL.",
        "table_agencies": "Agencies",
        "table_harvest_runs": "Harvest runs",
        "table_validation_errors": "Rejected rows",
        "table_indicators": "Indicators",
        "table_agency_scorecard": "Scorecard",
        "table_possible_duplicates": "Possible duplicate services",
        "format_csv": "CSV",
        "format_json": "JSON",
        "not_found_title": "Not found",
        "not_found_body": "There is no such agency on this portal.",
        "outcome_running": "running",
        "outcome_ok": "ok",
        "outcome_unchanged": "unchanged",
        "outcome_failed": "failed",
        "outcome_needs_review": "needs review",
        "outcome_skipped": "skipped",
        "outcome_aborted": "aborted",
    },
}

# The online stages of a service, in the order a citizen meets them: (column, label key).
ONLINE_STAGES: tuple[tuple[str, str], ...] = (
    ("online_information", "stage_information"),
    ("online_application", "stage_application"),
    ("online_identity", "stage_identity"),
    ("online_payment", "stage_payment"),
    ("online_decision", "stage_decision"),
    ("online_issuance", "stage_issuance"),
)

_PERSIAN_DIGITS = str.maketrans(
    {
        **{str(d): chr(0x06F0 + d) for d in range(10)},
        ",": "\u066c",  # ARABIC THOUSANDS SEPARATOR
        ".": "\u066b",  # ARABIC DECIMAL SEPARATOR
    }
)


def language(value: str | None) -> str:
    """The page language asked for by ``?lang=``; anything unknown means the default."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def labels(lang: str) -> dict[str, str]:
    return LABELS[lang]


def outcome_label(outcome: str | None, lang: str) -> str | None:
    """Our word for a run outcome; an outcome we do not know is shown as stored."""
    if outcome is None:
        return None
    return LABELS[lang].get(f"outcome_{outcome}", outcome)


def field_title(kind: str, name: str, lang: str) -> str:
    """A column's title in the standard (``title_fa`` on Persian pages)."""
    for field in standard.fields(kind):
        if field["name"] == name:
            return field["title_fa"] if lang == "fa" else field["title"]
    raise KeyError(f"{kind}.{name}")


def table_title(table: str, lang: str) -> str:
    """A public table's title: the standard's for dataset tables, ours for the others."""
    if table in standard.DATASET_KINDS:
        schema = standard.load_schema(table)
        return schema["title_fa"] if lang == "fa" else schema["title"]
    return LABELS[lang][f"table_{table}"]


def digits(text: Any, lang: str) -> str:
    """``text`` with its ASCII digits written in the page's script (Persian digits on fa pages)."""
    text = str(text)
    return text.translate(_PERSIAN_DIGITS) if lang == "fa" else text


def format_number(value: float | int | None, lang: str, *, places: int = 0) -> str:
    """A number with thousands separators, in the page's digits; ``—`` when missing."""
    if value is None:
        return "—"
    return digits(f"{value:,.{places}f}", lang)


def format_percent(share: float | None, lang: str, *, places: int = 1) -> str:
    """A share in 0–1 as a percentage (``۴۵٫۲٪`` on fa pages, ``45.2%`` on en pages)."""
    if share is None:
        return "—"
    sign = "\u066a" if lang == "fa" else "%"  # ARABIC PERCENT SIGN
    return format_number(share * 100, lang, places=places) + sign


# Jinja filters: they read the page language from the template context.


@pass_context
def number_filter(context: Any, value: float | int | None, places: int = 0) -> str:
    return format_number(value, context.get("lang", DEFAULT_LANGUAGE), places=places)


@pass_context
def percent_filter(context: Any, share: float | None, places: int = 1) -> str:
    return format_percent(share, context.get("lang", DEFAULT_LANGUAGE), places=places)


@pass_context
def digits_filter(context: Any, text: Any) -> str:
    return digits(text, context.get("lang", DEFAULT_LANGUAGE))


JINJA_FILTERS = {
    "shafaf_number": number_filter,
    "shafaf_percent": percent_filter,
    "shafaf_digits": digits_filter,
}
