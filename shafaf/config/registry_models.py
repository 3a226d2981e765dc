"""The registry as the code uses it: frozen dataclasses, built from a checked ``agencies.yml``.

``agencies_file`` describes (and checks) the file's shape with pydantic;
``registry.load`` turns a file that passed into these. They stay plain
frozen dataclasses so that callers can build, compare and ``replace`` them.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from shafaf.config.schedule import Rule
from shafaf.config.schedule_limits import Limits
from shafaf.config.service_bus import Auth, ClientTls, Soap
from shafaf.core.errors import UsageError
from shafaf.core.ids import AGENCY_ID, SOURCE_ID  # noqa: F401  (the registry's ids)

SECRET_HEADER = re.compile(r"authorization|token|key|secret|password|cookie", re.I)
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclasses.dataclass(frozen=True)
class License:
    id: str = "CC-BY-4.0"
    title: str = "Creative Commons Attribution 4.0"
    url: str = "https://creativecommons.org/licenses/by/4.0/"


@dataclasses.dataclass(frozen=True)
class Portal:
    title_fa: str = "شفاف"
    title_en: str = "Shafaf"
    description_fa: str = ""
    description_en: str = ""
    timezone: str = "Asia/Tehran"
    default_language: str = "fa"
    license: License = License()
    row_error_threshold: float = 0.10
    fetch_deadline_s: float = 120.0
    fetch_max_bytes: int = 200_000_000
    fetch_connect_timeout_s: float = 10.0
    fetch_read_timeout_s: float = 30.0
    fetch_retries: int = 3
    allow_private_networks: bool = False
    # Whether an agency's officer may accept a held shrink from the console (an operator decision).
    agencies_may_accept_shrink: bool = False
    harvest_concurrency: int = 4
    keep_raw_runs: int = 50
    shrink_threshold: float = 0.5  # a valid file with fewer rows than this share of the last good one is held
    # A plan that asks a share more of each agency's services to be smart each year (Iran's 7th development plan:
    # 20% a year from 1403). None: the portal judges no trajectory (a portal outside such a plan).
    smart_plan: SmartPlan | None = None
    calendar: str = "jalali"  # the months of the reference window and of data age (reference.py)
    reference_lag_months: int = 1  # a month's figures are due in the month after: the window ends this much earlier
    stale_after_months: int = 3  # data whose latest month is further behind the reference month is stale
    discrepancy_tolerance: float = 0.05  # reported against measured: 5 points on shares, 5% of the value otherwise
    duplicate_threshold: float = (
        0.8  # name similarity above which two agencies' services are listed as possible duplicates
    )
    stale_after_missed_runs: int = 2  # an agency is stale once this many of a source's slots passed without a good run
    run_lease_s: float = 60.0  # a run's lease; renewed every third of it, taken over once it lapses (a killed run)
    harvest_requests_per_hour: int = 6  # "harvest now" requests one agency may make per hour; 0 turns them off
    scheduler_poll_s: float = 30.0  # how often the scheduler looks for agencies' requests between slots
    webhook_url: str | None = None  # receives a JSON message for each failed run and each agency gone stale
    # EU data themes per dataset kind ((kind, (code, ...)), ...) over standard.themes.DEFAULT_THEMES
    themes: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def schedule_limits(self) -> Limits:
        """How often a schedule may run an agency's harvest on this portal (``schedule_limits``)."""
        return Limits.from_settings(
            requests_per_hour=self.harvest_requests_per_hour, fetch_deadline_s=self.fetch_deadline_s
        )


@dataclasses.dataclass(frozen=True)
class SmartPlan:
    """A smart-services trajectory: ``step`` more of the services smart each Jalali year from ``start_year``."""

    start_year: int = 1403
    step: float = 0.2
    years: int = 5
    name_fa: str = "برنامه هفتم توسعه"
    name_en: str = "7th development plan"


@dataclasses.dataclass(frozen=True)
class Unpivot:
    """Columns that become rows: each listed column gives one row with ``field`` set to its name's value."""

    field: str  # the standard field that receives the column's meaning, e.g. channel
    value: str  # the standard field that receives the cell, e.g. applications
    columns: Mapping[str, str]  # source column -> value of ``field``; columns sharing a value are added up


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclasses.dataclass(frozen=True)
class Source:
    """One place an agency keeps one dataset kind."""

    id: str
    dataset: str
    kind: str
    agency_id: str
    path: Path | None = None
    url: str | None = None
    format: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    schedule: Rule | None = None  # see shafaf/config/schedule.py for the two forms
    calendar: str | None = None
    # Two-digit years: yy >= pivot is 13yy (Jalali) or 19yy (Gregorian), below it 14yy or 20yy.
    # Without a pivot a two-digit year is refused, never guessed. Needs ``calendar``.
    year_pivot: int | None = None
    # "full": each file is the whole history; "recent": a file sends only recent periods, older ones stay published.
    history: str = "full"
    fields: Mapping[str, str] = dataclasses.field(default_factory=_empty)
    values: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=_empty)
    unpivot: Unpivot | None = None
    # ckan: the organization whose datasets feed this source, and glob rules picking resources
    organization: str | None = None
    select: Mapping[str, str] = dataclasses.field(default_factory=_empty)
    # datapackage: the resource's name in the package (default: the dataset kind)
    resource: str | None = None
    # jsonapi: dotted path of the records in each response, request headers (${ENV} secrets), paging
    records: str | None = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=_empty)
    pagination: Mapping[str, Any] = dataclasses.field(default_factory=_empty)
    # multi-agency: the column naming each row's agency, and columns naming agencies not yet registered
    agency_column: str | None = None
    new_agencies: Mapping[str, str] = dataclasses.field(default_factory=_empty)
    # jsonapi on a service bus: credentials, mutual TLS, a SOAP call (config/service_bus.py)
    auth: Auth | None = None
    tls: ClientTls | None = None
    soap: Soap | None = None
    line: int | None = None

    @property
    def location(self) -> str:
        """Where the source lives, for run records and messages (credentials never included)."""
        if self.path is not None:
            return str(self.path)
        return redact_url(self.url or "")


@dataclasses.dataclass(frozen=True)
class Agency:
    id: str
    name_fa: str
    name_en: str
    parent: str | None = None
    website: str | None = None
    contact_email: str | None = None
    description_fa: str | None = None
    description_en: str | None = None
    sources: tuple[Source, ...] = ()
    line: int | None = None
    webhook_url: str | None = None  # also told of this agency's failed and held runs


@dataclasses.dataclass(frozen=True)
class Registry:
    path: Path
    portal: Portal
    agencies: tuple[Agency, ...]
    warnings: tuple[str, ...] = ()

    def agency(self, agency_id: str) -> Agency:
        """The agency of that id (KeyError if none): by a dict, since exports ask once per agency."""
        return self._by_id[agency_id]

    @functools.cached_property
    def _by_id(self) -> dict[str, Agency]:
        return {a.id: a for a in self.agencies}

    def select(self, agency_ids: list[str] | tuple[str, ...] = ()) -> list[Agency]:
        """The agencies named (all when none are), or UsageError naming the unknown ones."""
        if not agency_ids:
            return list(self.agencies)
        known = {a.id for a in self.agencies}
        unknown = [a for a in agency_ids if a not in known]
        if unknown:
            raise UsageError(
                f"unknown agency {', '.join(repr(u) for u in unknown)} in {self.path}; "
                f"known: {', '.join(sorted(known))}"
            )
        return [self.agency(a) for a in dict.fromkeys(agency_ids)]


@dataclasses.dataclass(frozen=True)
class Place:
    """A source's file paths as the registry wrote them: resolved beside the file each time it is read."""

    agency: int  # index of the agency in the file
    source: int  # index of the source in the agency
    path: str | None  # a file source's path
    line: int | None  # the line of ``path``, which a warning names
    ca_bundle: str | None  # a service-bus source's CA bundle


@dataclasses.dataclass(frozen=True)
class Checked:
    """What a registry file says once checked, its paths unresolved: what the cache keeps (``registry_cache``)."""

    portal: Portal
    agencies: tuple[Agency, ...]
    places: tuple[Place, ...] = ()


def redact_url(url: str) -> str:
    """A URL without ``user:pass@`` and without the values of secret-looking query parameters."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = [
        (k, "REDACTED" if SECRET_HEADER.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="/:"), ""))
