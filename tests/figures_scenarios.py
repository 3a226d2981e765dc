"""The generated portals: three named ones holding the edge cases, and random ones from seeds.

- ``edges`` (Jalali calendar, a smart-services plan, published at 00:40 in Tehran, 21:10 UTC the day
  before): a Jalali-month agency with targets in every direction (explicit, from the name, from the
  unit, unknown), a lower-is-better target met exactly, a missing actual, reported figures beyond and
  within the tolerance and its reported smart share in "pct"; a quarterly, a yearly (fiscal years), a
  stale, an out-of-window, a one-month, a no-services and an all-rows-rejected agency; months and
  quarters ending on the same day; an inventory with a withdrawn service and no smart flag set, reporting a
  smart share of 50%, never harvested.
- ``noplan`` (Gregorian calendar, no lag, no plan, Toronto, just before local midnight): a monthly
  agency harvested the evening before (local), and one reporting more than 500 measurable targets.
- ``empty``: a plan, and no agency lists a service.
- ``seed-N``: random settings, calendars, grains, gaps and targets.
"""

from __future__ import annotations

import datetime as dt
import random

import figures_calendar as cal
from figures_generated import Agency, Spec, jalali_years, months, performance, quarters, run, services, target

from shafaf.core.models import Outcome

UTC = dt.UTC


def _takeup(rows: list[dict], start: dt.date, end: dt.date) -> float:
    """The generator's own digital take-up over monthly rows whose midpoint is in a period (for 'within tolerance')."""

    def middle(r: dict) -> dt.date:
        return cal.midpoint(dt.date.fromisoformat(r["period_start"]), dt.date.fromisoformat(r["period_end"]))

    kept = [r for r in rows if r["applications"] != "" and start <= middle(r) <= end]
    total = sum(r["applications"] for r in kept)
    return sum(r["applications"] for r in kept if r["channel"] == "online") / total


def edges() -> Spec:
    rng = random.Random(1607)
    now = dt.datetime(2026, 3, 25, 21, 10, tzinfo=UTC)  # 1405-01-06 00:40 in Tehran
    y1404, y1403 = jalali_years(1404, 1)[0], jalali_years(1403, 1)[0]

    jalali = Agency("jalali")
    inventory = services(rng, "jalali", 5)
    rows = performance(rng, "jalali", [s["service_id"] for s in inventory], months((1403, 9), 15, "jalali"))
    takeup = _takeup(rows, y1404[0], y1404[1])
    jalali.rows = {
        "services": inventory,
        "service_performance": rows,
        "targets": [
            target("jalali", "satisfaction", y1404, 80, 5, "percent"),  # far from what its rows say: flagged
            target("jalali", "digital_takeup", y1404, 50, round(100 * takeup + 3, 1), "percent"),  # within 5 points
            target("jalali", "complaints_per_1000", y1404, 4.5, 4.5, "per_1000_applications"),  # lower, met exactly
            target("jalali", "processing_days", y1404, 10, 8),  # lower from its name
            target("jalali", "wait_hours", y1404, 2, 3, "hours"),  # lower from its unit
            target("jalali", "call_wait", y1404, 5, 4, " Minutes "),  # lower from its unit, as written
            target("jalali", "unit_cost", y1404, 900, 950, "cost_per_transaction"),
            target("jalali", "complaints_handled_late", y1404, 50, 50),  # lower from its name, met exactly
            target("jalali", "widgets_made", y1404, 100, 120, "widgets"),  # no direction known
            target("jalali", "budget_overrun", y1404, 5, 7, "percent", "lower"),
            target("jalali", "e_services", y1404, 10, "", "services", "higher"),  # no actual yet
            target("jalali", "smart_services_share", y1404, 40, 40, "pct"),
            target("jalali", "smart_services_share", y1403, 20, 20, "percent"),
            target("jalali", "share_smart", y1403, 0.2, 0.9, "share"),  # smart_services_share comes first
        ],
    }
    jalali.runs = [
        run("inv", "services", now - dt.timedelta(minutes=20), read=5, passed=5),
        run("perf", "service_performance", now - dt.timedelta(minutes=25), read=len(rows) + 9, passed=len(rows)),
        run("tgt", "targets", now - dt.timedelta(minutes=22), read=10, passed=10),
    ]

    def simple(agency_id: str, periods: list, n_services: int, runs: list) -> Agency:
        inv = services(rng, agency_id, n_services)
        ids = [s["service_id"] for s in inv] or [f"{agency_id.upper()}-X"]
        agency = Agency(agency_id, runs=runs)
        agency.rows = {"service_performance": performance(rng, agency_id, ids, periods)}
        if inv:
            agency.rows["services"] = inv
        return agency

    day = dt.timedelta(days=1)
    quarterly = simple("quarterly", quarters(dt.date(2024, 10, 1), 5), 3, [run("q", "service_performance", now - day)])
    quarterly.rows["targets"] = [
        target("quarterly", "digital_uptake", quarters(dt.date(2025, 10, 1), 1)[0], 60, 55, "percent")
    ]
    yearly = simple(
        "yearly", jalali_years(1402, 3), 2, [run("y", "service_performance", now - 3 * day, read=9, passed=9)]
    )
    gregorian_year = (dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025")  # a year, but not a Jalali one
    yearly.rows["targets"] = [target("yearly", "smart_services_share", gregorian_year, 20, 30, "percent")]
    stale = simple(
        "stale",
        months((2024, 6), 15, "gregorian"),
        2,
        [
            run("s", "service_performance", now - 40 * day, read=40, passed=40),
            run("s", "service_performance", now - 2 * day, Outcome.FAILED),
        ],
    )
    outside = simple(
        "outside",
        months((2022, 1), 12, "gregorian"),
        2,
        [run("o", "service_performance", now - 400 * day, read=24, passed=20)],
    )
    onemonth = simple("onemonth", months((1404, 11), 1, "jalali"), 2, [run("m", "service_performance", now - day)])
    noservices = simple(
        "noservices",
        months((1404, 1), 11, "jalali"),
        0,
        [run("n", "service_performance", now - 5 * day, read=11, passed=11)],
    )
    rejected = Agency(
        "rejected",
        runs=[
            run("r1", "services", now - day, Outcome.FAILED, read=10, passed=0),
            run("r2", "service_performance", now - day, Outcome.FAILED, read=30, passed=0),
        ],
    )
    mixed = simple(
        "mixed",
        months((2025, 4), 6, "gregorian")
        + quarters(dt.date(2025, 4, 1), 2)
        + [(dt.date(2025, 8, 1), dt.date(2025, 9, 14), "odd")],
        2,
        [run("x", "service_performance", now - 2 * day, read=30, passed=27)],
    )
    inventory2 = services(rng, "inventory", 4)
    for row in inventory2:
        row["smart"] = ""  # none says smart: 0% of the inventory is, against the 50% it reports
    listed = Agency(
        "inventory",
        rows={
            "services": inventory2,
            "targets": [target("inventory", "smart_services_share", y1404, 40, 50, "percent")],
        },
    )
    return Spec(
        "edges",
        now,
        {"timezone": "Asia/Tehran", "calendar": "jalali", "smart_plan": (1403, 0.2, 5)},
        [jalali, quarterly, yearly, stale, outside, onemonth, noservices, rejected, mixed, listed],
        republish={"inventory": {"services": inventory2[:3]}},
    )


def noplan() -> Spec:
    rng = random.Random(2016)
    now = dt.datetime(2026, 6, 30, 3, 30, tzinfo=UTC)  # 2026-06-29 23:30 in Toronto
    monthly = Agency("monthly")
    inv = services(rng, "monthly", 6)
    periods = months((2025, 3), 15, "gregorian")
    rows = performance(rng, "monthly", [s["service_id"] for s in inv], periods, channels=("online", "in_person"))
    year = (dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025")
    takeup = _takeup(rows, *year[:2])
    monthly.rows = {
        "services": inv,
        "service_performance": rows,
        "targets": [
            *(target("monthly", "satisfaction", p, 70, rng.choice((40, 65, 90)), "percent") for p in periods[-5:]),
            target("monthly", "digital_takeup", year, 0.5, round(takeup - 0.02, 4), "share"),
            target("monthly", "online_share", year, 0.5, round(takeup + 0.3, 4), "share"),
            target("monthly", "median_days", year, 5, 5, "days"),  # lower-is-better met exactly
            target("monthly", "complaints", year, 10, 12, "complaints"),
            target("monthly", "share_smart", year, 0.3, 0.5),
        ],
    }
    monthly.runs = [run("m", "service_performance", dt.datetime(2026, 6, 29, 2, 0, tzinfo=UTC), read=90, passed=90)]
    longrun = Agency("longrun")
    periods = months((1983, 1), 521, "gregorian")
    longrun.rows = {
        "service_performance": performance(rng, "longrun", ["L-1"], periods, gaps=0, channels=("online",)),
        "targets": [
            target("longrun", "satisfaction", p, 70, 70 + n % 3, "percent") for n, p in enumerate(periods[:510])
        ],
    }
    longrun.runs = [run("l", "service_performance", now - dt.timedelta(hours=2), read=521, passed=521)]
    quarterly = Agency("quarterly2", runs=[run("q", "services", now - dt.timedelta(days=8), Outcome.UNCHANGED)])
    inv = services(rng, "quarterly2", 2)
    quarterly.rows = {
        "services": inv,
        "service_performance": performance(
            rng, "quarterly2", [s["service_id"] for s in inv], quarters(dt.date(2025, 1, 1), 6)
        ),
    }
    return Spec(
        "noplan",
        now,
        {
            "timezone": "America/Toronto",
            "calendar": "gregorian",
            "reference_lag_months": 0,
            "stale_after_months": 2,
            "discrepancy_tolerance": 0.1,
        },
        [monthly, longrun, quarterly],
    )


def empty() -> Spec:
    rng = random.Random(3)
    now = dt.datetime(2026, 10, 10, 8, 0, tzinfo=UTC)
    perf = Agency(
        "perfonly",
        rows={"service_performance": performance(rng, "perfonly", ["P-1"], months((1404, 8), 12, "jalali"))},
        runs=[run("p", "service_performance", now - dt.timedelta(days=1), read=30, passed=30)],
    )
    return Spec("empty", now, {"smart_plan": (1404, 0.25, 4)}, [perf, Agency("nothing")])


def seeded(seed: int) -> Spec:
    """Random settings and agencies: calendars, grains, how far behind, gaps, targets of every kind."""
    rng = random.Random(seed)
    now = dt.datetime(2025, 1, 1, tzinfo=UTC) + dt.timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
    portal = {
        "timezone": rng.choice(("Asia/Tehran", "UTC", "Asia/Kabul", "America/Toronto")),
        "calendar": rng.choice(("jalali", "gregorian")),
        "reference_lag_months": rng.randint(0, 2),
        "stale_after_months": rng.randint(1, 6),
        "discrepancy_tolerance": rng.choice((0.01, 0.05, 0.1)),
    }
    if rng.random() < 0.7:
        portal["smart_plan"] = (rng.randint(1401, 1405), rng.choice((0.1, 0.2, 0.25, 1 / 3)), rng.randint(3, 6))
    spec = Spec(f"seed-{seed}", now, portal, [])
    reference = spec.window.reference
    # Target names, each with the units agencies write it in ("" is no unit: a value above 1 is a percentage).
    known = {
        "satisfaction": ("percent", ""),
        "digital_takeup": ("percent", "pct", "share", ""),
        "completion_rate": ("percent", "share", "%"),
        "complaints_per_1000": ("per_1000_applications", ""),
        "smart_services_share": ("percent", "pct", "share", "", "درصد"),
        "share_gsb": ("share", "percent"),
        "smart_services": ("services",),
        "gsb_connected_services": ("services",),
        "clearance_days": ("days", ""),
        "queue_hours": ("hours",),
        "whatever": ("widgets", ""),
    }
    for n in range(rng.randint(2, 5)):
        agency = Agency(f"a{n}-{seed}")
        inv = services(rng, agency.id, rng.choice((0, 1, 3, 8)), gaps=rng.random() / 2)
        grain = rng.choice(("jalali", "gregorian", "quarter", "year"))
        behind = rng.choice((0, 0, 1, 3, 5, 8, 14, 30))
        end_month = cal.shift(reference, -behind)
        end = cal.bounds(end_month, portal["calendar"])[1]
        if grain in ("jalali", "gregorian"):
            last = cal.shift(cal.month_of(end + dt.timedelta(days=1), grain), -1)
            back = rng.randint(0, 17)
            periods = months(cal.shift(last, -back), back + 1, grain)
        elif grain == "quarter":
            periods = quarters(dt.date(end.year - 2, 1, 1), 12)
        else:
            periods = jalali_years(cal.jalali_year(end) - 3, 4)
        periods = [p for p in periods if p[1] <= end][-rng.randint(1, 12) :] or periods[:1]
        ids = [s["service_id"] for s in inv] or [f"X-{n}"]
        if rng.random() < 0.9:
            agency.rows["service_performance"] = performance(rng, agency.id, ids, periods, gaps=rng.random() / 3)
        if inv:
            agency.rows["services"] = inv
        targets = []
        for indicator in rng.sample(sorted(known), rng.randint(0, 6)):
            period = rng.choice(periods + jalali_years(cal.jalali_year(spec.today) - 1, 1))
            unit = rng.choice(known[indicator])
            top = 1 if unit == "share" or (not unit and rng.random() < 0.5) else 100
            value = round(rng.uniform(0, top), 3)
            targets.append(
                target(
                    agency.id,
                    indicator,
                    period,
                    rng.choice((value, round(min(top, value * 1.1), 3))),
                    rng.choice((value, "", round(rng.uniform(0, top), 3))),
                    unit,
                    rng.choice(("", "", "higher", "lower")),
                )
            )
        if targets:
            agency.rows["targets"] = targets
        for dataset in agency.rows:
            started = now - dt.timedelta(hours=rng.randint(0, 2000))
            read = rng.randint(0, 300)
            agency.runs.append(
                run(
                    dataset,
                    dataset,
                    started,
                    rng.choice((Outcome.OK, Outcome.OK, Outcome.UNCHANGED)),
                    read=read,
                    passed=rng.randint(0, read),
                )
            )
        spec.agencies.append(agency)
    return spec


SPECS = {"edges": edges, "noplan": noplan, "empty": empty, **{f"seed-{n}": (lambda n=n: seeded(n)) for n in (1, 2, 3)}}


def cases(oracle) -> set[str]:
    """The edge cases a published portal holds, as the oracle sees them (so a generator change cannot lose one)."""
    found: set[str] = {"plan" if oracle.settings.plan else "no plan"}
    for agency in oracle.agencies:
        card = oracle.card(agency)
        found.add(f"unranked: {card['unranked_reason']}" if card["unranked_reason"] else "ranked")
        grains = {cal.grain(s, e) for s, e in oracle.periods(agency)} - {None}
        found |= {f"grain: {g}" for g in grains}
        if {"month", "quarter"} <= grains:
            found.add("months and quarters")
        if any(
            cal.grain(s, e) == "month" and cal.month_of(s, "jalali") != cal.month_of(e, "jalali")
            for s, e in oracle.periods(agency)
        ):
            found.add("Gregorian months")
        if any(
            cal.grain(s, e) == "month" and cal.month_of(s, "jalali") == cal.month_of(e, "jalali")
            for s, e in oracle.periods(agency)
        ):
            found.add("Jalali months")
        if len(oracle.window_periods(agency)) == 1:
            found.add("one month")
        if oracle.periods(agency) and not oracle.inventory(agency)["n"]:
            found.add("no services")
        runs = oracle.q("SELECT rows_read, rows_passed FROM harvest_runs WHERE agency_id = ?", agency)
        if runs and all(r["rows_read"] and not r["rows_passed"] for r in runs) and not oracle.periods(agency):
            found.add("all rows rejected")
        if oracle.q("SELECT 1 FROM services WHERE agency_id = ? AND withdrawn = 1", agency):
            found.add("withdrawn service")
        for row in oracle.targets(agency).values():
            found.add(f"direction: {row['direction_rule']}")
            if row["actual"] is None:
                found.add("missing actual")
            elif row["direction_expected"] == "lower" and row["actual"] == row["target"]:
                found.add("lower-is-better met exactly")
    for d in oracle.discrepancies():
        found.add("reported beyond tolerance" if d["flagged"] else "reported within tolerance")
    if len(oracle.discrepancies()) > 500:
        found.add("more discrepancies than a page")
    if not any(oracle.inventory(a)["n"] for a in oracle.agencies):
        found.add("no services anywhere")
    return found


# What each named portal must hold.
CASES = {
    "edges": {
        "plan",
        "ranked",
        "unranked: stale",
        "unranked: no_data_in_window",
        "unranked: no_performance_data",
        "grain: month",
        "grain: quarter",
        "grain: year",
        "months and quarters",
        "Jalali months",
        "Gregorian months",
        "one month",
        "no services",
        "all rows rejected",
        "withdrawn service",
        "direction: stated",
        "direction: known",
        "direction: unit",
        "direction: name",
        "direction: unknown",
        "missing actual",
        "lower-is-better met exactly",
        "reported beyond tolerance",
        "reported within tolerance",
    },
    "noplan": {
        "no plan",
        "ranked",
        "grain: month",
        "grain: quarter",
        "lower-is-better met exactly",
        "reported beyond tolerance",
        "reported within tolerance",
        "more discrepancies than a page",
    },
    "empty": {"plan", "no services anywhere", "no services", "unranked: no_performance_data"},
    "demo": {
        "plan",
        "ranked",
        "Jalali months",
        "Gregorian months",
        "reported beyond tolerance",
        "reported within tolerance",
        "missing actual",
        "direction: unknown",
    },
    "canada": {"no plan", "grain: year", "unranked: no_data_in_window"},
}
