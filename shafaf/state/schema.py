"""The tables of ``var/state.db`` and how an older file is brought up to them (``StateStore`` opens with it)."""

from __future__ import annotations

import sqlite3

from shafaf.standard.tables import HARVEST_RUNS_COLUMNS
from shafaf.state import due_index, newest_runs

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    {", ".join(f"{name} {kind}" for name, kind in HARVEST_RUNS_COLUMNS.items())},
    PRIMARY KEY (run_id)
);
CREATE INDEX IF NOT EXISTS runs_agency ON runs (agency_id, started);
-- What the last ACCEPTED capture of each source was, for conditional requests and "unchanged".
CREATE TABLE IF NOT EXISTS source_state (
    agency_id TEXT, source_id TEXT, fingerprint TEXT, sha256 TEXT, etag TEXT, last_modified TEXT, updated TEXT,
    PRIMARY KEY (agency_id, source_id)
);
-- Every publish: a killed publisher leaves 'running', which the next publish marks 'aborted'.
CREATE TABLE IF NOT EXISTS publishes (
    publish_id TEXT PRIMARY KEY, started TEXT, finished TEXT, outcome TEXT, rebuild INTEGER,
    agencies INTEGER, version TEXT, message TEXT
);
-- One running run per source: the atomic primitive behind "exactly one run" (see the module docstring).
CREATE TABLE IF NOT EXISTS leases (
    run_id TEXT PRIMARY KEY, agency_id TEXT NOT NULL, source_id TEXT NOT NULL, state TEXT NOT NULL,
    host TEXT, pid INTEGER, acquired TEXT, expires TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS leases_one_running ON leases (agency_id, source_id) WHERE state = 'running';
-- Agencies' API tokens: only the SHA-256 of each token is kept.
CREATE TABLE IF NOT EXISTS tokens (
    token_id TEXT PRIMARY KEY, agency_id TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE, created TEXT,
    revoked TEXT, last_used TEXT, note TEXT
);
-- "Harvest now": one row per request (for the rate limit and the record); run_ids are the runs it queued
-- in ``runs`` (outcome 'queued'), which the scheduler starts.
CREATE TABLE IF NOT EXISTS harvest_requests (
    request_id TEXT PRIMARY KEY, agency_id TEXT NOT NULL, source_id TEXT, requested TEXT NOT NULL,
    token_id TEXT, run_ids TEXT
);
CREATE INDEX IF NOT EXISTS harvest_requests_agency ON harvest_requests (agency_id, requested);
CREATE INDEX IF NOT EXISTS runs_outcome ON runs (outcome);
-- The newest run of each outcome of a source in one index seek (schedules and staleness, freshness.py).
CREATE INDEX IF NOT EXISTS runs_source_outcome ON runs (agency_id, source_id, outcome, started);
-- Schedules set by the agency (API) or an operator (CLI), over the registry's default.
CREATE TABLE IF NOT EXISTS schedule_overrides (
    agency_id TEXT NOT NULL, source_id TEXT NOT NULL, rule TEXT NOT NULL, set_at TEXT, set_by TEXT,
    PRIMARY KEY (agency_id, source_id)
);
-- When each token's console sessions were last ended (sign-out): older sessions are refused (tokens.py).
CREATE TABLE IF NOT EXISTS console_sign_outs (token_id TEXT PRIMARY KEY, ended TEXT NOT NULL);
-- Agencies the webhook was told are stale, so it is told once per time they go stale.
CREATE TABLE IF NOT EXISTS stale_notices (agency_id TEXT PRIMARY KEY, since TEXT);
-- Agencies met in multi-agency files that the registry does not list (new_agencies).
CREATE TABLE IF NOT EXISTS found_agencies (
    id TEXT PRIMARY KEY, name_en TEXT, name_fa TEXT, website TEXT, found_by TEXT, first_seen TEXT, last_seen TEXT
);
"""


def create(conn: sqlite3.Connection) -> None:
    """Make the tables and indexes that are missing, and add the run columns an older Shafaf did not have."""
    conn.executescript(SCHEMA)
    have = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    for name, kind in HARVEST_RUNS_COLUMNS.items():
        if name not in have:  # a state.db made by an older Shafaf
            conn.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")
    newest_runs.create(conn)
    due_index.create(conn)
