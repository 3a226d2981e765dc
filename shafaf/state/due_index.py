"""``schedule_due``: when each scheduled source is next owed a run, so a pass looks only at what is due.

A scheduler pass used to evaluate every source's schedule against its run
history (croniter and index seeks per source: proportional to the whole
registry, 5,000 sources at national size). This table keeps, per source,
the first slot after its last attempt (``next_due``), indexed, so a pass
reads only the rows whose ``next_due`` has come, and evaluates those as
before (``schedule.due_since``, which stays the one judge of "due").

It is only ever early, never late, so nothing due is missed:

- a row whose ``next_due`` is NULL is always read: a source new to the
  table, whose rule changed (the registry, an override, the timezone), whose
  rule cannot be computed (its problem is reported each pass, as before),
  or with a run written since it was computed: triggers on ``runs`` set it
  NULL and bump ``gen`` on every insert, change and delete, whoever writes;
- a computed ``next_due`` is stored only if ``gen`` did not move meanwhile;
- a last attempt stamped after now (the clock went back) is read too
  (``attempt``), as ``due_since`` has a rule for it.

A source is due exactly when a slot has passed after its last attempt: its
``next_due`` is that slot while it is not covered, else the rule's next slot
after now. Both come from two slots computed once per distinct rule in a pass,
so the cron work of a pass grows with the rules, not with the sources.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

from shafaf.config.schedule import Rule, format_utc

Key = tuple[str, str]


def _forget(who: str) -> str:
    return (
        f"UPDATE schedule_due SET next_due = NULL, gen = gen + 1 "
        f"WHERE agency_id = {who}.agency_id AND source_id = {who}.source_id;"
    )


SCHEMA = f"""
CREATE TABLE IF NOT EXISTS schedule_due (
    agency_id TEXT NOT NULL, source_id TEXT NOT NULL, rule TEXT NOT NULL, attempt TEXT, next_due TEXT,
    gen INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (agency_id, source_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS schedule_due_next ON schedule_due (next_due);
CREATE INDEX IF NOT EXISTS schedule_due_attempt ON schedule_due (attempt);
-- The rules the table was last brought up to, so an unchanged registry costs one read (id is always 1).
CREATE TABLE IF NOT EXISTS schedule_due_rules (id INTEGER PRIMARY KEY CHECK (id = 1), fingerprint TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS schedule_due_insert AFTER INSERT ON runs BEGIN {_forget("NEW")} END;
CREATE TRIGGER IF NOT EXISTS schedule_due_update AFTER UPDATE OF agency_id, source_id, outcome, started ON runs
BEGIN {_forget("OLD")} {_forget("NEW")} END;
CREATE TRIGGER IF NOT EXISTS schedule_due_delete AFTER DELETE ON runs BEGIN {_forget("OLD")} END;
"""


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def rule_text(rule: Rule | None, problem: str | None, *, tz: str) -> str:
    """What a row is computed from: the rule in its JSON form and the portal's timezone (or the problem)."""
    if rule is None:
        return f"problem:{problem}"
    form = rule.to_json()
    return f"{tz}|{form if isinstance(form, str) else sorted(form.items())}"


def sync(conn: sqlite3.Connection, rules: dict[Key, str]) -> None:
    """Bring the rows up to ``rules`` (every scheduled source's ``rule_text``): new or changed rows are
    recomputed (NULL), rows of sources no longer scheduled go. One read when nothing changed."""
    fingerprint = hashlib.sha256(
        "\n".join(f"{a}\t{s}\t{text}" for (a, s), text in sorted(rules.items())).encode("utf-8", "surrogatepass")
    ).hexdigest()
    stored = conn.execute("SELECT fingerprint FROM schedule_due_rules WHERE id = 1").fetchone()
    if stored is not None and stored[0] == fingerprint:
        return
    have = {(a, s): text for a, s, text in conn.execute("SELECT agency_id, source_id, rule FROM schedule_due")}
    conn.executemany(
        "DELETE FROM schedule_due WHERE agency_id = ? AND source_id = ?", [k for k in have if k not in rules]
    )
    conn.executemany(
        "INSERT INTO schedule_due (agency_id, source_id, rule) VALUES (?, ?, ?) ON CONFLICT (agency_id, source_id) "
        "DO UPDATE SET rule = excluded.rule, next_due = NULL, attempt = NULL, gen = gen + 1",
        [(*key, text) for key, text in rules.items() if have.get(key) != text],
    )
    conn.execute("INSERT OR REPLACE INTO schedule_due_rules VALUES (1, ?)", (fingerprint,))


def candidates(conn: sqlite3.Connection, now: dt.datetime) -> dict[Key, int]:
    """The sources that may be due at ``now``, each with its ``gen`` (for ``remember``)."""
    at = format_utc(now)
    rows = conn.execute(
        "SELECT agency_id, source_id, gen FROM schedule_due WHERE next_due IS NULL OR next_due <= ? "
        "UNION SELECT agency_id, source_id, gen FROM schedule_due WHERE attempt > ?",
        (at, at),
    )
    return {(a, s): gen for a, s, gen in rows}


def next_due(
    slot: dt.datetime | None, following: dt.datetime | None, *, last_attempt: dt.datetime | None
) -> dt.datetime | None:
    """The first moment the source is owed a run, from its rule's latest slot at or before now and the slot
    after it (computed once per rule): the latest slot while that is not covered, else the next one. Never
    later than the truth (an attempt stamped past ``following`` is read anyway, by ``attempt``)."""
    if slot is not None and (last_attempt is None or last_attempt < slot):
        return slot
    return following


def remember(conn: sqlite3.Connection, rows: list[tuple[Key, int, str | None, dt.datetime | None]]) -> None:
    """Store (key, gen, last attempt, next due) computed by a pass, where no run was written since (``gen``)."""
    conn.executemany(
        "UPDATE schedule_due SET attempt = ?, next_due = ? WHERE agency_id = ? AND source_id = ? AND gen = ?",
        [(attempt, format_utc(due) if due else None, *key, gen) for key, gen, attempt, due in rows],
    )
