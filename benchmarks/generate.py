"""A deterministic generator of realistic service-performance data, for the benchmarks.

One agency's files as an agency really sends them: a service inventory with
Persian names, and a monthly performance file with one row per service,
month and channel, Jalali period labels written in Persian digits, and a set
share of invalid rows (a type error, an out-of-range satisfaction, completed
above applications) that the portal must reject. The same seed and row count
always give the same bytes, so two benchmark runs read the same file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import random
from pathlib import Path

import jdatetime

from shafaf.standard import field_names

CHANNELS = ("online", "in_person", "phone", "mail", "kiosk", "service_office", "other")
MONTHS = 60
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_NAMES = ("صدور", "تمدید", "ثبت", "استعلام", "پرداخت", "درخواست", "تغییر", "ابطال")
_OBJECTS = ("گواهی", "پروانه", "کارت", "مجوز", "اظهارنامه", "شناسنامه", "گذرنامه", "پلاک")

# The second shape (issue 21): what many agencies send. Their own column names (mapped by the registry), one
# Jalali period label in Persian digits (۱۳۹۹-۰۱), no agency column (the registry's agency fills it), channels
# in Persian (a value map), costs in whole rials.
LABELS_HEADER = (
    "کد خدمت",
    "دوره",
    "مجرا",
    "درخواست",
    "انجام شده",
    "در زمان استاندارد",
    "میانه روز",
    "رضایت",
    "شکایت",
    "هزینه (ریال)",
    "دسترس پذیری",
)
LABELS_FIELDS = {
    "service_id": "کد خدمت",
    "period": "دوره",
    "channel": "مجرا",
    "applications": "درخواست",
    "completed": "انجام شده",
    "within_standard": "در زمان استاندارد",
    "median_days": "میانه روز",
    "satisfaction": "رضایت",
    "complaints": "شکایت",
    "cost": "هزینه (ریال)",
    "availability_pct": "دسترس پذیری",
}
CHANNELS_FA = {
    "online": "برخط",
    "in_person": "حضوری",
    "phone": "تلفنی",
    "mail": "پستی",
    "kiosk": "کیوسک",
    "service_office": "دفتر پیشخوان",
    "other": "سایر",
}
SHAPES = ("standard", "labels")

PERFORMANCE_HEADER = tuple(field_names("service_performance"))  # the standard's own columns, in its order


def services_needed(rows: int) -> int:
    """How many services give ``rows`` performance rows over five years of months and every channel."""
    return max(1, math.ceil(rows / (MONTHS * len(CHANNELS))))


def write_agency(
    folder: Path, agency_id: str, *, rows: int, invalid_rate: float = 0.001, seed: int = 1405, shape: str = "standard"
) -> int:
    """Write ``services.csv`` and ``service_performance.csv`` (exactly ``rows`` rows); returns the invalid rows.

    ``shape``: ``standard`` (the standard's columns) or ``labels`` (``LABELS_HEADER``, see above).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{seed}:{agency_id}")
    services = services_needed(rows)
    with (folder / "services.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(("agency_id", "service_id", "name_fa", "name_en", "smart", "standard_days"))
        for i in range(services):
            name = f"{rng.choice(_NAMES)} {rng.choice(_OBJECTS)} {str(i).translate(PERSIAN_DIGITS)}"
            # The English name is the agency's own ("Service 3 of tax"): the same English text in every agency
            # would make every pair of agencies a possible duplicate (k agencies, k(k-1)/2 rows), which is not
            # what a thousand real inventories look like; the Persian names still repeat across agencies.
            out.writerow(
                (
                    agency_id,
                    f"S{i:05d}",
                    name,
                    f"Service {i} of {agency_id}",
                    rng.choice(("true", "false")),
                    rng.choice((1, 3, 7, 15, 30)),
                )
            )
    months = [_month(m) for m in range(MONTHS)]
    invalid = 0
    with (folder / "service_performance.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(LABELS_HEADER if shape == "labels" else PERFORMANCE_HEADER)
        written = 0
        for i in range(services):
            for start, end, label in months:
                for channel in CHANNELS:
                    if written == rows:
                        return invalid
                    row = _performance_row(rng, agency_id, f"S{i:05d}", start, end, label, channel)
                    if rng.random() < invalid_rate:
                        _spoil(rng, row)
                        invalid += 1
                    out.writerow(_as_labels(row) if shape == "labels" else row)
                    written += 1
    return invalid


def write_registry(
    root: Path,
    agencies: dict[str, int],
    *,
    invalid_rate: float = 0.001,
    base_url: str | None = None,
    settings: dict[str, object] | None = None,
    shape: str = "standard",
) -> Path:
    """Data for each agency (id → performance rows) under ``root`` and a registry of its two sources.

    The sources are local files, or with ``base_url`` the same files over HTTP
    (``<base_url>/<agency>/<dataset>.csv``); ``settings`` go into the portal section.
    """
    lines = ["portal:", "  title_en: Shafaf benchmark", "  title_fa: شفاف (سنجش)", "  timezone: Asia/Tehran"]
    lines += [f"  {key}: {json.dumps(value)}" for key, value in (settings or {}).items()]
    lines.append("agencies:")
    for agency_id, rows in agencies.items():
        write_agency(root / agency_id, agency_id, rows=rows, invalid_rate=invalid_rate, shape=shape)
        lines += [
            f"  - id: {agency_id}",
            f"    name_fa: دستگاه {agency_id}",
            f"    name_en: Agency {agency_id}",
            "    sources:",
        ]
        for dataset in ("services", "service_performance"):
            where = (
                ["        kind: http", f"        url: {base_url}/{agency_id}/{dataset}.csv"]
                if base_url
                else ["        kind: file", f"        path: {agency_id}/{dataset}.csv"]
            )
            lines += [f"      - dataset: {dataset}", *where, '        schedule: "0 2 * * *"']
            if shape == "labels" and dataset == "service_performance":
                lines += ["        calendar: jalali", "        fields:"]
                lines += [
                    f"          {name}: {json.dumps(column, ensure_ascii=False)}"
                    for name, column in LABELS_FIELDS.items()
                ]
                lines += ["        values:", "          channel:"]
                lines += [f"            {json.dumps(fa, ensure_ascii=False)}: {en}" for en, fa in CHANNELS_FA.items()]
    path = root / ("http.yml" if base_url else "agencies.yml")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _performance_row(
    rng: random.Random, agency_id: str, service_id: str, start: str, end: str, label: str, channel: str
) -> list[object]:
    applications = rng.randint(0, 5000)
    completed = rng.randint(0, applications)
    within = rng.randint(0, completed)
    return [
        agency_id,
        service_id,
        start,
        end,
        label,
        channel,
        applications,
        completed,
        within,
        round(rng.uniform(0, 30), 1),
        round(rng.uniform(40, 100), 1),
        rng.randint(0, 50),
        rng.randint(0, 10**9),
        round(rng.uniform(90, 100), 2),
    ]


def _as_labels(row: list[object]) -> list[object]:
    """A standard row in the second shape: no agency, one Jalali period label, the channel in Persian."""
    start = jdatetime.date.fromgregorian(date=dt.date.fromisoformat(str(row[2])))
    period = f"{start.year}-{start.month:02d}".translate(PERSIAN_DIGITS)
    return [row[1], period, CHANNELS_FA[str(row[5])], *row[6:]]


def _spoil(rng: random.Random, row: list[object]) -> None:
    """One of the mistakes agencies make: text in a number, a share past 100, more completed than received."""
    mistake = rng.randrange(3)
    if mistake == 0:
        row[6] = "نامعلوم"
    elif mistake == 1:
        row[10] = 150
    else:
        row[7] = int(row[6]) + 1  # type: ignore[call-overload]


def _month(m: int) -> tuple[str, str, str]:
    """The m-th month from Farvardin 1399 as (Gregorian start, Gregorian end, Jalali label in Persian digits)."""
    year, month = 1399 + m // 12, m % 12 + 1
    start = jdatetime.date(year, month, 1).togregorian()
    next_start = jdatetime.date(year + (month == 12), month % 12 + 1, 1).togregorian()
    label = f"{jdatetime.date(year, month, 1).j_months_fa[month - 1]} {year}".translate(PERSIAN_DIGITS)
    return start.isoformat(), (next_start - dt.timedelta(days=1)).isoformat(), label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--agency", default="bench")
    parser.add_argument("--invalid-rate", type=float, default=0.001)
    parser.add_argument("--shape", choices=SHAPES, default="standard")
    args = parser.parse_args()
    invalid = write_agency(args.folder, args.agency, rows=args.rows, invalid_rate=args.invalid_rate, shape=args.shape)
    print(f"{args.rows} rows ({invalid} invalid) in {args.folder}")


if __name__ == "__main__":
    main()
