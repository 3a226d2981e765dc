"""Possible duplicate services across agencies, on a real SQLite file built with the publisher's schema."""

from __future__ import annotations

import itertools
import random
import sqlite3
from pathlib import Path

import pytest

from shafaf.publish import duplicates
from shafaf.publish.duplicates import Service
from shafaf.publish.writer import ensure_schema


def build_db(path: Path, services: list[tuple]) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # a test file: no need to wait for the disk
    ensure_schema(conn)
    conn.executemany(
        "INSERT INTO services (agency_id, service_id, name_fa, name_en, withdrawn, run_id) VALUES (?, ?, ?, ?, ?, 'run-1')",
        [(*row, *([None] * (5 - len(row)))) for row in services],
    )
    return conn


def listed(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT agency_a, service_a, agency_b, service_b, score, method FROM possible_duplicates "
        "ORDER BY agency_a, service_a, agency_b, service_b"
    ).fetchall()


def pair_keys(conn: sqlite3.Connection) -> set[tuple[str, str, str, str]]:
    return {row[:4] for row in listed(conn)}


SERVICES = [
    ("tax", "T1", "صدور کارت ملی", "National card issuance"),
    ("civil", "C1", "صدور كارت ملي", None),  # Arabic yeh and kaf
    ("customs", "K1", "صدور  کارت‌ملی", None),  # double space, ZWNJ
    ("post", "P1", "کارت ملی صدور", None),  # word order
    ("health", "H1", "تمدید دفترچه بیمه", "Renewal of insurance booklet"),
    ("post", "P2", "ارسال مرسوله پستی", "Parcel delivery"),  # clearly different
    ("tax", "T2", "کارت ملی صدور", None),  # same agency as T1: never a pair with it
]


def test_spelling_spacing_and_order_variants_are_listed_with_score_one(tmp_path):
    conn = build_db(tmp_path / "shafaf.db", SERVICES)
    assert duplicates.compute(conn, threshold=0.8) == 9
    rows = listed(conn)
    for_t1 = [r for r in rows if "T1" in (r[1], r[3])]
    assert {(r[0], r[2]) for r in for_t1} == {("civil", "tax"), ("customs", "tax"), ("post", "tax")}
    assert all(r[4] == 1.0 and r[5] == "name_fa" for r in rows)
    assert ("civil", "C1", "customs", "K1") in pair_keys(conn)


def test_same_agency_pairs_and_different_services_are_never_listed(tmp_path):
    conn = build_db(tmp_path / "shafaf.db", SERVICES)
    duplicates.compute(conn, threshold=0.8)
    rows = listed(conn)
    assert all(agency_a < agency_b for agency_a, _, agency_b, *_ in rows)  # each pair once, in a stable order
    assert not [r for r in rows if {r[1], r[3]} == {"T1", "T2"}]
    assert not [r for r in rows if "P2" in (r[1], r[3]) or "H1" in (r[1], r[3])]


def test_original_names_are_kept_for_display(tmp_path):
    conn = build_db(tmp_path / "shafaf.db", SERVICES)
    duplicates.compute(conn, threshold=0.8)
    name_a, name_b = conn.execute(
        "SELECT name_a, name_b FROM possible_duplicates WHERE service_a = 'C1' AND service_b = 'T1'"
    ).fetchone()
    assert (name_a, name_b) == ("صدور كارت ملي", "صدور کارت ملی")


def test_threshold_is_respected(tmp_path):
    conn = build_db(
        tmp_path / "shafaf.db",
        [
            ("a", "1", "صدور کارت ملی هوشمند"),  # 3 of 4 words in common with b: Jaccard 0.75
            ("b", "1", "صدور کارت ملی"),
        ],
    )
    assert duplicates.compute(conn, threshold=0.8) == 0
    assert listed(conn) == []
    assert duplicates.compute(conn, threshold=0.75) == 1
    assert listed(conn) == [("a", "1", "b", "1", 0.75, "name_fa")]
    assert duplicates.compute(conn, threshold=0.76) == 0  # the table is rebuilt, not appended to
    assert listed(conn) == []
    with pytest.raises(ValueError):
        duplicates.compute(conn, threshold=0)


def test_english_names_match_when_persian_ones_differ_and_method_says_so(tmp_path):
    conn = build_db(
        tmp_path / "shafaf.db",
        [
            ("a", "1", "تمدید گذرنامه", "Passport Renewal"),
            ("b", "9", "نوسازی پاسپورت", "renewal of  passport"),  # case, spaces, order, "of"
            ("c", "5", "تمدید گذرنامه", "Passport renewal"),
        ],
    )
    duplicates.compute(conn, threshold=0.8)
    assert listed(conn) == [
        ("a", "1", "b", "9", 1.0, "name_en"),
        ("a", "1", "c", "5", 1.0, "name_fa+name_en"),
        ("b", "9", "c", "5", 1.0, "name_en"),
    ]
    name_a, name_b = conn.execute("SELECT name_a, name_b FROM possible_duplicates WHERE agency_b = 'b'").fetchone()
    assert (name_a, name_b) == ("Passport Renewal", "renewal of  passport")


def test_withdrawn_services_are_left_out_and_null_counts_as_not_withdrawn(tmp_path):
    conn = build_db(
        tmp_path / "shafaf.db",
        [
            ("a", "1", "صدور کارت ملی", None, None),
            ("b", "1", "صدور کارت ملی", None, 0),
            ("c", "1", "صدور کارت ملی", None, 1),
        ],
    )
    duplicates.compute(conn, threshold=0.8)
    assert pair_keys(conn) == {("a", "1", "b", "1")}


def test_scores_are_deterministic_whatever_the_row_order(tmp_path):
    first = build_db(tmp_path / "one.db", SERVICES)
    second = build_db(tmp_path / "two.db", list(reversed(SERVICES)))
    duplicates.compute(first, threshold=0.5)
    duplicates.compute(second, threshold=0.5)
    assert listed(first) == listed(second)
    assert (
        first.execute("SELECT * FROM possible_duplicates").fetchall()
        == second.execute("SELECT * FROM possible_duplicates").fetchall()
    )  # same rows in the same order


def test_compute_joins_the_callers_transaction(tmp_path):
    conn = build_db(tmp_path / "shafaf.db", SERVICES)
    conn.execute("BEGIN IMMEDIATE")
    duplicates.compute(conn, threshold=0.8)
    conn.execute("ROLLBACK")
    assert listed(conn) == []


def test_stop_words_and_tokens():
    assert duplicates.tokens("کارت‌های ملی") == duplicates.tokens("كارت ملي") == frozenset({"کارت", "ملی"})
    assert duplicates.tokens("و") == frozenset({"و"})  # a name made only of stop words keeps them
    assert duplicates.tokens(None) == frozenset()


@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.75, 0.8, 0.9, 1.0])
def test_blocking_finds_exactly_what_comparing_every_pair_finds(threshold):
    rng = random.Random(1405)
    words = [f"w{i}" for i in range(40)]
    weights = [1 / (i + 1) for i in range(40)]  # a few common words, many rare ones, as in service names
    services = [
        Service(f"agency{rng.randrange(12)}", f"S{n}", " ".join(rng.choices(words, weights, k=rng.randint(1, 6))), None)
        for n in range(400)
    ]
    found = {(m.a.service_id, m.b.service_id): m.score for m in duplicates.find(services, threshold=threshold)}
    expected = {}
    token_sets = {s.service_id: duplicates.tokens(s.name_fa) for s in services}
    for a, b in itertools.combinations(services, 2):
        if a.agency_id == b.agency_id:
            continue
        score = duplicates.jaccard(token_sets[a.service_id], token_sets[b.service_id])
        if score >= threshold:
            a, b = sorted((a, b), key=lambda s: (s.agency_id, s.service_id))
            expected[(a.service_id, b.service_id)] = round(score, 4)
    assert found == expected
    assert expected  # the sample does hold pairs at every threshold


def _generated(n: int, agencies: int, seed: int = 1405) -> list[Service]:
    """Service names as the benchmark generator makes them (repeated verbs and objects), both languages."""
    rng = random.Random(seed)
    verbs = ["صدور", "تمدید", "ثبت", "استعلام", "پرداخت", "درخواست", "تغییر", "ابطال", "کارت", "ملی"]
    objects = [f"o{i}" for i in range(30)]
    return [
        Service(
            f"ag{rng.randrange(agencies):03d}",
            f"S{i:05d}",
            " ".join(rng.choices(verbs, k=rng.randint(1, 3)) + rng.choices(objects, k=rng.randint(0, 2))),
            rng.choice([None, f"service {rng.choice(objects)} {rng.choice(objects)}"]),
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("threshold", [0.5, 0.8, 1.0])
def test_pairs_involving_some_agencies_are_exactly_those_of_the_full_list(threshold):
    services = _generated(600, 25)
    full = duplicates.find(services, threshold=threshold)
    for changed in ({"ag003"}, {"ag000", "ag017", "ag024"}, {"nobody"}):
        part = duplicates.find(services, threshold=threshold, involving=changed)
        assert part == [m for m in full if m.a.agency_id in changed or m.b.agency_id in changed]
    assert full


def test_compute_for_changed_agencies_leaves_the_table_a_full_compute_would_write(tmp_path):
    services = _generated(500, 20, seed=7)
    conn = build_db(tmp_path / "p.db", [(s.agency_id, s.service_id, s.name_fa, s.name_en) for s in services])
    duplicates.compute(conn, threshold=0.8)
    # Two agencies change: one renames services, one withdraws some and adds new ones.
    conn.execute("UPDATE services SET name_fa = 'ثبت کارت ملی o1' WHERE agency_id = 'ag004' AND rowid % 2 = 0")
    conn.execute("UPDATE services SET withdrawn = 1 WHERE agency_id = 'ag011' AND rowid % 3 = 0")
    conn.executemany(
        "INSERT INTO services (agency_id, service_id, name_fa, run_id) VALUES ('ag011', ?, ?, 'run-2')",
        [(f"N{i}", "صدور کارت ملی") for i in range(5)],
    )
    duplicates.compute_for(conn, {"ag004", "ag011"}, threshold=0.8)
    incremental = listed(conn)
    duplicates.compute(conn, threshold=0.8)
    assert incremental == listed(conn) and incremental
