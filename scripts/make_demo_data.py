#!/usr/bin/env python3
"""Generate Shafaf's bundled DEMO data and the demo registry.

Six FICTIONAL agencies, each with the five datasets of the standard
(services, service_performance, service_standards, activities, targets),
written under ``metadata/demo/<agency_id>/``, plus ``metadata/agencies.yml``
and ``metadata/demo/README.md``.

Deterministic: every random draw comes from ``random.Random`` seeded with a
fixed string per agency, no clock is read, and the XLSX file is written with
fixed document properties and fixed ZIP entry dates, so running the script
twice gives byte-identical files.  No network; stdlib + openpyxl + jdatetime.

    python scripts/make_demo_data.py

Each agency tells one story a journalist would notice:

* ``tax``                -- good performer: digital take-up rising, on track for
                            the 7th plan's smart-services trajectory.
* ``civil-registration`` -- far behind its smart-services target (~8% vs 40%).
* ``social-security``    -- satisfaction falling month after month (~80 -> ~55),
                            complaints rising.
* ``customs``            -- stale: performance stops in 2026-01, inventory
                            reviewed long ago.
* ``post``               -- files arrive the way Iranian agencies really send
                            them (Windows-1256, Persian headers, Jalali months,
                            Persian digits, Arabic ي/ك, بله/خیر).  It is
                            read through the registry's mapping and the portal's normalization.
* ``health-insurance``   -- performance arrives as an XLSX export (sheet «عملکرد»).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import jdatetime
import openpyxl

ROOT = Path(__file__).resolve().parent.parent
META = ROOT / "metadata"
DEMO = META / "demo"

SEED = "shafaf-demo-v1"
TODAY = dt.date(2026, 11, 23)  # the demo's "today"; never read from the clock
FIXED_STAMP = dt.datetime(2026, 11, 23, 0, 0, 0)

# 24 Gregorian months 2024-11 ... 2026-10
FIRST_MONTH = (2024, 11)
N_MONTHS = 24
CUSTOMS_LAST_MONTH = (2026, 1)  # 9 months before everyone else's end
# post reports 24 Jalali months 1403-08 ... 1405-07
POST_FIRST_JMONTH = (1403, 8)

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AR_THOUSANDS = "\u066c"  # ٬
AR_DECIMAL = "\u066b"  # ٫

SOURCE_7TH_PLAN = "برنامه هفتم توسعه"

STAGES = (
    "online_information",
    "online_application",
    "online_identity",
    "online_payment",
    "online_decision",
    "online_issuance",
)

# --------------------------------------------------------------------------------------
# schema field order (kept here so the script needs nothing but stdlib + its two libs;
# checked against datasets/*.schema.json at run time)
# --------------------------------------------------------------------------------------
FIELDS = {
    "services": [
        "agency_id",
        "service_id",
        "name_fa",
        "name_en",
        "description",
        "audience",
        "category",
        *STAGES,
        "smart",
        "on_national_portal",
        "via_gsb",
        "standard_days",
        "fee",
        "how_to_url",
        "updated",
    ],
    "service_performance": [
        "agency_id",
        "service_id",
        "period_start",
        "period_end",
        "period_label",
        "channel",
        "applications",
        "completed",
        "within_standard",
        "median_days",
        "satisfaction",
        "complaints",
        "cost",
        "availability_pct",
    ],
    "service_standards": [
        "agency_id",
        "service_id",
        "standard_id",
        "name_fa",
        "name_en",
        "kind",
        "target",
        "performance",
        "target_met",
        "period_start",
        "period_end",
        "period_label",
    ],
    "activities": [
        "agency_id",
        "activity_id",
        "title_fa",
        "title_en",
        "kind",
        "status",
        "start_date",
        "end_date",
        "budget",
        "spent",
        "progress_pct",
        "url",
    ],
    "targets": [
        "agency_id",
        "indicator",
        "period_start",
        "period_end",
        "period_label",
        "target",
        "actual",
        "unit",
        "direction",
        "source",
    ],
}


def check_field_order() -> None:
    for kind, names in FIELDS.items():
        path = ROOT / "datasets" / f"{kind}.schema.json"
        if path.exists():
            schema = json.loads(path.read_text(encoding="utf-8"))
            got = [f["name"] for f in schema["fields"]]
            if got != names:
                raise SystemExit(f"{kind}: schema fields changed: {got}")


# --------------------------------------------------------------------------------------
# calendar helpers
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Month:
    index: int  # 0..23 on the common 24-month scale
    start: dt.date
    end: dt.date  # inclusive
    label: str  # as the agency writes it

    @property
    def mid(self) -> dt.date:
        return self.start + (self.end - self.start) / 2


def gregorian_months() -> list[Month]:
    out = []
    y, m = FIRST_MONTH
    for i in range(N_MONTHS):
        start = dt.date(y, m, 1)
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        end = dt.date(ny, nm, 1) - dt.timedelta(days=1)
        out.append(Month(i, start, end, f"{y:04d}-{m:02d}"))
        y, m = ny, nm
    return out


def jalali_months() -> list[Month]:
    out = []
    y, m = POST_FIRST_JMONTH
    for i in range(N_MONTHS):
        start = jdatetime.date(y, m, 1).togregorian()
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        end = jdatetime.date(ny, nm, 1).togregorian() - dt.timedelta(days=1)
        out.append(Month(i, start, end, f"{y:04d}-{m:02d}"))
        y, m = ny, nm
    return out


def jalali_year(year: int) -> tuple[dt.date, dt.date]:
    """Gregorian first and last (inclusive) day of a Jalali year."""
    start = jdatetime.date(year, 1, 1).togregorian()
    end = jdatetime.date(year + 1, 1, 1).togregorian() - dt.timedelta(days=1)
    return start, end


def to_jalali_str(d: dt.date) -> str:
    j = jdatetime.date.fromgregorian(date=d)
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"


def fa(s: object) -> str:
    return str(s).translate(FA_DIGITS)


# --------------------------------------------------------------------------------------
# the agencies
# --------------------------------------------------------------------------------------
@dataclass
class Service:
    service_id: str
    name_fa: str
    name_en: str
    description: str
    category: str
    audience: str
    stages: str  # 6 chars over 1/0/- : information, application, identity, payment, decision, issuance
    flags: str  # subset of "SPG": Smart, national Portal, GSB
    standard_days: float
    fee: int
    volume: int  # typical applications a month, all channels
    channels: dict[str, float]
    smart_1403: bool = False  # already smart a year earlier (for the 1403 actual)

    @property
    def smart(self) -> bool:
        return "S" in self.flags


@dataclass
class Agency:
    id: str
    name_fa: str
    name_en: str
    parent: str
    description_fa: str
    description_en: str
    categories_note: str
    services: list[Service]
    activities: list[tuple]
    schedules: dict[str, str]
    include_agency_id: bool = True
    extra: dict = field(default_factory=dict)


def S(sid, name_fa, name_en, cat, aud, stages, flags, days, fee, vol, channels, desc, smart_1403=False):
    return Service(sid, name_fa, name_en, desc, cat, aud, stages, flags, days, fee, vol, channels, smart_1403)


B = 1_000_000_000  # a billion rials

TAX = Agency(
    id="tax",
    name_fa="سازمان امور مالیاتی (نمایشی)",
    name_en="Tax Administration (demo)",
    parent="وزارت امور اقتصادی و دارایی (Ministry of Economic Affairs and Finance)",
    description_fa="دستگاه نمایشی و خیالی. وصول مالیات‌ها، ثبت‌نام مؤدیان، اظهارنامه‌ها و سامانه مؤدیان.",
    description_en="A fictional demo agency. Collects taxes, registers taxpayers, receives returns and runs the taxpayers' system.",
    categories_note="",
    schedules={
        "services": "0 2 * * *",
        "service_performance": "0 2 * * *",
        "service_standards": "0 2 * * *",
        "activities": "0 2 * * *",
        "targets": "0 2 * * *",
    },
    services=[
        S(
            "T-0101",
            "ثبت‌نام و تشکیل پرونده مالیاتی",
            "Taxpayer registration",
            "ثبت‌نام و پرونده",
            "businesses",
            "111-11",
            "SPG",
            3,
            0,
            40_000,
            {"online": 0.75, "service_office": 0.20, "in_person": 0.05},
            "ثبت‌نام مؤدیان جدید و تشکیل پرونده مالیاتی برای اشخاص حقیقی و حقوقی؛ پس از ثبت‌نام، کد رهگیری و شناسه پرونده صادر می‌شود.",
            smart_1403=True,
        ),
        S(
            "T-0102",
            "تسلیم اظهارنامه مالیات بر درآمد مشاغل",
            "Filing the business income tax return",
            "اظهارنامه",
            "businesses",
            "111111",
            "SPG",
            1,
            0,
            250_000,
            {"online": 0.85, "service_office": 0.15},
            "تسلیم اظهارنامه سالانه مالیات بر درآمد صاحبان مشاغل از طریق درگاه ملی خدمات مالیاتی تا پایان خرداد هر سال.",
            smart_1403=True,
        ),
        S(
            "T-0103",
            "تسلیم اظهارنامه مالیات بر ارزش افزوده",
            "Filing the VAT return",
            "اظهارنامه",
            "businesses",
            "111111",
            "SPG",
            1,
            0,
            120_000,
            {"online": 0.90, "service_office": 0.10},
            "تسلیم اظهارنامه فصلی مالیات بر ارزش افزوده و پرداخت مالیات متعلق.",
            smart_1403=True,
        ),
        S(
            "T-0104",
            "صدور گواهی مفاصاحساب مالیاتی",
            "Tax clearance certificate",
            "گواهی و استعلام",
            "businesses",
            "111101",
            "P",
            15,
            0,
            30_000,
            {"online": 0.55, "in_person": 0.45},
            "صدور گواهی عدم بدهی مالیاتی برای انجام معاملات، شرکت در مناقصه‌ها و تمدید مجوزها.",
        ),
        S(
            "T-0105",
            "پرداخت الکترونیکی بدهی مالیاتی",
            "Online payment of tax debts",
            "پرداخت",
            "citizens",
            "1111-1",
            "SPG",
            1,
            0,
            180_000,
            {"online": 0.92, "in_person": 0.08},
            "پرداخت برخط قبوض و بدهی‌های مالیاتی با شناسه قبض و پرداخت از طریق درگاه بانکی.",
            smart_1403=True,
        ),
        S(
            "T-0106",
            "استعلام بدهی مالیاتی",
            "Tax debt inquiry",
            "گواهی و استعلام",
            "citizens",
            "1-1--1",
            "SPG",
            1,
            0,
            90_000,
            {"online": 0.80, "phone": 0.20},
            "مشاهده بدهی‌ها و پرونده‌های باز مالیاتی با کد ملی یا شناسه ملی.",
            smart_1403=True,
        ),
        S(
            "T-0107",
            "اعتراض به برگ تشخیص مالیات",
            "Objection to a tax assessment",
            "دادرسی مالیاتی",
            "businesses",
            "111-00",
            "P",
            30,
            0,
            8_000,
            {"online": 0.45, "in_person": 0.55},
            "ثبت اعتراض مؤدی به برگ تشخیص مالیات و درخواست رسیدگی مجدد پیش از ارجاع به هیئت حل اختلاف.",
        ),
        S(
            "T-0108",
            "درخواست تقسیط بدهی مالیاتی",
            "Instalment plan for tax debts",
            "پرداخت",
            "businesses",
            "111-10",
            "P",
            7,
            0,
            12_000,
            {"online": 0.60, "in_person": 0.40},
            "درخواست پرداخت بدهی قطعی مالیاتی به صورت اقساط با ارائه تضمین.",
        ),
        S(
            "T-0109",
            "استرداد مالیات بر ارزش افزوده صادرکنندگان",
            "VAT refund for exporters",
            "پرداخت",
            "businesses",
            "111-00",
            "PG",
            30,
            0,
            2_500,
            {"online": 0.50, "in_person": 0.50},
            "استرداد مالیات و عوارض ارزش افزوده پرداخت‌شده بابت کالاها و خدمات صادرشده.",
        ),
        S(
            "T-0110",
            "ثبت‌نام در سامانه پایانه‌های فروشگاهی",
            "Registering shop payment terminals",
            "سامانه مؤدیان",
            "businesses",
            "111-11",
            "SPG",
            2,
            0,
            35_000,
            {"online": 0.85, "service_office": 0.15},
            "ثبت‌نام فروشندگان کالا و خدمات و معرفی پایانه‌های فروشگاهی (کارتخوان‌ها) به سامانه مؤدیان.",
        ),
        S(
            "T-0111",
            "تخصیص شناسه یکتای حافظه مالیاتی",
            "Tax memory ID for e-invoicing",
            "سامانه مؤدیان",
            "businesses",
            "111-11",
            "SPG",
            1,
            0,
            25_000,
            {"online": 0.95, "service_office": 0.05},
            "تخصیص شناسه یکتای حافظه مالیاتی برای صدور صورتحساب الکترونیکی در سامانه مؤدیان.",
        ),
        S(
            "T-0112",
            "تسلیم فهرست حقوق و دستمزد",
            "Filing the payroll tax list",
            "اظهارنامه",
            "businesses",
            "111111",
            "SPG",
            1,
            0,
            160_000,
            {"online": 0.95, "service_office": 0.05},
            "تسلیم ماهانه فهرست حقوق و دستمزد کارکنان و پرداخت مالیات تکلیفی توسط کارفرمایان.",
        ),
        S(
            "T-0113",
            "اظهارنامه مالیات بر ارث",
            "Inheritance tax return",
            "اظهارنامه",
            "citizens",
            "111000",
            "P",
            20,
            0,
            15_000,
            {"online": 0.35, "in_person": 0.65},
            "تسلیم اظهارنامه ماترک متوفی توسط وراث و صدور گواهی پرداخت مالیات بر ارث.",
        ),
        S(
            "T-0114",
            "گواهی مالیات نقل و انتقال املاک",
            "Property transfer tax certificate",
            "گواهی و استعلام",
            "citizens",
            "111100",
            "P",
            7,
            0,
            45_000,
            {"online": 0.30, "service_office": 0.40, "in_person": 0.30},
            "صدور گواهی پرداخت مالیات نقل و انتقال املاک برای تنظیم سند در دفاتر اسناد رسمی.",
        ),
        S(
            "T-0115",
            "استعلام کدپستی",
            "Postal code inquiry",
            "گواهی و استعلام",
            "businesses",
            "1-1--1",
            "G",
            1,
            0,
            20_000,
            {"online": 0.90, "service_office": 0.10},
            "استعلام و تطبیق کد پستی نشانی محل فعالیت مؤدی هنگام ثبت‌نام و به‌روزرسانی پرونده.",
        ),
        S(
            "T-0116",
            "تجدیدنظرخواهی در هیئت حل اختلاف مالیاتی",
            "Appeal to the tax dispute board",
            "دادرسی مالیاتی",
            "businesses",
            "111-00",
            "P",
            45,
            0,
            4_000,
            {"online": 0.40, "in_person": 0.60},
            "ثبت اعتراض به رأی هیئت بدوی و درخواست رسیدگی در هیئت تجدیدنظر حل اختلاف مالیاتی.",
        ),
        S(
            "T-0117",
            "درخواست بخشودگی جرائم مالیاتی",
            "Waiver of tax penalties",
            "دادرسی مالیاتی",
            "businesses",
            "111-10",
            "P",
            15,
            0,
            10_000,
            {"online": 0.55, "in_person": 0.45},
            "درخواست بخشودگی تمام یا بخشی از جرائم دیرکرد و عدم تسلیم به‌موقع اظهارنامه.",
        ),
        S(
            "T-0118",
            "ثبت قراردادهای پیمانکاری",
            "Registering contractor agreements",
            "سامانه مؤدیان",
            "businesses",
            "111-11",
            "PG",
            3,
            0,
            9_000,
            {"online": 0.80, "service_office": 0.20},
            "ثبت قراردادهای پیمانکاری و مشاوره کارفرمایان در سامانه برای محاسبه و کسر مالیات تکلیفی.",
        ),
    ],
    activities=[
        (
            "TAX-P01",
            "توسعه سامانه مؤدیان و صورتحساب الکترونیکی",
            "Expanding the taxpayers' system and e-invoicing",
            "programme",
            "in_progress",
            "2024-04-01",
            "2027-03-20",
            1800 * B,
            1420 * B,
            78,
        ),
        (
            "TAX-P02",
            "اتصال همه خدمات به درگاه ملی خدمات دولت هوشمند",
            "Connecting all services to the national smart services portal",
            "project",
            "completed",
            "2024-06-01",
            "2025-09-22",
            220 * B,
            205 * B,
            100,
        ),
        (
            "TAX-P03",
            "حذف مراجعه حضوری برای گواهی مفاصاحساب",
            "Clearance certificates without an office visit",
            "project",
            "in_progress",
            "2025-07-01",
            "2027-03-20",
            95 * B,
            61 * B,
            55,
        ),
        (
            "TAX-P04",
            "انتخاب پرونده‌های حسابرسی بر پایه مدیریت ریسک",
            "Risk-based selection of tax audits",
            "project",
            "planned",
            "2027-01-01",
            "2028-03-19",
            400 * B,
            0,
            0,
        ),
        (
            "TAX-P05",
            "نوسازی مرکز تماس ۱۵۲۶",
            "Renewing the 1526 call centre",
            "project",
            "completed",
            "2024-05-01",
            "2025-02-28",
            60 * B,
            58 * B,
            100,
        ),
    ],
)

CIVIL = Agency(
    id="civil-registration",
    name_fa="سازمان ثبت احوال (نمایشی)",
    name_en="Civil Registration Organization (demo)",
    parent="وزارت کشور (Ministry of Interior)",
    description_fa="دستگاه نمایشی و خیالی. ثبت ولادت و فوت، صدور شناسنامه و کارت هوشمند ملی.",
    description_en="A fictional demo agency. Registers births and deaths, issues birth certificates and smart national ID cards.",
    categories_note="",
    include_agency_id=False,  # its files leave agency_id out: the registry's agency fills it
    schedules={k: "30 3 * * 6" for k in FIELDS},  # weekly, Saturday
    services=[
        S(
            "SA-0101",
            "ثبت ولادت و صدور شناسنامه",
            "Birth registration and first birth certificate",
            "ثبت وقایع حیاتی",
            "citizens",
            "100-00",
            "",
            1,
            0,
            90_000,
            {"in_person": 0.60, "service_office": 0.40},
            "ثبت واقعه ولادت نوزاد و صدور نخستین شناسنامه و کد ملی در دفاتر ثبت احوال مستقر در بیمارستان‌ها یا ادارات.",
        ),
        S(
            "SA-0102",
            "ثبت واقعه فوت",
            "Death registration",
            "ثبت وقایع حیاتی",
            "citizens",
            "100-00",
            "",
            1,
            0,
            35_000,
            {"in_person": 0.80, "service_office": 0.20},
            "ثبت واقعه فوت بر اساس گواهی پزشک و ابطال شناسنامه متوفی.",
        ),
        S(
            "SA-0103",
            "صدور کارت هوشمند ملی",
            "Smart national ID card",
            "کارت ملی",
            "citizens",
            "110100",
            "P",
            30,
            2_000_000,
            250_000,
            {"online": 0.30, "service_office": 0.60, "in_person": 0.10},
            "پیش‌ثبت‌نام برخط، پرداخت هزینه و ثبت اطلاعات زیست‌سنجی در دفاتر پیشخوان برای صدور کارت هوشمند ملی.",
        ),
        S(
            "SA-0104",
            "تعویض شناسنامه",
            "Birth certificate replacement",
            "شناسنامه",
            "citizens",
            "110100",
            "",
            10,
            1_000_000,
            60_000,
            {"online": 0.10, "service_office": 0.55, "in_person": 0.35},
            "تعویض شناسنامه‌های قدیمی و بدون عکس با شناسنامه جدید.",
        ),
        S(
            "SA-0105",
            "صدور المثنی شناسنامه",
            "Duplicate birth certificate",
            "شناسنامه",
            "citizens",
            "100100",
            "",
            10,
            1_500_000,
            25_000,
            {"in_person": 0.50, "service_office": 0.50},
            "صدور شناسنامه المثنی به جای شناسنامه مفقود یا فرسوده.",
        ),
        S(
            "SA-0106",
            "تغییر نام و نام خانوادگی",
            "Change of first name or surname",
            "اصلاح اسناد",
            "citizens",
            "100-00",
            "",
            60,
            0,
            8_000,
            {"in_person": 0.80, "service_office": 0.20},
            "رسیدگی به درخواست تغییر نام کوچک یا نام خانوادگی در هیئت حل اختلاف ثبت احوال.",
        ),
        S(
            "SA-0107",
            "درج ازدواج و طلاق در شناسنامه",
            "Recording marriage and divorce",
            "ثبت وقایع حیاتی",
            "citizens",
            "100-00",
            "",
            3,
            0,
            45_000,
            {"service_office": 0.70, "in_person": 0.30},
            "ثبت واقعه ازدواج و طلاق در سامانه ثبت احوال و درج آن در شناسنامه زوجین.",
        ),
        S(
            "SA-0108",
            "استعلام وضعیت حیات",
            "Life status inquiry",
            "استعلام",
            "government",
            "1-1--1",
            "SPG",
            1,
            0,
            500_000,
            {"online": 0.95, "service_office": 0.05},
            "پاسخ برخط به استعلام دستگاه‌ها درباره زنده بودن یا فوت اشخاص از طریق گذرگاه خدمات دولت.",
            smart_1403=True,
        ),
        S(
            "SA-0109",
            "صدور گواهی تجرد",
            "Certificate of single status",
            "گواهی",
            "citizens",
            "100100",
            "",
            3,
            300_000,
            12_000,
            {"in_person": 0.60, "service_office": 0.40},
            "صدور گواهی عدم ثبت ازدواج برای متقاضیان داخل و خارج کشور.",
        ),
        S(
            "SA-0110",
            "ثبت ولادت اتباع خارجی",
            "Birth registration of foreign nationals",
            "ثبت وقایع حیاتی",
            "foreign_nationals",
            "100-00",
            "",
            7,
            0,
            4_000,
            {"in_person": 0.90, "other": 0.10},
            "ثبت ولادت فرزندان اتباع خارجی متولدشده در ایران و صدور گواهی ولادت.",
        ),
        S(
            "SA-0111",
            "اصلاح تاریخ تولد",
            "Correction of date of birth",
            "اصلاح اسناد",
            "citizens",
            "100-00",
            "",
            90,
            0,
            3_000,
            {"in_person": 0.90, "mail": 0.10},
            "رسیدگی به درخواست اصلاح تاریخ تولد مندرج در شناسنامه با ارائه مدارک مثبته.",
        ),
        S(
            "SA-0112",
            "استعلام تطبیق کد ملی و مشخصات هویتی",
            "National ID and identity match inquiry",
            "استعلام",
            "government",
            "1-1--1",
            "",
            1,
            0,
            300_000,
            {"online": 0.90, "in_person": 0.10},
            "تطبیق کد ملی با نام، نام خانوادگی و تاریخ تولد برای دستگاه‌های متقاضی؛ هنوز با اتصال نقطه به نقطه و بدون گذرگاه خدمات دولت.",
        ),
    ],
    activities=[
        (
            "SA-P01",
            "صدور کارت هوشمند ملی برای جاماندگان",
            "Smart ID cards for pending applicants",
            "project",
            "in_progress",
            "2023-09-23",
            "2025-09-22",
            3500 * B,
            4100 * B,
            64,
        ),
        (
            "SA-P02",
            "اتصال خدمات ثبت احوال به گذرگاه خدمات دولت",
            "Connecting civil-registration services to the GSB",
            "project",
            "in_progress",
            "2024-03-20",
            "2026-03-20",
            180 * B,
            150 * B,
            22,
        ),
        (
            "SA-P03",
            "شناسنامه الکترونیک",
            "Electronic birth certificate",
            "programme",
            "planned",
            "2026-03-21",
            "2028-03-19",
            900 * B,
            0,
            0,
        ),
        (
            "SA-P04",
            "ثبت برخط ولادت در بیمارستان‌ها",
            "Online birth registration in hospitals",
            "project",
            "cancelled",
            "2024-06-01",
            "2025-06-01",
            120 * B,
            35 * B,
            15,
        ),
    ],
)

SOCIAL = Agency(
    id="social-security",
    name_fa="سازمان تأمین اجتماعی (نمایشی)",
    name_en="Social Security Organization (demo)",
    parent="وزارت تعاون، کار و رفاه اجتماعی (Ministry of Cooperatives, Labour and Social Welfare)",
    description_fa="دستگاه نمایشی و خیالی. بیمه کارگران و کارفرمایان، مستمری بازنشستگی و مقرری‌ها.",
    description_en="A fictional demo agency. Insures workers and employers, pays pensions and benefits.",
    categories_note="",
    schedules={
        "services": "15 2 * * 0",
        "service_performance": "15 2 * * *",
        "service_standards": "15 2 * * *",
        "activities": "15 2 * * 0",
        "targets": "15 2 * * 0",
    },
    services=[
        S(
            "TA-0101",
            "استعلام سوابق بیمه‌ای",
            "Insurance record inquiry",
            "استعلام و گواهی",
            "citizens",
            "1-1--1",
            "SPG",
            1,
            0,
            400_000,
            {"online": 0.85, "service_office": 0.10, "in_person": 0.05},
            "مشاهده سوابق پرداخت حق بیمه، تعداد روزها و کارگاه‌ها با کد ملی از طریق سامانه خدمات غیرحضوری.",
            smart_1403=True,
        ),
        S(
            "TA-0102",
            "ارسال لیست حق بیمه کارفرمایان",
            "Employer contribution list submission",
            "کارفرمایان",
            "businesses",
            "111111",
            "SPG",
            1,
            0,
            600_000,
            {"online": 0.95, "service_office": 0.05},
            "ارسال ماهانه فهرست بیمه‌شدگان و دستمزد کارگاه و پرداخت حق بیمه.",
            smart_1403=True,
        ),
        S(
            "TA-0103",
            "درخواست مستمری بازنشستگی",
            "Retirement pension application",
            "مستمری",
            "citizens",
            "110-00",
            "P",
            30,
            0,
            25_000,
            {"online": 0.30, "in_person": 0.70},
            "بررسی سوابق و شرایط سنی بیمه‌شده و برقراری مستمری بازنشستگی.",
        ),
        S(
            "TA-0104",
            "درخواست مقرری بیمه بیکاری",
            "Unemployment benefit application",
            "مقرری و کمک‌هزینه",
            "citizens",
            "110-00",
            "P",
            20,
            0,
            30_000,
            {"online": 0.50, "in_person": 0.50},
            "ثبت درخواست مقرری بیکاری برای بیمه‌شدگانی که بدون اراده خود بیکار شده‌اند.",
        ),
        S(
            "TA-0105",
            "پرداخت غرامت دستمزد ایام بیماری",
            "Sick-pay compensation",
            "مقرری و کمک‌هزینه",
            "citizens",
            "110-00",
            "",
            15,
            0,
            80_000,
            {"online": 0.40, "in_person": 0.50, "service_office": 0.10},
            "پرداخت غرامت دستمزد روزهای استراحت پزشکی تأییدشده به بیمه‌شده.",
        ),
        S(
            "TA-0106",
            "تمدید اعتبار بیمه درمان",
            "Health cover renewal",
            "درمان",
            "citizens",
            "111-11",
            "SPG",
            1,
            0,
            150_000,
            {"online": 0.90, "in_person": 0.10},
            "تمدید خودکار اعتبار درمانی بیمه‌شدگان و افراد تحت تکفل بر پایه سوابق پرداخت.",
            smart_1403=True,
        ),
        S(
            "TA-0107",
            "ثبت‌نام بیمه مشاغل آزاد",
            "Self-employed insurance enrolment",
            "بیمه‌پردازی",
            "citizens",
            "111100",
            "P",
            10,
            0,
            20_000,
            {"online": 0.40, "in_person": 0.40, "service_office": 0.20},
            "عقد قرارداد بیمه اختیاری یا مشاغل آزاد برای افراد فاقد کارفرما.",
        ),
        S(
            "TA-0108",
            "صدور مفاصاحساب کارفرما",
            "Employer clearance certificate",
            "کارفرمایان",
            "businesses",
            "111100",
            "PG",
            10,
            0,
            40_000,
            {"online": 0.50, "in_person": 0.50},
            "صدور مفاصاحساب حق بیمه قراردادهای پیمانکاری و کارگاه‌ها برای آزادسازی سپرده‌ها.",
        ),
        S(
            "TA-0109",
            "کمک‌هزینه ازدواج",
            "Marriage grant",
            "مقرری و کمک‌هزینه",
            "citizens",
            "110-00",
            "",
            15,
            0,
            15_000,
            {"online": 0.60, "in_person": 0.40},
            "پرداخت کمک‌هزینه ازدواج به بیمه‌شدگان واجد شرایط.",
        ),
        S(
            "TA-0110",
            "وام ضروری بازنشستگان",
            "Emergency loan for pensioners",
            "مستمری",
            "citizens",
            "111-11",
            "SPG",
            15,
            0,
            50_000,
            {"online": 0.90, "in_person": 0.10},
            "ثبت‌نام برخط و اعطای وام ضروری به مستمری‌بگیران با کسر اقساط از مستمری.",
        ),
        S(
            "TA-0111",
            "گواهی کسر از حقوق مستمری‌بگیران",
            "Pension deduction certificate",
            "استعلام و گواهی",
            "citizens",
            "111-01",
            "P",
            2,
            0,
            35_000,
            {"online": 0.70, "in_person": 0.30},
            "صدور گواهی کسر اقساط از مستمری برای معرفی به بانک‌ها و مؤسسات اعتباری.",
        ),
        S(
            "TA-0112",
            "شکایت از عدم پرداخت حق بیمه توسط کارفرما",
            "Complaint about an employer not paying contributions",
            "بازرسی",
            "citizens",
            "110-00",
            "",
            30,
            0,
            6_000,
            {"online": 0.30, "in_person": 0.50, "phone": 0.20},
            "رسیدگی به شکایت کارگرانی که کارفرما برای آنان حق بیمه نپرداخته است.",
        ),
        S(
            "TA-0113",
            "کمک‌هزینه کفن و دفن",
            "Funeral allowance",
            "مقرری و کمک‌هزینه",
            "citizens",
            "100-00",
            "",
            10,
            0,
            9_000,
            {"in_person": 0.80, "service_office": 0.20},
            "پرداخت کمک‌هزینه کفن و دفن به بازماندگان بیمه‌شده یا مستمری‌بگیر متوفی.",
        ),
        S(
            "TA-0114",
            "پیگیری درخواست‌ها از مرکز تماس",
            "Request follow-up via the call centre",
            "ارتباط با مردم",
            "citizens",
            "1-1--1",
            "P",
            1,
            0,
            200_000,
            {"phone": 0.70, "online": 0.30},
            "پاسخگویی و پیگیری وضعیت درخواست‌ها از طریق مرکز تماس و سامانه پیگیری.",
        ),
        S(
            "TA-0115",
            "صدور کد کارگاه",
            "Workplace registration code",
            "کارفرمایان",
            "businesses",
            "111-11",
            "SPG",
            3,
            0,
            18_000,
            {"online": 0.85, "service_office": 0.15},
            "ثبت کارگاه جدید و تخصیص کد کارگاه برای ارسال لیست بیمه.",
            smart_1403=True,
        ),
        S(
            "TA-0116",
            "تشخیص ازکارافتادگی کلی",
            "Total disability assessment",
            "مستمری",
            "citizens",
            "100-00",
            "",
            60,
            0,
            4_000,
            {"in_person": 0.85, "mail": 0.15},
            "ارجاع بیمه‌شده به کمیسیون پزشکی برای تشخیص ازکارافتادگی کلی و برقراری مستمری.",
        ),
    ],
    activities=[
        (
            "TA-P01",
            "سامانه یکپارچه خدمات غیرحضوری",
            "Unified no-visit services system",
            "programme",
            "in_progress",
            "2024-03-20",
            "2026-09-22",
            1200 * B,
            980 * B,
            70,
        ),
        (
            "TA-P02",
            "نوسازی مرکز تماس ۱۴۲۰",
            "Renewing the 1420 call centre",
            "project",
            "in_progress",
            "2025-05-01",
            "2026-12-31",
            140 * B,
            90 * B,
            40,
        ),
        (
            "TA-P03",
            "برقراری خودکار مستمری بازنشستگی",
            "Automatic award of retirement pensions",
            "project",
            "planned",
            "2026-12-22",
            "2027-12-21",
            300 * B,
            0,
            0,
        ),
        (
            "TA-P04",
            "نظرسنجی برخط پس از هر خدمت",
            "Online satisfaction survey after every service",
            "project",
            "completed",
            "2024-09-01",
            "2025-03-19",
            25 * B,
            24 * B,
            100,
        ),
        (
            "TA-P05",
            "انتقال داده‌های درمان به پرونده الکترونیک سلامت",
            "Moving health-cover data to the electronic health record",
            "project",
            "cancelled",
            "2024-10-01",
            "2025-10-01",
            210 * B,
            40 * B,
            18,
        ),
    ],
)

CUSTOMS = Agency(
    id="customs",
    name_fa="گمرک ایران (نمایشی)",
    name_en="Customs Administration (demo)",
    parent="وزارت امور اقتصادی و دارایی (Ministry of Economic Affairs and Finance)",
    description_fa="دستگاه نمایشی و خیالی. اظهار و ترخیص کالا، ترانزیت و وصول حقوق ورودی.",
    description_en="A fictional demo agency. Declares and clears goods, supervises transit and collects import duties.",
    categories_note="",
    schedules={k: "0 4 1 * *" for k in FIELDS},  # monthly
    services=[
        S(
            "GM-0101",
            "اظهار کالای وارداتی",
            "Import declaration",
            "اظهار و ترخیص",
            "businesses",
            "111111",
            "SPG",
            3,
            0,
            30_000,
            {"online": 0.90, "service_office": 0.10},
            "ثبت اظهارنامه واردات در سامانه جامع گمرکی، ارزیابی و ترخیص کالا.",
            smart_1403=True,
        ),
        S(
            "GM-0102",
            "اظهار کالای صادراتی",
            "Export declaration",
            "اظهار و ترخیص",
            "businesses",
            "111111",
            "SPG",
            2,
            0,
            25_000,
            {"online": 0.90, "service_office": 0.10},
            "ثبت اظهارنامه صادرات، بازرسی و صدور پروانه صادراتی.",
            smart_1403=True,
        ),
        S(
            "GM-0103",
            "ترخیص کالای همراه مسافر",
            "Clearance of passengers' goods",
            "مسافری",
            "citizens",
            "100100",
            "",
            1,
            0,
            60_000,
            {"in_person": 0.95, "online": 0.05},
            "ترخیص کالاهای همراه مسافران ورودی مازاد بر معافیت با پرداخت حقوق ورودی.",
        ),
        S(
            "GM-0104",
            "استرداد حقوق ورودی",
            "Duty drawback",
            "پرداخت",
            "businesses",
            "111-00",
            "P",
            30,
            0,
            1_500,
            {"online": 0.60, "in_person": 0.40},
            "استرداد حقوق ورودی مواد اولیه به کاررفته در کالاهای صادرشده.",
        ),
        S(
            "GM-0105",
            "ترانزیت خارجی کالا",
            "Transit of foreign goods",
            "ترانزیت",
            "businesses",
            "111110",
            "PG",
            2,
            0,
            12_000,
            {"online": 0.70, "in_person": 0.30},
            "صدور پروانه و نظارت بر عبور کالای خارجی از قلمرو کشور.",
        ),
        S(
            "GM-0106",
            "استعلام وضعیت اظهارنامه",
            "Declaration status inquiry",
            "استعلام",
            "businesses",
            "1-1--1",
            "SPG",
            1,
            0,
            80_000,
            {"online": 0.90, "phone": 0.10},
            "پیگیری برخط مرحله رسیدگی اظهارنامه و پروانه گمرکی.",
            smart_1403=True,
        ),
        S(
            "GM-0107",
            "ورود موقت کالا برای پردازش",
            "Temporary admission for processing",
            "اظهار و ترخیص",
            "businesses",
            "111100",
            "P",
            10,
            0,
            1_200,
            {"online": 0.50, "in_person": 0.50},
            "ورود موقت مواد اولیه برای تولید کالای صادراتی با سپردن تضمین.",
        ),
        S(
            "GM-0108",
            "اعتراض به ارزش گمرکی",
            "Customs valuation appeal",
            "اظهار و ترخیص",
            "businesses",
            "110-00",
            "",
            20,
            0,
            3_000,
            {"online": 0.40, "in_person": 0.60},
            "رسیدگی به اعتراض صاحب کالا به ارزش یا تعرفه تعیین‌شده در کمیسیون رسیدگی به اختلافات.",
        ),
        S(
            "GM-0109",
            "صدور پروانه حق‌العمل‌کاری",
            "Customs broker licence",
            "مجوزها",
            "businesses",
            "110100",
            "",
            30,
            20_000_000,
            150,
            {"in_person": 0.70, "online": 0.30},
            "صدور و تمدید پروانه حق‌العمل‌کاران (کارگزاران گمرکی).",
        ),
        S(
            "GM-0110",
            "ورود موقت خودروی گردشگران خارجی",
            "Temporary import of tourists' vehicles",
            "مسافری",
            "foreign_nationals",
            "100000",
            "",
            1,
            0,
            2_000,
            {"in_person": 0.90, "other": 0.10},
            "ثبت ورود موقت خودروی گردشگران خارجی با کارنه دوپاساژ یا سپردن تضمین.",
        ),
        S(
            "GM-0111",
            "پرداخت الکترونیکی حقوق ورودی",
            "Online payment of import duties",
            "پرداخت",
            "businesses",
            "1111-1",
            "SPG",
            1,
            0,
            28_000,
            {"online": 0.95, "in_person": 0.05},
            "پرداخت برخط حقوق ورودی، عوارض و مالیات کالا از درگاه بانکی سامانه جامع گمرکی.",
            smart_1403=True,
        ),
        S(
            "GM-0112",
            "استعلام تعرفه و حقوق ورودی",
            "Tariff and duty inquiry",
            "استعلام",
            "businesses",
            "1-1--1",
            "SPG",
            1,
            0,
            50_000,
            {"online": 0.85, "phone": 0.15},
            "محاسبه حقوق ورودی و مشاهده مجوزهای لازم بر پایه کد تعرفه کالا.",
        ),
        S(
            "GM-0113",
            "صدور گواهی خروج کالا",
            "Export exit certificate",
            "اظهار و ترخیص",
            "businesses",
            "111101",
            "PG",
            3,
            0,
            20_000,
            {"online": 0.70, "in_person": 0.30},
            "صدور گواهی خروج قطعی کالای صادراتی برای رفع تعهد ارزی.",
        ),
        S(
            "GM-0114",
            "ترخیص کالای ملوانی و مرزنشینی",
            "Clearance of sailors' and border residents' goods",
            "مسافری",
            "citizens",
            "100100",
            "",
            2,
            0,
            8_000,
            {"in_person": 0.90, "service_office": 0.10},
            "ترخیص کالای مجاز ملوانان و ساکنان مناطق مرزی در سقف سهمیه.",
        ),
    ],
    activities=[
        (
            "GM-P01",
            "توسعه سامانه جامع گمرکی (پنجره واحد)",
            "Single-window customs system",
            "programme",
            "in_progress",
            "2023-03-21",
            "2025-12-21",
            2500 * B,
            2300 * B,
            85,
        ),
        (
            "GM-P02",
            "گمرک بدون کاغذ در مرزهای زمینی",
            "Paperless customs at land borders",
            "project",
            "in_progress",
            "2024-06-21",
            "2025-12-21",
            380 * B,
            260 * B,
            60,
        ),
        (
            "GM-P03",
            "نصب اسکنرهای کانتینری در بنادر جنوبی",
            "Container scanners in the southern ports",
            "project",
            "completed",
            "2023-05-22",
            "2025-01-20",
            1600 * B,
            1650 * B,
            100,
        ),
        (
            "GM-P04",
            "ترخیص هوشمند بر پایه مدیریت ریسک",
            "Risk-based smart clearance",
            "project",
            "planned",
            "2025-09-23",
            "2026-09-22",
            450 * B,
            0,
            0,
        ),
    ],
)

POST = Agency(
    id="post",
    name_fa="شرکت ملی پست (نمایشی)",
    name_en="National Post Company (demo)",
    parent="وزارت ارتباطات و فناوری اطلاعات (Ministry of Information and Communications Technology)",
    description_fa="دستگاه نمایشی و خیالی. پذیرش و توزیع مرسولات، کد پستی و تحویل مدارک دولتی.",
    description_en="A fictional demo agency. Accepts and delivers mail and parcels, runs postal codes and delivers government documents.",
    categories_note="",
    include_agency_id=False,
    schedules={k: "0 5 * * 0" for k in FIELDS},  # weekly, Sunday
    services=[
        S(
            "31001",
            "قبول و ارسال مرسوله پیشتاز",
            "Express parcel acceptance",
            "مرسولات",
            "citizens",
            "111100",
            "P",
            2,
            600_000,
            900_000,
            {"in_person": 0.70, "service_office": 0.20, "online": 0.10},
            "پذیرش و ارسال مرسولات پیشتاز داخلی با تحویل یک تا سه روز کاری.",
        ),
        S(
            "31002",
            "ارسال مرسوله سفارشی",
            "Registered mail",
            "مرسولات",
            "citizens",
            "100100",
            "",
            5,
            250_000,
            600_000,
            {"in_person": 0.75, "service_office": 0.25},
            "پذیرش و ارسال نامه و بسته سفارشی با رسید و امکان رهگیری.",
        ),
        S(
            "31003",
            "رهگیری مرسولات پستی",
            "Parcel tracking",
            "مرسولات",
            "citizens",
            "1-1--1",
            "SPG",
            1,
            0,
            3_000_000,
            {"online": 0.90, "phone": 0.10},
            "مشاهده آخرین وضعیت مرسوله با کد رهگیری از طریق وبگاه، پیامک و مرکز تماس.",
            smart_1403=True,
        ),
        S(
            "31004",
            "استعلام کد پستی",
            "Postal code lookup",
            "کد پستی",
            "citizens",
            "1-1--1",
            "SPG",
            1,
            0,
            700_000,
            {"online": 0.95, "service_office": 0.05},
            "استعلام کد پستی ده‌رقمی و نشانی مکان‌محور برای شهروندان و دستگاه‌ها.",
            smart_1403=True,
        ),
        S(
            "31005",
            "صدور گواهی کد پستی",
            "Postal code certificate",
            "کد پستی",
            "citizens",
            "111111",
            "SPG",
            2,
            350_000,
            150_000,
            {"online": 0.80, "service_office": 0.20},
            "صدور گواهی کد پستی و نشانی برای ارائه به دستگاه‌ها، بانک‌ها و دفاتر اسناد رسمی.",
        ),
        S(
            "31006",
            "پست یافته",
            "Lost documents return (Post Yafteh)",
            "مرسولات",
            "citizens",
            "110-00",
            "",
            15,
            0,
            40_000,
            {"in_person": 0.50, "online": 0.50},
            "بازگرداندن مدارک هویتی گمشده‌ای که در صندوق‌های پست انداخته می‌شود به صاحبان آنها.",
        ),
        S(
            "31007",
            "اجاره صندوق پستی",
            "PO box rental",
            "خدمات جانبی",
            "citizens",
            "110100",
            "",
            3,
            3_000_000,
            3_000,
            {"in_person": 0.80, "online": 0.20},
            "اجاره سالانه صندوق پستی در دفاتر پست برای اشخاص و شرکت‌ها.",
        ),
        S(
            "31008",
            "قرارداد ارسال مرسولات سازمانی",
            "Corporate mailing contract",
            "خدمات جانبی",
            "businesses",
            "110000",
            "",
            10,
            0,
            1_500,
            {"in_person": 0.60, "online": 0.40},
            "عقد قرارداد ارسال انبوه و مرسولات سازمانی با تخفیف حجمی برای کسب‌وکارها.",
        ),
        S(
            "31009",
            "ارسال مرسولات بین‌المللی",
            "International parcels",
            "مرسولات",
            "citizens",
            "100100",
            "",
            10,
            4_500_000,
            60_000,
            {"in_person": 0.90, "service_office": 0.10},
            "پذیرش و ارسال نامه و بسته به مقصد کشورهای دیگر.",
        ),
        S(
            "31010",
            "ترخیص مرسولات پستی وارده",
            "Clearance of incoming international parcels",
            "مرسولات",
            "citizens",
            "110100",
            "",
            7,
            500_000,
            50_000,
            {"in_person": 0.60, "online": 0.40},
            "تحویل بسته‌های پستی رسیده از خارج پس از تشریفات گمرکی.",
        ),
        S(
            "31011",
            "جمع‌آوری مرسوله از محل",
            "Doorstep parcel pickup",
            "مرسولات",
            "citizens",
            "111100",
            "P",
            1,
            150_000,
            120_000,
            {"online": 0.70, "phone": 0.30},
            "ثبت درخواست جمع‌آوری مرسوله از منزل یا محل کار و ارسال آن.",
        ),
        S(
            "31012",
            "ثبت شکایت و پیگیری خسارت مرسوله",
            "Complaints and damage claims",
            "ارتباط با مردم",
            "citizens",
            "110-00",
            "",
            15,
            0,
            25_000,
            {"online": 0.40, "phone": 0.30, "in_person": 0.30},
            "ثبت شکایت درباره تأخیر، آسیب یا گم شدن مرسوله و پرداخت غرامت.",
        ),
        S(
            "31013",
            "توزیع کارت‌ها و مدارک دولتی",
            "Delivery of government cards and documents",
            "خدمات دولتی",
            "government",
            "1-1--1",
            "SPG",
            5,
            0,
            400_000,
            {"mail": 0.90, "in_person": 0.10},
            "تحویل کارت ملی، گواهینامه، گذرنامه و سایر مدارک صادرشده دستگاه‌ها به نشانی متقاضی.",
        ),
        S(
            "31014",
            "فروش تمبر و اقلام پستی",
            "Stamps and postal items",
            "خدمات جانبی",
            "citizens",
            "100100",
            "",
            1,
            100_000,
            20_000,
            {"in_person": 0.70, "online": 0.30},
            "فروش تمبر، پاکت، بسته‌بندی و محصولات یادبود در دفاتر پست و فروشگاه اینترنتی.",
        ),
    ],
    activities=[
        (
            "1403-007",
            "نشانی مکان‌محور و کد پستی مکانی",
            "Location-based addressing (geo postal codes)",
            "project",
            "in_progress",
            "1403/04/01",
            "1405/12/29",
            650 * B,
            410 * B,
            58,
        ),
        (
            "1404-002",
            "توسعه صندوق‌های هوشمند تحویل مرسوله",
            "Smart parcel lockers",
            "project",
            "in_progress",
            "1404/01/15",
            "1405/06/31",
            230 * B,
            120 * B,
            45,
        ),
        (
            "1402-011",
            "سامانه یکپارچه رهگیری مرسولات",
            "Unified parcel tracking system",
            "project",
            "completed",
            "1402/10/01",
            "1403/12/15",
            140 * B,
            133 * B,
            100,
        ),
        (
            "1405-004",
            "اتصال دفاتر ICT روستایی به درگاه ملی",
            "Connecting rural ICT offices to the national portal",
            "programme",
            "planned",
            "1405/10/01",
            "1406/12/29",
            300 * B,
            0,
            0,
        ),
        (
            "1403-012",
            "ناوگان موتورسیکلت برقی توزیع",
            "Electric delivery motorcycles",
            "project",
            "cancelled",
            "1403/07/01",
            "1404/06/31",
            500 * B,
            60 * B,
            10,
        ),
    ],
)

HEALTH = Agency(
    id="health-insurance",
    name_fa="سازمان بیمه سلامت (نمایشی)",
    name_en="Health Insurance Organization (demo)",
    parent="وزارت تعاون، کار و رفاه اجتماعی (Ministry of Cooperatives, Labour and Social Welfare)",
    description_fa="دستگاه نمایشی و خیالی. بیمه درمان همگانی، روستاییان و عشایر، نسخه الکترونیک و پزشک خانواده.",
    description_en="A fictional demo agency. Universal, rural and nomadic health insurance, e-prescriptions and the family-doctor programme.",
    categories_note="",
    schedules={
        "services": "0 3 * * 6",
        "service_performance": "0 3 5 * *",
        "service_standards": "0 3 5 * *",
        "activities": "0 3 * * 6",
        "targets": "0 3 5 * *",
    },
    services=[
        S(
            "BS-0101",
            "ثبت‌نام بیمه سلامت همگانی",
            "Universal health insurance enrolment",
            "عضویت و بیمه‌نامه",
            "citizens",
            "111-11",
            "SPG",
            2,
            0,
            90_000,
            {"online": 0.70, "service_office": 0.20, "in_person": 0.10},
            "ثبت‌نام افراد فاقد پوشش بیمه درمانی در صندوق بیمه سلامت همگانی با استعلام خودکار هویت و سوابق.",
            smart_1403=True,
        ),
        S(
            "BS-0102",
            "تمدید اعتبار بیمه‌نامه",
            "Policy renewal",
            "عضویت و بیمه‌نامه",
            "citizens",
            "111111",
            "SPG",
            1,
            0,
            120_000,
            {"online": 0.80, "service_office": 0.20},
            "تمدید سالانه اعتبار بیمه‌نامه و پرداخت برخط حق سرانه.",
            smart_1403=True,
        ),
        S(
            "BS-0103",
            "نسخه‌نویسی الکترونیک",
            "Electronic prescribing",
            "درمان",
            "citizens",
            "1-1--1",
            "SPG",
            1,
            0,
            2_000_000,
            {"online": 0.95, "in_person": 0.05},
            "ثبت نسخه الکترونیک توسط پزشک و دریافت دارو و خدمات با کد ملی بدون دفترچه کاغذی.",
            smart_1403=True,
        ),
        S(
            "BS-0104",
            "استعلام سوابق بیمه ای",
            "Insurance history inquiry",
            "استعلام",
            "citizens",
            "1-1--1",
            "",
            2,
            0,
            30_000,
            {"online": 0.60, "in_person": 0.40},
            "مشاهده سوابق عضویت و پوشش بیمه درمانی با کد ملی.",
        ),
        S(
            "BS-0105",
            "استعلام  وضعیت حیات",
            "Life status check",
            "استعلام",
            "government",
            "1-1--1",
            "",
            1,
            0,
            80_000,
            {"online": 0.90, "service_office": 0.10},
            "بررسی زنده بودن بیمه‌شدگان برای جلوگیری از پرداخت به نام اشخاص فوت‌شده؛ با اتصال مستقیم به ثبت احوال.",
        ),
        S(
            "BS-0106",
            "بازپرداخت هزینه‌های درمان",
            "Reimbursement of medical expenses",
            "خسارت و بازپرداخت",
            "citizens",
            "110-00",
            "",
            30,
            0,
            40_000,
            {"in_person": 0.60, "online": 0.30, "service_office": 0.10},
            "رسیدگی به اسناد هزینه درمان‌های پرداخت‌شده توسط بیمه‌شده و بازپرداخت سهم سازمان.",
        ),
        S(
            "BS-0107",
            "صدور معرفی‌نامه بستری",
            "Hospital admission referral",
            "درمان",
            "citizens",
            "110-01",
            "",
            1,
            0,
            35_000,
            {"in_person": 0.60, "online": 0.40},
            "صدور معرفی‌نامه برای بستری در بیمارستان‌های طرف قرارداد.",
        ),
        S(
            "BS-0108",
            "تغییر پزشک خانواده",
            "Change of family doctor",
            "درمان",
            "citizens",
            "111-11",
            "SPG",
            3,
            0,
            25_000,
            {"online": 0.75, "in_person": 0.15, "phone": 0.10},
            "انتخاب یا تغییر پزشک خانواده در سامانه برنامه پزشک خانواده.",
        ),
        S(
            "BS-0109",
            "بیمه درمان اتباع خارجی",
            "Health insurance for foreign nationals",
            "عضویت و بیمه‌نامه",
            "foreign_nationals",
            "100100",
            "",
            7,
            12_000_000,
            5_000,
            {"in_person": 0.90, "service_office": 0.10},
            "ثبت‌نام اتباع خارجی دارای مدرک اقامت معتبر در بیمه درمان.",
        ),
        S(
            "BS-0110",
            "عقد قرارداد با مراکز درمانی",
            "Contracting with healthcare providers",
            "مراکز طرف قرارداد",
            "businesses",
            "110-00",
            "",
            60,
            0,
            400,
            {"in_person": 0.50, "online": 0.50},
            "بررسی درخواست مطب‌ها، داروخانه‌ها و مراکز درمانی و عقد قرارداد همکاری.",
        ),
        S(
            "BS-0111",
            "رسیدگی به اسناد مراکز طرف قرارداد",
            "Processing providers' claims",
            "مراکز طرف قرارداد",
            "businesses",
            "111-10",
            "PG",
            45,
            0,
            15_000,
            {"online": 0.85, "in_person": 0.15},
            "رسیدگی به اسناد پزشکی ارسالی مراکز طرف قرارداد و پرداخت مطالبات آنها.",
        ),
        S(
            "BS-0112",
            "ثبت شکایت بیمه‌شدگان",
            "Insured persons' complaints",
            "ارتباط با مردم",
            "citizens",
            "110-00",
            "",
            15,
            0,
            8_000,
            {"phone": 0.50, "online": 0.30, "in_person": 0.20},
            "ثبت و پیگیری شکایت بیمه‌شدگان از مراکز درمانی یا دریافت وجه اضافی.",
        ),
        S(
            "BS-0113",
            "صدور گواهی پوشش بیمه‌ای",
            "Certificate of insurance coverage",
            "استعلام",
            "citizens",
            "111111",
            "SPG",
            1,
            200_000,
            18_000,
            {"online": 0.85, "service_office": 0.15},
            "صدور گواهی اعتبار و دوره پوشش بیمه درمانی برای ارائه به دستگاه‌ها و سفارتخانه‌ها.",
        ),
        S(
            "BS-0114",
            "بیمه روستاییان و عشایر",
            "Rural and nomadic insurance",
            "عضویت و بیمه‌نامه",
            "citizens",
            "100-00",
            "",
            7,
            0,
            20_000,
            {"service_office": 0.70, "in_person": 0.30},
            "ثبت‌نام و تمدید بیمه درمان ساکنان روستاها، عشایر و شهرهای زیر بیست هزار نفر.",
        ),
        S(
            "BS-0115",
            "پوشش بیماران خاص و صعب‌العلاج",
            "Cover for special and rare diseases",
            "درمان",
            "citizens",
            "110-00",
            "",
            20,
            0,
            6_000,
            {"in_person": 0.80, "online": 0.20},
            "ثبت بیماران خاص و صعب‌العلاج در سامانه و برقراری پوشش کامل هزینه‌های درمان.",
        ),
    ],
    activities=[
        (
            "BS-P01",
            "نسخه الکترونیک سراسری",
            "Nationwide electronic prescriptions",
            "programme",
            "completed",
            "2023-03-21",
            "2025-03-20",
            850 * B,
            820 * B,
            100,
        ),
        (
            "BS-P02",
            "برنامه پزشک خانواده و نظام ارجاع شهری",
            "Urban family doctor and referral programme",
            "programme",
            "in_progress",
            "2025-03-21",
            "2027-03-20",
            2200 * B,
            1100 * B,
            47,
        ),
        (
            "BS-P03",
            "انتقال استعلام وضعیت حیات به گذرگاه خدمات دولت",
            "Moving life-status checks to the GSB",
            "project",
            "planned",
            "2026-12-22",
            "2027-06-21",
            40 * B,
            0,
            0,
        ),
        (
            "BS-P04",
            "پرونده الکترونیک سلامت بیمه‌شدگان",
            "Electronic health records for the insured",
            "project",
            "in_progress",
            "2024-09-22",
            "2026-12-21",
            600 * B,
            390 * B,
            66,
        ),
    ],
)

AGENCIES = [TAX, CIVIL, SOCIAL, CUSTOMS, POST, HEALTH]

# --------------------------------------------------------------------------------------
# how each agency performs (the stories)
# --------------------------------------------------------------------------------------
# Gregorian-month seasonality; Nowruz (late March - early April) is a dip almost everywhere.
SEASON = {
    "tax": {3: 0.85, 4: 0.80, 5: 1.15, 6: 1.35, 7: 1.20},  # returns due by end of Khordad/Tir
    "civil-registration": {3: 0.80, 4: 0.85, 8: 1.05, 9: 1.10},
    "social-security": {3: 0.85, 4: 0.85},
    "customs": {3: 0.80, 4: 0.85, 12: 1.10},
    "post": {2: 1.15, 3: 1.10, 4: 0.80, 11: 1.10, 12: 1.05},  # pre-Nowruz and autumn sales
    "health-insurance": {1: 1.08, 2: 1.05, 3: 0.85, 4: 0.90, 12: 1.08},
}

CH_SAT = {"online": 3, "service_office": 0, "in_person": -4, "phone": -2, "mail": -1, "kiosk": 0, "other": 0}
CH_DAYS = {
    "online": 0.6,
    "service_office": 0.85,
    "in_person": 0.9,
    "phone": 0.7,
    "mail": 1.1,
    "kiosk": 0.8,
    "other": 0.9,
}
CH_COST = {
    "online": 35_000,
    "service_office": 180_000,
    "in_person": 520_000,
    "phone": 90_000,
    "mail": 140_000,
    "kiosk": 60_000,
    "other": 150_000,
}
CH_COMPLAINTS = {
    "online": 0.8,
    "service_office": 1.0,
    "in_person": 1.25,
    "phone": 1.1,
    "mail": 1.0,
    "kiosk": 1.0,
    "other": 1.0,
}


def lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def profile(agency_id: str, t: float) -> dict:
    """Agency-wide levels at time t (0 = 2024-11, 1 = 2026-10)."""
    p = {
        "tax": dict(
            online_shift=lerp(-0.14, 0.06, t),
            completion=0.97,
            within=lerp(0.91, 0.95, t),
            satisfaction=lerp(81, 85, t),
            cpk=lerp(1.0, 0.6, t),
            availability=99.6,
            growth=0.04,
        ),
        "civil-registration": dict(
            online_shift=0.0, completion=0.90, within=0.79, satisfaction=63, cpk=4.0, availability=97.6, growth=0.01
        ),
        "social-security": dict(
            online_shift=lerp(-0.02, 0.03, t),
            completion=lerp(0.95, 0.90, t),
            within=lerp(0.86, 0.64, t),
            satisfaction=lerp(78, 53, t),
            cpk=lerp(2.0, 10.0, t),
            availability=lerp(99.4, 97.2, t),
            growth=0.03,
        ),
        "customs": dict(
            online_shift=lerp(-0.02, 0.02, t),
            completion=0.95,
            within=0.80,
            satisfaction=70,
            cpk=3.0,
            availability=98.9,
            growth=0.02,
        ),
        "post": dict(
            online_shift=lerp(-0.03, 0.03, t),
            completion=0.985,
            within=0.88,
            satisfaction=74,
            cpk=2.2,
            availability=99.2,
            growth=0.06,
        ),
        "health-insurance": dict(
            online_shift=lerp(-0.02, 0.03, t),
            completion=0.94,
            within=0.83,
            satisfaction=76,
            cpk=2.5,
            availability=99.3,
            growth=0.03,
        ),
    }[agency_id]
    return p


def channel_shares(base: dict[str, float], shift: float) -> dict[str, float]:
    if "online" not in base or len(base) == 1 or shift == 0:
        return dict(base)
    on = min(0.98, max(0.02, base["online"] + shift))
    rest = 1 - base["online"]
    scale = (1 - on) / rest if rest else 0
    return {c: (on if c == "online" else v * scale) for c, v in base.items()}


# Agencies that do not report what a service costs them (the score's citizen_fields part shows it).
NO_COST = ("civil-registration", "health-insurance")


def performance(agency: Agency, months: list[Month], rng: random.Random) -> list[dict]:
    """Monthly rows per service and channel, as plain Python values."""
    rows = []
    # per-service character, drawn once so it is stable across months
    char = {
        s.service_id: dict(sat=rng.uniform(-3, 3), within=rng.uniform(-0.04, 0.03), cost=rng.uniform(0.8, 1.3))
        for s in agency.services
    }
    for m in months:
        t = m.index / (N_MONTHS - 1)
        p = profile(agency.id, t)
        season = SEASON[agency.id].get(m.mid.month, 1.0)
        growth = (1 + p["growth"]) ** (m.index / 12)
        for s in agency.services:
            c = char[s.service_id]
            total = s.volume * season * growth * rng.uniform(0.94, 1.06)
            shares = channel_shares(s.channels, p["online_shift"])
            within_rate = p["within"] + c["within"]
            median_factor = 1.0
            if agency.id == "civil-registration" and s.service_id == "SA-0103":
                within_rate, median_factor = 0.36, 1.0  # the smart-card backlog
            if s.smart:
                within_rate += 0.03
            for ch, share in shares.items():
                apps = max(0, round(total * share * rng.uniform(0.97, 1.03)))
                completion = min(1.0, p["completion"] + rng.uniform(-0.015, 0.015) + (0.01 if ch == "online" else 0))
                completed = min(apps, round(apps * completion))
                ws = min(0.995, max(0.05, within_rate + (0.03 if ch == "online" else 0) + rng.uniform(-0.02, 0.02)))
                within = min(completed, round(completed * ws))
                median = s.standard_days * CH_DAYS[ch] * (0.4 + 1.2 * (1 - ws)) * median_factor
                median *= rng.uniform(0.93, 1.07)
                if ws < 0.5:
                    median = max(median, s.standard_days * rng.uniform(1.4, 1.6))
                median = max(0.1, round(median, 1))
                sat = p["satisfaction"] + CH_SAT[ch] + c["sat"] + rng.uniform(-1.2, 1.2)
                if agency.id == "civil-registration" and s.service_id == "SA-0103":
                    sat -= 9
                sat = round(min(99.0, max(5.0, sat)), 1)
                cpk = p["cpk"] * CH_COMPLAINTS[ch] * (1.6 if ws < 0.5 else 1.0)
                complaints = int(apps * cpk / 1000 + rng.random())
                unit = CH_COST[ch] * c["cost"] * (1 + min(s.standard_days, 60) / 30)
                cost = int(round(apps * unit * rng.uniform(0.95, 1.05), -3))
                availability = None
                if ch == "online":
                    availability = round(min(99.98, p["availability"] + rng.uniform(-0.35, 0.3)), 2)
                rows.append(
                    dict(
                        agency_id=agency.id,
                        service_id=s.service_id,
                        period_start=m.start,
                        period_end=m.end,
                        period_label=m.label,
                        channel=ch,
                        applications=apps,
                        completed=completed,
                        within_standard=within,
                        median_days=median,
                        satisfaction=sat,
                        complaints=complaints,
                        cost=None if agency.id in NO_COST else cost,
                        availability_pct=availability,
                        _month=m,
                    )
                )
    return rows


def rows_in_year(perf: list[dict], year: int) -> list[dict]:
    start, end = jalali_year(year)
    return [r for r in perf if start <= r["period_start"] <= end]


def smart_share(agency: Agency, *, year: int) -> float:
    n = len(agency.services)
    k = sum(s.smart for s in agency.services) if year >= 1404 else sum(s.smart_1403 for s in agency.services)
    return round(100 * k / n, 1)


def standards(agency: Agency, perf: list[dict], years: list[int], rng: random.Random) -> list[dict]:
    rows = []
    for s in agency.services:
        mine = [r for r in perf if r["service_id"] == s.service_id]
        has_online = "online" in s.channels
        second = rng.random() < 0.55
        target1 = 0.95 if s.smart else 0.90
        for year in years:
            start, end = jalali_year(year)
            yr = rows_in_year(mine, year)
            done = sum(r["completed"] for r in yr)
            perf1 = round(sum(r["within_standard"] for r in yr) / done, 3) if done else None
            days = int(s.standard_days) if float(s.standard_days).is_integer() else s.standard_days
            rows.append(
                dict(
                    agency_id=agency.id,
                    service_id=s.service_id,
                    standard_id=f"{s.service_id}-S1",
                    name_fa=f"انجام درخواست حداکثر ظرف {fa(days)} روز کاری",
                    name_en=f"Completed within {days} working day{'s' if days != 1 else ''}",
                    kind="timeliness",
                    target=target1,
                    performance=perf1,
                    target_met=None if perf1 is None else perf1 >= target1,
                    period_start=start,
                    period_end=end,
                    period_label=str(year),
                )
            )
            if not second:
                continue
            if has_online:
                av = [r["availability_pct"] for r in yr if r["availability_pct"] is not None]
                perf2 = round(sum(av) / len(av) / 100, 4) if av else None
                rows.append(
                    dict(
                        agency_id=agency.id,
                        service_id=s.service_id,
                        standard_id=f"{s.service_id}-S2",
                        name_fa="دسترس‌پذیری خدمت برخط دست‌کم ۹۹ درصد زمان",
                        name_en="Online service available at least 99% of the time",
                        kind="accessibility",
                        target=0.99,
                        performance=perf2,
                        target_met=None if perf2 is None else perf2 >= 0.99,
                        period_start=start,
                        period_end=end,
                        period_label=str(year),
                    )
                )
            else:
                perf2 = round(rng.uniform(0.955, 0.998), 3)
                rows.append(
                    dict(
                        agency_id=agency.id,
                        service_id=s.service_id,
                        standard_id=f"{s.service_id}-S2",
                        name_fa="صدور مدرک بدون خطا و بدون نیاز به اصلاح",
                        name_en="Documents issued without errors needing correction",
                        kind="accuracy",
                        target=0.98,
                        performance=perf2,
                        target_met=perf2 >= 0.98,
                        period_start=start,
                        period_end=end,
                        period_label=str(year),
                    )
                )
    return rows


def weighted(rows: list[dict], key: str, weight: str = "applications") -> float | None:
    w = sum(r[weight] for r in rows)
    return sum(r[key] * r[weight] for r in rows) / w if w else None


def online_share(rows: list[dict]) -> float | None:
    tot = sum(r["applications"] for r in rows)
    return 100 * sum(r["applications"] for r in rows if r["channel"] == "online") / tot if tot else None


def targets(agency: Agency, perf: list[dict]) -> list[dict]:
    out = []

    def add(indicator, year, target, actual, unit, source, direction=None):
        start, end = jalali_year(year)
        out.append(
            dict(
                agency_id=agency.id,
                indicator=indicator,
                period_start=start,
                period_end=end,
                period_label=str(year),
                target=target,
                actual=None if actual is None else round(actual, 1),
                unit=unit,
                direction=direction,
                source=source,
            )
        )

    for year, target in ((1403, 20), (1404, 40)):
        add("smart_services_share", year, target, smart_share(agency, year=year), "percent", SOURCE_7TH_PLAN)

    plan = "برنامه عملیاتی سالانه دستگاه"
    for year in (1403, 1404):
        yr = rows_in_year(perf, year)
        if agency.id == "tax":  # tax states every direction; the others leave it to the portal (see below)
            add(
                "digital_uptake",
                year,
                {1403: 65, 1404: 75}[year],
                online_share(yr),
                "percent",
                "سند تحول دولت هوشمند",
                "higher",
            )
            add(
                "satisfaction",
                year,
                {1403: 80, 1404: 82}[year],
                weighted(yr, "satisfaction"),
                "percent",
                plan,
                "higher",
            )
        elif agency.id == "civil-registration":
            card = [r for r in yr if r["service_id"] == "SA-0103"]
            add(
                "smart_card_issuance_days",
                year,
                {1403: 30, 1404: 20}[year],
                weighted(card, "median_days"),
                "days",
                plan,
            )
            add(
                "gsb_connected_services",
                year,
                {1403: 4, 1404: 8}[year],
                sum("G" in s.flags for s in agency.services),
                "services",
                "سند تحول دولت هوشمند",
            )
        elif agency.id == "social-security":
            # reported against measured: its 1404 satisfaction is reported rosier than its own monthly rows say
            measured = weighted(yr, "satisfaction")
            add(
                "satisfaction",
                year,
                {1403: 80, 1404: 82}[year],
                measured if year == 1403 else measured + 12,
                "percent",
                plan,
            )
            # a target the portal cannot judge: no direction, and neither its name nor its unit says one
            add(
                "pension_files_digitized",
                year,
                {1403: 50, 1404: 70}[year],
                {1403: 46.0, 1404: 71.5}[year],
                "percent",
                plan,
            )
            comp = sum(r["complaints"] for r in yr) * 1000 / max(1, sum(r["applications"] for r in yr))
            add("complaints_per_1000", year, {1403: 2.5, 1404: 2.0}[year], comp, "per_1000_applications", plan)
        elif agency.id == "customs":
            imp = [r for r in yr if r["service_id"] == "GM-0101"]
            # stale: the 1404 result was never reported
            add(
                "clearance_days",
                year,
                {1403: 3, 1404: 2}[year],
                weighted(imp, "median_days") if year == 1403 else None,
                "days",
                plan,
            )
        elif agency.id == "post":
            mail = [r for r in yr if r["service_id"] in ("31001", "31002")]
            done = sum(r["completed"] for r in mail)
            add(
                "on_time_delivery",
                year,
                {1403: 90, 1404: 92}[year],
                100 * sum(r["within_standard"] for r in mail) / done if done else None,
                "percent",
                plan,
            )
        elif agency.id == "health-insurance":
            rx = [r for r in yr if r["service_id"] == "BS-0103"]
            add(
                "e_prescription_share",
                year,
                {1403: 85, 1404: 95}[year],
                online_share(rx),
                "percent",
                "سند تحول دولت هوشمند",
            )
    order: dict[str, int] = {}
    for r in out:
        order.setdefault(r["indicator"], len(order))
    out.sort(key=lambda r: (order[r["indicator"]], r["period_start"]))  # stable: one indicator, then its years
    return out


# --------------------------------------------------------------------------------------
# writing: standard form
# --------------------------------------------------------------------------------------
def cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        s = f"{v:.4f}".rstrip("0").rstrip(".")
        return "0" if s in ("-0", "") else s
    return str(v)


def stage_value(ch: str) -> bool | None:
    return {"1": True, "0": False, "-": None}[ch]


def service_rows(agency: Agency, rng: random.Random) -> list[dict]:
    if agency.id == "customs":  # stale: last reviewed long ago
        lo, hi = dt.date(2025, 2, 1), dt.date(2025, 8, 31)
    else:
        lo, hi = dt.date(2026, 8, 1), dt.date(2026, 11, 20)
    rows = []
    for s in agency.services:
        assert len(s.stages) == 6, s.service_id
        if s.smart:
            assert "0" not in s.stages, f"{s.service_id}: a smart service must be online end to end"
        updated = lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))
        row = dict(
            agency_id=agency.id,
            service_id=s.service_id,
            name_fa=s.name_fa,
            name_en=s.name_en,
            description=s.description,
            audience=s.audience,
            category=s.category,
        )
        for name, ch in zip(STAGES, s.stages):
            row[name] = stage_value(ch)
        row.update(
            smart=s.smart,
            on_national_portal="P" in s.flags,
            via_gsb="G" in s.flags,
            standard_days=s.standard_days,
            fee=s.fee,
            # how-to links: post's old system has none, civil-registration's every other service
            how_to_url=None
            if agency.id == "post" or (agency.id == "civil-registration" and len(rows) % 2)
            else f"https://{agency.id}.example.ir/services/{s.service_id.lower()}",
            updated=updated,
        )
        rows.append(row)
    return rows


def activity_rows(agency: Agency) -> list[dict]:
    rows = []
    for aid, title_fa, title_en, kind, status, start, end, budget, spent, progress in agency.activities:
        rows.append(
            dict(
                agency_id=agency.id,
                activity_id=aid,
                title_fa=title_fa,
                title_en=title_en,
                kind=kind,
                status=status,
                start_date=start,
                end_date=end,
                budget=budget,
                spent=spent,
                progress_pct=progress,
                url=f"https://{agency.id}.example.ir/projects/{aid.lower()}",
            )
        )
    return rows


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8", newline: str = "\n"
) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))


def write_standard_csv(path: Path, kind: str, rows: list[dict], include_agency_id: bool) -> None:
    names = [n for n in FIELDS[kind] if include_agency_id or n != "agency_id"]
    write_csv(path, names, [[cell(r[n]) for n in names] for r in rows])


def write_standard_xlsx(path: Path, kind: str, rows: list[dict], sheet: str) -> None:
    """An Excel export whose columns are the standard names; made byte-stable."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.sheet_view.rightToLeft = True
    names = FIELDS[kind]
    ws.append(names)
    for r in rows:
        ws.append([r[n] for n in names])
    for col in ("C", "D"):  # period_start, period_end as real date cells
        for c in ws[col][1:]:
            c.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    props = wb.properties
    props.creator = "Shafaf demo generator"
    props.lastModifiedBy = "Shafaf demo generator"
    props.title = "عملکرد خدمات (نمایشی)"
    props.created = FIXED_STAMP
    props.modified = FIXED_STAMP
    raw = io.BytesIO()
    wb.save(raw)
    # rewrite the ZIP with fixed entry dates so the bytes do not depend on the clock
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            # only the time is replaced: the element's attributes (and namespaces) stay as openpyxl wrote them
            data = (
                re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>2026-11-23T00:00:00Z\2", data)
                if info.filename == "docProps/core.xml"
                else data
            )
            zi = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 23, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


# --------------------------------------------------------------------------------------
# writing: the post agency, the way it really arrives
# --------------------------------------------------------------------------------------
def cp1256_text(s: str) -> str:
    """What a Windows-1256 export makes of Persian text: ی cannot be encoded and becomes Arabic ي."""
    return s.replace("ی", "ي").replace("ى", "ي")


def arabic_kaf(s: str) -> str:
    return s.replace("ک", "ك")


def yes_no(v: bool | None) -> str:
    return "" if v is None else ("بله" if v else "خیر")


POST_SERVICE_COLS = [  # standard field -> header as the agency writes it (before cp1256)
    ("service_id", "کد خدمت"),
    ("name_fa", "عنوان خدمت"),
    ("name_en", "عنوان انگلیسی"),
    ("description", "شرح خدمت"),
    ("audience", "گیرندگان خدمت"),
    ("category", "گروه خدمت"),
    ("online_information", "اطلاع‌رسانی برخط"),
    ("online_application", "درخواست برخط"),
    ("online_identity", "احراز هویت برخط"),
    ("online_payment", "پرداخت برخط"),
    ("online_decision", "تصمیم‌گیری برخط"),
    ("online_issuance", "صدور برخط"),
    ("smart", "هوشمند"),
    ("on_national_portal", "در درگاه ملی"),
    ("via_gsb", "اتصال به گذرگاه (GSB)"),
    ("standard_days", "زمان استاندارد (روز)"),
    ("fee", "تعرفه (ریال)"),
    ("how_to_url", "راهنمای استفاده"),
    ("updated", "تاریخ بروزرسانی"),
]
POST_AUDIENCE = {"citizens": "شهروندان", "businesses": "کسب‌وکارها", "government": "دستگاه‌ها"}

POST_PERF_COLS = [
    (None, "ردیف"),
    ("period", "دوره"),
    ("service_id", "کد خدمت"),
    ("channel", "مجرا"),
    ("applications", "تعداد درخواست"),
    ("completed", "انجام شده"),
    ("within_standard", "در زمان استاندارد"),
    ("median_days", "میانه زمان (روز)"),
    ("satisfaction", "رضایت (درصد)"),
    ("complaints", "تعداد شکایت"),
    ("cost", "هزینه (ریال)"),
    ("availability_pct", "دسترس‌پذیری (درصد)"),
]
POST_CHANNEL = {
    "online": "اینترنتی",
    "in_person": "حضوری",
    "service_office": "دفاتر پیشخوان",
    "phone": "تلفنی",
    "mail": "پستی",
}

POST_STANDARD_COLS = [
    ("service_id", "کد خدمت"),
    ("standard_id", "کد استاندارد"),
    ("name_fa", "عنوان استاندارد"),
    ("name_en", "عنوان انگلیسی"),
    ("kind", "نوع"),
    ("target", "هدف"),
    ("performance", "عملکرد"),
    ("target_met", "تحقق هدف"),
    ("period", "دوره"),
]
POST_STANDARD_KIND = {"timeliness": "زمان", "accessibility": "دسترس‌پذیری", "accuracy": "صحت"}

POST_ACTIVITY_COLS = [
    ("activity_id", "کد طرح"),
    ("title_fa", "عنوان طرح"),
    ("title_en", "عنوان انگلیسی"),
    ("kind", "نوع"),
    ("status", "وضعیت"),
    ("start_date", "تاریخ شروع"),
    ("end_date", "تاریخ پایان"),
    ("budget", "اعتبار مصوب (ریال)"),
    ("spent", "هزینه شده (ریال)"),
    ("progress_pct", "درصد پیشرفت"),
    ("url", "نشانی"),
]
POST_ACTIVITY_KIND = {"project": "طرح", "programme": "برنامه", "regulation": "مقررات", "other": "سایر"}
POST_STATUS = {"planned": "آغاز نشده", "in_progress": "در حال اجرا", "completed": "تکمیل شده", "cancelled": "لغو شده"}

POST_TARGET_COLS = [
    ("indicator", "شاخص"),
    ("period", "دوره"),
    ("target", "هدف"),
    ("actual", "عملکرد"),
    ("unit", "واحد"),
    ("source", "مرجع"),
]
POST_INDICATOR = {"smart_services_share": "سهم خدمات هوشمند", "on_time_delivery": "تحویل به موقع مرسولات"}
POST_UNIT = {"percent": "درصد"}


def fa_number(v: float | int | None, *, decimals: int | None = None, thousands: bool = False) -> str:
    """A number the way a Persian Excel sheet exported it: Persian digits, Arabic separators."""
    if v is None:
        return ""
    if decimals is None:
        s = f"{v:,}" if thousands else str(v)
        s = s.replace(",", AR_THOUSANDS)
    else:
        s = f"{v:.{decimals}f}".rstrip("0").rstrip(".")
        s = s.replace(".", AR_DECIMAL)
    return fa(s)


def write_post(agency: Agency, srows, perf, std_rows, tgt_rows, rng: random.Random) -> dict[str, dict]:
    """Write post's five files; return the registry source settings for each dataset."""
    d = DEMO / agency.id
    sources = {}

    # services.csv -- Windows-1256, Persian headers, بله/خیر, Jalali dates, some Arabic ك
    header = [cp1256_text(h) for _, h in POST_SERVICE_COLS]
    out = []
    for _i, r in enumerate(srows):
        kaf = rng.random() < 0.45  # rows typed in the old system use Arabic ك
        line = []
        for f, _ in POST_SERVICE_COLS:
            v = r[f]
            if f in STAGES or f in ("smart", "on_national_portal", "via_gsb"):
                v = yes_no(v)
            elif f == "audience":
                v = POST_AUDIENCE[v]
            elif f == "updated":
                v = to_jalali_str(v)
            elif f in ("name_fa", "description") and kaf:
                v = arabic_kaf(v)
            line.append(cp1256_text(cell(v)))
        out.append(line)
    # the lookup service is typed with Arabic letters throughout (a "duplicate" of tax's «استعلام کدپستی»)
    for line in out:
        if line[0] == "31004":
            line[1] = arabic_kaf(line[1])
        if line[0] == "31001":
            line[1] = line[1].replace("پیشتاز", "پیشــتاز").replace("پيشتاز", "پيشــتاز")  # tatweel
        if line[0] == "31007":
            line[1] = line[1] + "\u200c"  # a stray zero-width non-joiner
    write_csv(d / "services.csv", header, out, encoding="cp1256", newline="\r\n")
    sources["services"] = dict(
        format="csv",
        encoding="cp1256",
        calendar="jalali",
        fields={f: cp1256_text(h) for f, h in POST_SERVICE_COLS},
        values={"audience": {cp1256_text(v): k for k, v in POST_AUDIENCE.items()}},
    )

    # service_performance.csv -- Excel "CSV UTF-8" export: Persian digits, Jalali months, Persian channels
    header = [h for _, h in POST_PERF_COLS]
    out = []
    for i, r in enumerate(perf, start=1):
        out.append(
            [
                fa(i),
                fa(r["period_label"]),
                fa(r["service_id"]),
                POST_CHANNEL[r["channel"]],
                fa_number(r["applications"]),
                fa_number(r["completed"]),
                fa_number(r["within_standard"]),
                fa_number(r["median_days"], decimals=1),
                fa_number(r["satisfaction"], decimals=1),
                fa_number(r["complaints"]),
                fa_number(r["cost"], thousands=True),
                fa_number(r["availability_pct"], decimals=2),
            ]
        )
    write_csv(d / "service_performance.csv", header, out, encoding="utf-8-sig", newline="\r\n")
    sources["service_performance"] = dict(
        format="csv",
        encoding="utf-8-sig",
        calendar="jalali",
        fields={f: h for f, h in POST_PERF_COLS if f},
        values={"channel": {v: k for k, v in POST_CHANNEL.items()}},
    )

    # service_standards.csv -- Windows-1256, a Jalali-year "period" column
    header = [cp1256_text(h) for _, h in POST_STANDARD_COLS]
    out = []
    for r in std_rows:
        line = []
        for f, _ in POST_STANDARD_COLS:
            if f == "period":
                v = r["period_label"]
            elif f == "kind":
                v = POST_STANDARD_KIND[r["kind"]]
            elif f == "target_met":
                v = yes_no(r["target_met"])
            elif f == "name_fa":
                v = r["name_fa"].translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))  # cp1256 has no Persian digits
            else:
                v = r[f]
            line.append(cp1256_text(cell(v)))
        out.append(line)
    write_csv(d / "service_standards.csv", header, out, encoding="cp1256", newline="\r\n")
    sources["service_standards"] = dict(
        format="csv",
        encoding="cp1256",
        calendar="jalali",
        fields={f: cp1256_text(h) for f, h in POST_STANDARD_COLS},
        values={"kind": {cp1256_text(v): k for k, v in POST_STANDARD_KIND.items()}},
    )

    # activities.csv -- Windows-1256, Jalali dates
    header = [cp1256_text(h) for _, h in POST_ACTIVITY_COLS]
    out = []
    for r in activity_rows(agency):
        line = []
        for f, _ in POST_ACTIVITY_COLS:
            v = r[f]
            if f == "kind":
                v = POST_ACTIVITY_KIND[v]
            elif f == "status":
                v = POST_STATUS[v]
            line.append(cp1256_text(cell(v)))
        out.append(line)
    write_csv(d / "activities.csv", header, out, encoding="cp1256", newline="\r\n")
    sources["activities"] = dict(
        format="csv",
        encoding="cp1256",
        calendar="jalali",
        fields={f: cp1256_text(h) for f, h in POST_ACTIVITY_COLS},
        values={
            "kind": {cp1256_text(v): k for k, v in POST_ACTIVITY_KIND.items() if k in ("project", "programme")},
            "status": {cp1256_text(v): k for k, v in POST_STATUS.items()},
        },
    )

    # targets.csv -- Windows-1256, Persian indicator names and units
    header = [cp1256_text(h) for _, h in POST_TARGET_COLS]
    out = []
    for r in tgt_rows:
        line = []
        for f, _ in POST_TARGET_COLS:
            if f == "period":
                v = r["period_label"]
            elif f == "indicator":
                v = POST_INDICATOR[r["indicator"]]
            elif f == "unit":
                v = POST_UNIT[r["unit"]]
            else:
                v = r[f]
            line.append(cp1256_text(cell(v)))
        out.append(line)
    write_csv(d / "targets.csv", header, out, encoding="cp1256", newline="\r\n")
    sources["targets"] = dict(
        format="csv",
        encoding="cp1256",
        calendar="jalali",
        fields={f: cp1256_text(h) for f, h in POST_TARGET_COLS},
        values={
            "indicator": {cp1256_text(v): k for k, v in POST_INDICATOR.items()},
            "unit": {cp1256_text(v): k for k, v in POST_UNIT.items()},
        },
    )
    return sources


# --------------------------------------------------------------------------------------
# the registry (hand-rolled YAML so that it is stable, commented and readable)
# --------------------------------------------------------------------------------------
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./:@+-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def yq(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _YAML_WORDS and not re.fullmatch(r"[0-9.+-]+", s):
        return s
    return json.dumps(s, ensure_ascii=False)


PORTAL = dict(
    title_fa="شفاف — درگاه شفافیت دستگاه‌های اجرایی (نمایشی)",
    title_en="Shafaf — transparency portal of executive agencies (demo)",
    description_fa=(
        "درگاه نمایشی شفاف با داده‌های ساختگی شش دستگاه خیالی: فهرست خدمات، عملکرد ماهانه، "
        "استانداردهای خدمت، طرح‌ها و اهداف سالانه از جمله مسیر هوشمندسازی برنامه هفتم توسعه."
    ),
    description_en=(
        "A demo of the Shafaf portal with made-up data from six fictional agencies: service "
        "inventories, monthly performance, service standards, projects and yearly targets, "
        "including the 7th development plan's smart-services trajectory."
    ),
    timezone="Asia/Tehran",
    default_language="fa",
)
SMART_PLAN = dict(start_year=1403, step=0.2, years=5, name_fa="برنامه هفتم توسعه", name_en="7th development plan")
LICENSE = dict(
    id="CC-BY-4.0", title="Creative Commons Attribution 4.0", url="https://creativecommons.org/licenses/by/4.0/"
)


def registry_yaml(sources_by_agency: dict[str, list[dict]]) -> str:
    L = [
        "# Shafaf registry: who publishes, where their files are, and when to harvest them.",
        "#",
        "# The six agencies below are FICTIONAL demo agencies and every figure in their files is made up.",
        "# Generated by scripts/make_demo_data.py -- edit the script and re-run it rather than this file.",
        "# Paths are relative to this file's folder; schedules are cron expressions in the portal timezone.",
        "portal:",
    ]
    for k, v in PORTAL.items():
        L.append(f"  {k}: {yq(v)}")
    L.append("  license:")
    for k, v in LICENSE.items():
        L.append(f"    {k}: {yq(v)}")
    L.append("  # Iran's 7th development plan: 20% more of each agency's services smart each Jalali year from 1403.")
    L.append("  smart_plan:")
    for k, v in SMART_PLAN.items():
        L.append(f"    {k}: {yq(v) if isinstance(v, str) else v}")
    L.append("agencies:")
    for a in AGENCIES:
        L.append(f"  - id: {yq(a.id)}")
        L.append(f"    name_fa: {yq(a.name_fa)}")
        L.append(f"    name_en: {yq(a.name_en)}")
        L.append(f"    parent: {yq(a.parent)}")
        L.append(f"    website: https://{a.id}.example.ir")
        L.append(f"    contact_email: open-data@{a.id}.example.ir")
        L.append(f"    description_fa: {yq(a.description_fa)}")
        L.append(f"    description_en: {yq(a.description_en)}")
        if a.id == "post":
            L.append("    # post sends its files the way they come out of its own systems: Windows-1256 CSV")
            L.append("    # (which cannot hold Persian ی or Persian digits, so text has Arabic ي and some ك),")
            L.append("    # Persian headers, بله/خیر, Jalali dates and a single Jalali `period` column; the")
            L.append("    # performance export is UTF-8 with Persian digits and Arabic separators.  Column names")
            L.append("    # and values below are copied exactly as they appear in the files.")
        L.append("    sources:")
        for src in sources_by_agency[a.id]:
            L.append(f"      - dataset: {src['dataset']}")
            L.append("        kind: file")
            L.append(f"        path: {yq(src['path'])}")
            L.append(f"        schedule: {yq(src['schedule'])}")
            for key in ("format", "encoding", "sheet", "calendar"):
                if key in src:
                    L.append(f"        {key}: {yq(src[key])}")
            if "fields" in src:
                L.append("        fields:")
                for k, v in src["fields"].items():
                    L.append(f"          {k}: {yq(v)}")
            if "values" in src:
                L.append("        values:")
                for k, mapping in src["values"].items():
                    L.append(f"          {k}:")
                    for sv, std in mapping.items():
                        L.append(f"            {yq(sv)}: {yq(std)}")
    return "\n".join(L) + "\n"


# --------------------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------------------
def readme(stats: dict[str, dict]) -> str:
    def st(aid, key, fmt="{:.1f}"):
        v = stats[aid][key]
        return "—" if v is None else fmt.format(v)

    smart_table = "\n".join(f"| `{aid}` | {s['smart_1403']:.1f}% | {s['smart']:.1f}% |" for aid, s in stats.items())
    return f"""# Demo data (FICTIONAL)

Everything under `metadata/demo/` — and the six agencies in `metadata/agencies.yml` — is
**made up**. The agencies are fictional stand-ins (their names end with «(نمایشی)» /
"(demo)"), their web sites live under `example.ir`, and no figure here describes a real
Iranian agency. The data exists so that `shafaf demo` has something realistic to harvest,
validate, publish and show.

Regenerate (deterministic, byte-identical on every run, no network):

```
python scripts/make_demo_data.py
```

Months cover 2024-11 … 2026-10 (the demo's "today" is 2026-11-23); yearly rows (service
standards, targets) use the Iranian years 1403 and 1404, stored as the Gregorian dates of
1 Farvardin … the last day of Esfand.

## The agencies and the story each one tells

| id | agency | files | the story |
| --- | --- | --- | --- |
| `tax` | سازمان امور مالیاتی (نمایشی) — Tax Administration (demo) | standard CSV, with `agency_id` | A good performer. Online share of applications rises from {st("tax", "online_first")}% to {st("tax", "online_last")}%; satisfaction about {st("tax", "sat_first", "{:.0f}")} → {st("tax", "sat_last", "{:.0f}")}. Smart services {st("tax", "smart")}% against the 7th plan's 40% for 1404: on track. |
| `civil-registration` | سازمان ثبت احوال (نمایشی) — Civil Registration Organization (demo) | standard CSV, **without** `agency_id` (the registry fills it) | Far behind: only {st("civil-registration", "smart")}% of services are smart against a 1404 target of 40%. The smart national ID card misses its 30-day standard for most applicants; its project is late and over budget. |
| `social-security` | سازمان تأمین اجتماعی (نمایشی) — Social Security Organization (demo) | standard CSV, with `agency_id` | Satisfaction falls month after month, from {st("social-security", "sat_first")} to {st("social-security", "sat_last")}, while complaints per 1,000 applications climb from {st("social-security", "cpk_first")} to {st("social-security", "cpk_last")}. Four rows of its performance export were typed wrong (completed above applications, `ND` for satisfaction): the portal leaves them out and lists them in `validation_errors`. |
| `customs` | گمرک ایران (نمایشی) — Customs Administration (demo) | standard CSV, with `agency_id` | Stale: its performance stops at {stats["customs"]["last_month"]}, nine months before everyone else's, its inventory was last reviewed in 2025 and its 1404 clearance-time result was never reported. |
| `post` | شرکت ملی پست (نمایشی) — National Post Company (demo) | Iranian-style exports (below) | Its files arrive the way agencies really send them; the portal's normalization (encodings, digits, letters, Jalali dates and periods) reads them into the standard. |
| `health-insurance` | سازمان بیمه سلامت (نمایشی) — Health Insurance Organization (demo) | standard CSV, and performance as **XLSX** (sheet «عملکرد», standard column names) | Ordinary; the format is the point. Smart services {st("health-insurance", "smart")}%. |

Smart services against the 7th development plan's trajectory (target 20% in 1403, 40% in
1404; `targets.csv`, indicator `smart_services_share`; the 1404 actual is the share of the
inventory marked `smart`, the 1403 actual the share a year earlier):

| agency | 1403 actual | 1404 actual |
| --- | --- | --- |
{smart_table}

### What the figures show (issue 16: figures a journalist can quote)

* **A missed lower-is-better target**: `civil-registration` aimed to issue the smart card in 30 days
  (1403) and 20 days (1404) and took about 45: its `smart_card_issuance_days` rows have no
  `direction`, the unit `days` says lower is better, and the portal shows ✗ for both.
* **A target nobody can judge**: `social-security`'s `pension_files_digitized` has neither a
  direction nor a name or unit the portal knows, so it is shown with "—" and the validation
  report asks for a direction. `tax` states `direction: higher` on each of its own rows.
* **A stale agency listed apart**: `customs`' performance data ends in {stats["customs"]["last_month"]},
  about nine months behind the reference month; the league table lists it under "Not compared"
  with the month its data ends, its feed entry says so, and its score loses the window-months
  and data-age parts.
* **Scores spread by their parts**: `post` publishes no how-to links, `civil-registration` half
  of them and neither it nor `health-insurance` reports costs (the citizen-fields part);
  `social-security` has four rows rejected (validity); `customs` is stale.
* **A reported figure that disagrees with the agency's own rows**: `social-security` reports a
  1404 satisfaction twelve points above what its own monthly rows give; `/discrepancies` flags
  it.
* **The plan in its own terms**: the registry sets `smart_plan` (the 7th development plan, 20%
  a year from 1403); every agency is judged for the current Jalali year and, on its own
  reported share, for the year before (`tax`: 44.4% against 40% in 1404, on track).

### How `post` sends its files

* `services.csv`, `service_standards.csv`, `activities.csv`, `targets.csv`: Windows-1256
  (cp1256), CRLF, Persian column headers mapped to the standard through the registry's
  `fields`; booleans written بله/خیر; Jalali dates (`1405/08/12`) and a single Jalali-year
  `period` column («دوره»: `1404`); categorical values in Persian mapped through `values`.
  Windows-1256 has no Persian ی and no Persian digits, so every ی is written as Arabic ي,
  numbers use ASCII digits, and some rows also use Arabic ك. One name has a tatweel, one a
  stray zero-width non-joiner.
* `service_performance.csv`: Excel's "CSV UTF-8" export (UTF-8 with BOM) with Persian
  digits in every numeric cell, Arabic thousands (٬) and decimal (٫) separators, service
  codes in Persian digits, a row-number column «ردیف» that maps to nothing, channels in
  Persian («حضوری», «اینترنتی», «دفاتر پیشخوان», ...), and a single «دوره» column holding
  Jalali months such as `۱۴۰۴-۰۷` instead of `period_start`/`period_end`/`period_label`.

### Services that look duplicated across agencies

For the duplicate finder: «استعلام کدپستی» (`tax`, T-0115) vs «استعلام كد پستي» (`post`,
31004, Arabic letters); «استعلام سوابق بیمه‌ای» (`social-security`, TA-0101) vs «استعلام
سوابق بیمه ای» (`health-insurance`, BS-0104, space instead of a zero-width non-joiner);
«استعلام وضعیت حیات» (`civil-registration`, SA-0108) vs «استعلام  وضعیت حیات»
(`health-insurance`, BS-0105, double space — and it bypasses the GSB).
"""


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------
def inject_entry_mistakes(perf: list[dict]) -> None:
    """A few rows typed wrong, as real exports have: the portal must leave them out and say why."""
    for i in (41, 307, 598):
        perf[i]["completed"] = perf[i]["applications"] + 7  # completed > applications
    perf[450]["satisfaction"] = "ND"  # "no data" in a numeric column


def main() -> None:
    check_field_order()
    gmonths = gregorian_months()
    stats: dict[str, dict] = {}
    sources_by_agency: dict[str, list[dict]] = {}
    for agency in AGENCIES:
        rng = random.Random(f"{SEED}:{agency.id}")
        d = DEMO / agency.id
        d.mkdir(parents=True, exist_ok=True)
        if agency.id == "post":
            months = jalali_months()
        elif agency.id == "customs":
            months = [m for m in gmonths if (m.start.year, m.start.month) <= CUSTOMS_LAST_MONTH]
        else:
            months = gmonths
        srows = service_rows(agency, rng)
        perf = performance(agency, months, rng)
        years = [1403] if agency.id == "customs" else [1403, 1404]
        std_rows = standards(agency, perf, years, rng)
        tgt_rows = targets(agency, perf)

        # checks the standard's cross-field rules and keys before anything is written
        ids = {s.service_id for s in agency.services}
        keys = set()
        for r in perf:
            assert r["service_id"] in ids
            assert 0 <= r["within_standard"] <= r["completed"] <= r["applications"], r
            k = (r["service_id"], r["period_start"], r["period_end"], r["channel"])
            assert k not in keys, k
            keys.add(k)

        if agency.id == "social-security":
            inject_entry_mistakes(perf)

        base = {k: agency.schedules[k] for k in FIELDS}
        if agency.id == "post":
            extra = write_post(agency, srows, perf, std_rows, tgt_rows, rng)
            sources_by_agency[agency.id] = [
                dict(dataset=k, path=f"demo/{agency.id}/{k}.csv", schedule=base[k], **extra[k]) for k in FIELDS
            ]
        else:
            inc = agency.include_agency_id
            write_standard_csv(d / "services.csv", "services", srows, inc)
            write_standard_csv(d / "service_standards.csv", "service_standards", std_rows, inc)
            write_standard_csv(d / "activities.csv", "activities", activity_rows(agency), inc)
            write_standard_csv(d / "targets.csv", "targets", tgt_rows, inc)
            srcs = []
            for k in FIELDS:
                src = dict(dataset=k, path=f"demo/{agency.id}/{k}.csv", schedule=base[k])
                if agency.id == "health-insurance" and k == "service_performance":
                    src.update(path=f"demo/{agency.id}/{k}.xlsx", format="xlsx", sheet="عملکرد")
                srcs.append(src)
            sources_by_agency[agency.id] = srcs
            if agency.id == "health-insurance":
                write_standard_xlsx(d / "service_performance.xlsx", "service_performance", perf, "عملکرد")
            else:
                write_standard_csv(d / "service_performance.csv", "service_performance", perf, inc)

        first = [r for r in perf if r["_month"].index == months[0].index]
        last = [r for r in perf if r["_month"].index == months[-1].index]

        def cpk(rows):
            return 1000 * sum(r["complaints"] for r in rows) / sum(r["applications"] for r in rows)

        stats[agency.id] = dict(
            smart=smart_share(agency, year=1404),
            smart_1403=smart_share(agency, year=1403),
            online_first=online_share(first),
            online_last=online_share(last),
            sat_first=weighted(first, "satisfaction"),
            sat_last=weighted(last, "satisfaction"),
            cpk_first=cpk(first),
            cpk_last=cpk(last),
            last_month=months[-1].label,
            services=len(agency.services),
            perf_rows=len(perf),
            std_rows=len(std_rows),
        )

    (META / "agencies.yml").write_text(registry_yaml(sources_by_agency), encoding="utf-8")
    (DEMO / "README.md").write_text(readme(stats), encoding="utf-8")

    for aid, s in stats.items():
        print(
            f"{aid:20s} services={s['services']:3d} perf_rows={s['perf_rows']:5d} "
            f"smart 1403={s['smart_1403']:5.1f}% 1404={s['smart']:5.1f}% "
            f"online {s['online_first']:.1f}->{s['online_last']:.1f}% "
            f"satisfaction {s['sat_first']:.1f}->{s['sat_last']:.1f} "
            f"complaints/1000 {s['cpk_first']:.2f}->{s['cpk_last']:.2f} last={s['last_month']}"
        )


if __name__ == "__main__":
    main()
