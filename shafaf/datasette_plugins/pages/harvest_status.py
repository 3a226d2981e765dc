"""What the public pages show of schedules: each source's rule, next run and staleness, and queued requests.

The plugin finds ``state.db`` and the registry through its settings
(``plugins.shafaf.state_db`` and ``plugins.shafaf.registry``, written by
``shafaf serve``); without them these functions answer "nothing known" and
the pages show no schedule. The registry is re-read when its file changes.
Reads only: the one writer in the web process is ``agency_api``.

``stale_agencies(datasette)`` is the question the Atom feeds ask.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from shafaf.config.registry import Registry, load
from shafaf.config.schedule import Rule, parse_utc
from shafaf.core.errors import ShafafError
from shafaf.state.freshness import SourceStatus, source_statuses
from shafaf.state.freshness import stale_agencies as _stale
from shafaf.state.store import StateStore

if TYPE_CHECKING:
    from datasette.app import Datasette

T = TypeVar("T")
_cache: dict[str, tuple[float, Registry]] = {}
_stores: dict[str, StateStore] = {}
_cache_lock = threading.Lock()


@dataclasses.dataclass(frozen=True)
class Context:
    """The registry and the state store the web process may use."""

    registry: Registry
    state: StateStore


def context(datasette: Datasette) -> Context | None:
    """The registry and state store from the plugin's settings, or None when not configured."""
    config = datasette.plugin_config("shafaf") or {}
    registry_path, state_path = config.get("registry"), config.get("state_db")
    if not registry_path or not state_path or not Path(state_path).parent.is_dir():
        return None
    try:
        return Context(registry=_registry(Path(registry_path)), state=_state(Path(state_path)))
    except (ShafafError, OSError, sqlite3.Error):  # a full disk cannot open state.db: the pages go on without it
        return None


def _state(path: Path) -> StateStore:
    """One store per path: opening one creates the tables, which is done once per process."""
    with _cache_lock:
        if str(path) not in _stores:
            _stores[str(path)] = StateStore(path)
        return _stores[str(path)]


def _registry(path: Path) -> Registry:
    mtime = path.stat().st_mtime
    with _cache_lock:
        hit = _cache.get(str(path))
        if hit and hit[0] == mtime:
            return hit[1]
    registry = load(path)
    with _cache_lock:
        _cache[str(path)] = (mtime, registry)
    return registry


async def agency_sources(datasette: Datasette, agency_id: str) -> list[SourceStatus]:
    """The agency's sources with schedule, next run and staleness (empty when not configured)."""
    found = context(datasette)
    if found is None:
        return []
    return await _read_state(functools.partial(source_statuses, found.registry, found.state, agency_id=agency_id), [])


async def panel(datasette: Datasette, agency_id: str, lang: str) -> dict[str, Any]:
    """The agency page's schedule panel: each source's rule, next run (local time), last outcome, staleness."""
    from zoneinfo import ZoneInfo

    from shafaf.datasette_plugins import i18n, labels

    found = context(datasette)
    sources = await agency_sources(datasette, agency_id)
    zone = ZoneInfo(found.registry.portal.timezone) if found else None
    rows = []
    for status in sources:
        upcoming = parse_utc(status.next_due)
        local = upcoming.astimezone(zone) if upcoming and zone else None
        rows.append(
            {
                "dataset": status.dataset,
                "dataset_title": labels.dataset(status.dataset, lang),
                "rule": rule_text(status.rule, lang),
                "cron": status.rule.cron if status.rule else None,
                "overridden": status.overridden,
                "next_date": local.date().isoformat() if local else None,
                "next_time": i18n.digits(local.strftime("%H:%M"), lang) if local else None,
                "outcome": status.outcome,
                "outcome_label": i18n.outcome_label(status.outcome, lang),
                "reason": status.reason,
                "stale": status.stale,
                "problem": status.schedule_problem,  # shown as "schedule cannot be computed"; the rest of the page stands
            }
        )
    return {"schedules": rows, "stale": any(r["stale"] for r in rows), "queued": await queued(datasette, agency_id)}


def rule_text(rule: Rule | None, lang: str) -> str:
    """A rule in words; a cron rule too when it has a common shape (``cron_words``), else as written (in code)."""
    from shafaf.datasette_plugins import i18n
    from shafaf.datasette_plugins.cron_words import cron_words

    if rule is None:
        return i18n.gettext("on request only", lang)
    if rule.jalali_day is not None:
        text = i18n.gettext("day %(day)s of each Jalali month at %(time)s", lang) % {
            "day": i18n.digits(str(rule.jalali_day), lang),
            "time": i18n.digits(rule.at.strftime("%H:%M"), lang),
        }
    else:
        text = cron_words(rule.cron, lang) or rule.cron or ""
    if rule.working_days:
        text += " " + i18n.gettext("(working days only: Saturday to Wednesday)", lang)
    return text


async def queued(datasette: Datasette, agency_id: str) -> list[dict[str, Any]]:
    from shafaf.state.agency_requests import pending

    found = context(datasette)
    return [] if found is None else await _read_state(functools.partial(pending, found.state, agency_id), [])


async def stale_agencies(datasette: Datasette) -> dict[str, list[str]]:
    """Agency id -> its stale sources; the league table's and the feeds' source of truth."""
    found = context(datasette)
    if found is None:
        return {}
    return await _read_state(functools.partial(_stale, found.registry, found.state), {})


async def _read_state(read: Callable[[], T], unknown: T) -> T:
    """``read()`` off the event loop; what is known without state.db when it cannot be read (a full disk)."""
    try:
        return await asyncio.to_thread(read)
    except (sqlite3.Error, OSError):
        return unknown
