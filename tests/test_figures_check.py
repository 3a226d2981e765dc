"""The independent check of every figure the pages show (issue 16, item 7).

For each portal (the demo, the Canada example on the real file, generated portals), every
``<data class="figure">`` of the home page, every agency page (Persian and English), the service pages of
a sample of services and /discrepancies is read off the served HTML and compared with the value the
oracle (tests/figures_oracle.py) computes with its own SQL from the published raw tables, following
docs/indicators.md: the exact value, the text a reader sees and the period it covers. Invariants hold on
every portal: shares within 0-100%, scores within 0-100, ranks within 1..N among the agencies the rank is
among, no rank on freshness, a league made only of compared agencies, every ``met`` consistent with its
target, actual and direction.
"""

from __future__ import annotations

import figures_portals as portals
import figures_scenarios
import pytest
from figures_crawl import crawl
from figures_expect import expect, service_months
from figures_oracle import Oracle, UnknownFigure
from figures_pages import judge

pytestmark = pytest.mark.slow  # the demo and Canada published, every figure recomputed

PORTALS = portals.NAMES


@pytest.fixture(scope="module", params=PORTALS)
def portal(request, tmp_path_factory) -> portals.Built:
    if request.param == "canada":
        return portals.canada(request.getfixturevalue("canada_published"))
    return portals.build(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def checked(portal):
    oracle = Oracle(portal.db, portal.settings)
    pages = crawl(portal.db, portal.registry, portal.registry_path)
    return portal, oracle, pages


def test_every_page_answers(checked):
    _, _, pages = checked
    assert [(p.path, p.lang, p.status) for p in pages if p.status != 200] == []


def test_every_figure_is_what_the_raw_tables_say(checked):
    _, oracle, pages = checked
    problems = []
    count = 0
    for crawled in pages:
        for shown in crawled.page.figures:
            count += 1
            try:
                expected = expect(oracle, shown.id)
            except UnknownFigure:
                problems.append(f"{crawled.path}?lang={crawled.lang} {shown.id}: a figure the check does not know")
                continue
            where = f"{crawled.path}?lang={crawled.lang} {shown.id}"
            problems += [f"{where}: {p}" for p in judge(shown, expected, crawled.lang)]
    assert count
    assert problems == [], f"{len(problems)} of {count} figures wrong:\n" + "\n".join(sorted(set(problems))[:80])


def _figures(crawled, prefix: str) -> list:
    return [f for f in crawled.page.figures if f.id.startswith(prefix)]


def test_ranks_are_within_1_to_n_and_only_where_a_rank_means_something(checked):
    portal, oracle, pages = checked
    columns = [c for c in oracle.rules.scorecard.values()]
    assert not any(c.rank for c in columns if c.column == "freshness_days"), "freshness ranks nobody"
    cards = {r["agency_id"]: dict(r) for r in oracle.q("SELECT * FROM agency_scorecard")}
    assert set(cards) == set(oracle.agencies)
    for column in (c for c in columns if c.rank):
        among = [
            a
            for a, card in cards.items()
            if card[column.column] is not None and (column.among == "all" or card["ranked"] == 1)
        ]
        for agency, card in cards.items():
            rank = card[column.rank]
            assert (rank is not None) == (agency in among), (column.rank, agency, rank)
            assert rank is None or 1 <= rank <= len(among), (column.rank, agency, rank, len(among))
            assert rank == oracle.ranks(column.rank).get(agency), (column.rank, agency)
            if rank is not None and column.among == "compared":
                assert card["ranked"] == 1, (column.rank, agency)
    for agency, card in cards.items():
        assert (card["ranked"], card["unranked_reason"]) == (
            oracle.card(agency)["ranked"],
            oracle.card(agency)["unranked_reason"],
        ), agency
    for crawled in pages:
        for row in crawled.page.containers:  # a scorecard row has a rank exactly when its column ranks agencies
            if row["table"] != "scorecard" or not row["figures"]:
                continue
            agency, column = row["figures"][0].split(":")[1:]
            ranks = [i for i in row["figures"] if ":rank:" in i]
            spec = oracle.rules.scorecard[column]
            assert ranks == ([f"agency:{agency}:rank:{spec.rank}"] if spec.rank and cards[agency][spec.rank] else []), (
                crawled.path,
                column,
                ranks,
            )
            assert column != "freshness_days" or not ranks


def test_the_league_holds_only_the_agencies_compared_and_lists_the_others_apart(checked):
    _, oracle, pages = checked
    for crawled in (p for p in pages if p.path == "/"):
        league = {f.id.split(":")[1] for f in _figures(crawled, "agency:") if f.id.endswith(":share_smart")}
        assert league == {a for a in oracle.agencies if oracle.card(a)["ranked"]}, crawled.lang
        apart = {
            row["attrs"]["data-agency"]: row["attrs"]["data-reason"]
            for row in crawled.page.containers
            if "data-agency" in row["attrs"]
        }
        assert apart == {a: oracle.card(a)["unranked_reason"] for a in oracle.agencies if not oracle.card(a)["ranked"]}


def test_every_met_follows_its_target_actual_and_direction(checked):
    _, oracle, pages = checked
    for agency in oracle.agencies:
        for key, row in oracle.targets(agency).items():
            assert (row["direction_used"], row["met"]) == (row["direction_expected"], row["met_expected"]), (
                agency,
                key,
            )
    shown = 0
    for crawled in pages:
        for row in crawled.page.containers:
            ids = [i for i in row["figures"] if ":target:" in i and i.endswith(":target")]
            if not ids:
                continue
            _, agency, _, indicator, start, _ = ids[0].split(":")
            met = oracle.targets(agency)[(indicator, start)]["met_expected"]
            assert row["met"] == ["" if met is None else str(met)], (crawled.path, indicator, start)
            shown += 1
    assert shown == 2 * sum(len(oracle.targets(a)) for a in oracle.agencies)


def test_every_discrepancy_is_listed_and_flagged_as_the_tolerance_says(checked):
    _, oracle, pages = checked
    found = {(d["agency"], d["indicator"], d["start"]): d for d in oracle.discrepancies()}
    for crawled in (p for p in pages if p.path == "/discrepancies"):
        listed = {}
        for row in crawled.page.containers:
            ids = [i for i in row["figures"] if i.startswith("discrepancy:") and i.endswith(":measured")]
            if ids:
                _, agency, indicator, start, _ = ids[0].split(":")
                listed[(agency, indicator, start)] = "flagged" in row["attrs"].get("class", "").split()
        if len(found) <= 500:
            assert set(listed) == set(found), crawled.lang
        else:
            assert len(listed) == 500 and set(listed) <= set(found)
        assert {k: v for k, v in listed.items()} == {k: bool(found[k]["flagged"]) for k in listed}, crawled.lang


def test_every_figure_the_raw_tables_call_for_is_shown(checked):
    portal, oracle, pages = checked
    seen = {(p.path, p.lang): {f.id for f in p.page.figures} for p in pages}
    for lang in ("fa", "en"):
        home = seen[("/", lang)]
        assert {
            "national:services",
            "national:share_fully_online",
            "national:digital_takeup",
            "national:satisfaction",
        } <= home
        if portal.settings.plan and any(oracle.card(a)["smart_required"] is not None for a in oracle.agencies):
            assert f"national:smart_required:{oracle.this_year}" in home
        for agency in oracle.agencies:
            ids = seen[(f"/agencies/{agency}", lang)]
            wanted = (
                {f"agency:{agency}:{part}" for part in oracle.rules.score_weights}
                | {f"agency:{agency}:points:{part}" for part in oracle.rules.score_weights}
                | {
                    f"agency:{agency}:target:{i}:{s}:{what}"
                    for i, s in oracle.targets(agency)
                    for what in ("target", "actual")
                }
            )
            assert wanted <= ids, (agency, lang, sorted(wanted - ids)[:5])
        for (path, page_lang), ids in seen.items():
            if page_lang != lang or "/services/" not in path:
                continue
            _, _, agency, _, service = path.split("/")
            wanted = {
                f"service:{agency}:{service}:{start.isoformat()}:applications"
                for start in service_months(oracle, agency, service)
            }
            assert wanted <= ids, (path, sorted(wanted - ids)[:3])


def test_each_portal_holds_the_edge_cases_it_is_built_for(checked):
    portal, oracle, _ = checked
    wanted = figures_scenarios.CASES.get(portal.name, set())
    assert wanted <= figures_scenarios.cases(oracle), sorted(wanted - figures_scenarios.cases(oracle))
