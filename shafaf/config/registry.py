"""Load and check ``metadata/agencies.yml`` into frozen dataclasses.

Every problem in the file is collected and reported at once, each with its
line number, so an operator fixes the registry in one pass instead of one
error per run.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from shafaf.core import localfile, urls
from shafaf.core.errors import RegistryError, ScheduleError, UsageError
from shafaf.config.schedule import Rule
from shafaf.config.schedule_limits import Limits, accept_rule
from shafaf.standard import DATASET_KINDS, field_names
from shafaf.config.yaml_lines import LineDict, read_yaml, registry_problems

AGENCY_ID = re.compile(r"^[a-z0-9-]{1,64}$")
SOURCE_ID = re.compile(r"^[a-z0-9_-]{1,64}$")
SOURCE_KINDS = ("file", "http", "ckan", "datapackage", "jsonapi")
NETWORK_KINDS = ("http", "ckan", "datapackage", "jsonapi")
FORMATS = ("csv", "xlsx", "json")
CALENDARS = ("gregorian", "jalali")
HISTORY_MODES = ("full", "recent")
LANGUAGES = ("fa", "en")

PORTAL_KEYS = {
    "title_fa", "title_en", "description_fa", "description_en", "timezone",
    "default_language", "license", "row_error_threshold",
    "fetch_deadline_s", "fetch_max_bytes", "fetch_connect_timeout_s", "fetch_read_timeout_s",
    "fetch_retries", "allow_private_networks", "harvest_concurrency", "keep_raw_runs", "shrink_threshold",
    "plan_start_year", "smart_plan", "duplicate_threshold", "calendar", "reference_lag_months", "stale_after_months",
    "discrepancy_tolerance",
    "stale_after_missed_runs", "run_lease_s", "harvest_requests_per_hour", "scheduler_poll_s", "webhook_url",
    "agencies_may_accept_shrink",  # issue 22
}
# Numeric portal settings: key -> (type, minimum, maximum)
PORTAL_NUMBERS: dict[str, tuple[type, float, float]] = {
    "fetch_deadline_s": (float, 1, 24 * 3600),
    "fetch_max_bytes": (int, 1, 100 * 10**9),
    "fetch_connect_timeout_s": (float, 0.1, 600),
    "fetch_read_timeout_s": (float, 0.1, 3600),
    "fetch_retries": (int, 0, 10),
    "harvest_concurrency": (int, 1, 64),
    "keep_raw_runs": (int, 1, 10_000),
    "shrink_threshold": (float, 0, 1),
    "reference_lag_months": (int, 0, 12),
    "stale_after_months": (int, 1, 120),
    "discrepancy_tolerance": (float, 0, 1),
    "duplicate_threshold": (float, 0, 1),
    "stale_after_missed_runs": (int, 1, 1000),
    "run_lease_s": (float, 1, 24 * 3600),
    "harvest_requests_per_hour": (int, 0, 1000),
    "scheduler_poll_s": (float, 0.05, 3600),
}
LICENSE_KEYS = {"id", "title", "url"}
SMART_PLAN_KEYS = {"start_year", "step", "years", "name_fa", "name_en"}
AGENCY_KEYS = {
    "id", "name_fa", "name_en", "parent", "website", "contact_email",
    "description_fa", "description_en", "sources",
    "webhook_url",  # issue 22: the agency's own webhook, told of its failed and held runs
}
SOURCE_KEYS = {
    "id", "dataset", "kind", "path", "url", "format", "encoding", "sheet",
    "schedule", "calendar", "year_pivot", "history", "fields", "values", "unpivot",
    "organization", "select", "resource", "records", "headers", "pagination",
    "agency_column", "new_agencies",
}
SELECT_KEYS = {"dataset_name", "dataset_tag", "resource_name", "resource_format"}
PAGINATION_KEYS = {"style", "param", "size_param", "size", "start", "next", "max_pages"}
PAGINATION_STYLES = ("page", "offset", "next")
UNPIVOT_KEYS = {"field", "value", "columns"}
NEW_AGENCY_KEYS = {"name_en", "name_fa", "website"}
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
    duplicate_threshold: float = 0.8  # name similarity above which two agencies' services are listed as possible duplicates
    stale_after_missed_runs: int = 2  # an agency is stale once this many of a source's slots passed without a good run
    run_lease_s: float = 60.0  # a run's lease; renewed every third of it, taken over once it lapses (a killed run)
    harvest_requests_per_hour: int = 6  # "harvest now" requests one agency may make per hour; 0 turns them off
    scheduler_poll_s: float = 30.0  # how often the scheduler looks for agencies' requests between slots
    webhook_url: str | None = None  # receives a JSON message for each failed run and each agency gone stale
    # Issue 22: whether an agency's officer may accept a held shrink from the console (an operator decision).
    agencies_may_accept_shrink: bool = False

    @property
    def schedule_limits(self) -> Limits:
        """How often a schedule may run an agency's harvest on this portal (``schedule_limits``)."""
        return Limits.from_settings(requests_per_hour=self.harvest_requests_per_hour,
                                    fetch_deadline_s=self.fetch_deadline_s)


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
    webhook_url: str | None = None  # issue 22: also told of this agency's failed and held runs


@dataclasses.dataclass(frozen=True)
class Registry:
    path: Path
    portal: Portal
    agencies: tuple[Agency, ...]
    warnings: tuple[str, ...] = ()

    def agency(self, agency_id: str) -> Agency:
        for agency in self.agencies:
            if agency.id == agency_id:
                return agency
        raise KeyError(agency_id)

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


# --- checking ---------------------------------------------------------------


class _Checker:
    """Collects problems while turning the YAML tree into dataclasses."""

    def __init__(self, path: Path):
        self.path = path
        self.base = path.parent
        self.problems: list[tuple[int | None, str]] = []
        self.warnings: list[tuple[int | None, str]] = []
        self.limits = Limits()  # the portal's bounds on schedules, set once 'portal' is read

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append((line, message))

    def line_of(self, mapping: Any, key: Any = None) -> int | None:
        if isinstance(mapping, LineDict):
            if key is not None and key in mapping.key_lines:
                return mapping.key_lines[key]
            return mapping.line
        return None

    def mapping(self, value: Any, what: str, line: int | None) -> LineDict | None:
        if isinstance(value, LineDict):
            return value
        self.problem(line, f"{what} must be a mapping of keys to values, not {_kind(value)}")
        return None

    def unknown_keys(self, mapping: LineDict, allowed: set[str], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.unknown_key(mapping, key, allowed, what)

    def unknown_key(self, mapping: LineDict, key: Any, allowed: set[str], what: str) -> None:
        hint = difflib.get_close_matches(str(key), sorted(allowed), n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        self.problem(self.line_of(mapping, key), f"unknown key {key!r} in {what}{suggestion}")

    def text(self, mapping: LineDict, key: str, what: str, *, required: bool = False) -> str | None:
        value = mapping.get(key)
        if value is None:
            if required:
                self.problem(self.line_of(mapping), f"{what} has no {key!r}")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problem(self.line_of(mapping, key), f"{key!r} of {what} must be text, not {_kind(value)}")
            return None
        return str(value)

    def url(self, mapping: LineDict, key: str, what: str, *, credentials_ok: bool = False) -> str | None:
        """The URL at ``key`` if it is one we fetch and publish (``urls.problem``); else a problem on its line."""
        value = self.text(mapping, key, what)
        if value is not None and (why := urls.problem(value, credentials_ok=credentials_ok)) is not None:
            self.problem(self.line_of(mapping, key), f"{key} {redact_url(value)!r} of {what} must start with "
                                                     f"https:// or http:// and be a whole address: {why}")
            return None
        return value

    # -- sections

    def portal(self, raw: Any) -> Portal:
        if raw is None:
            return Portal()
        data = self.mapping(raw, "'portal'", None)
        if data is None:
            return Portal()
        self.unknown_keys(data, PORTAL_KEYS, "'portal'")
        kwargs: dict[str, Any] = {}
        for key in ("title_fa", "title_en", "description_fa", "description_en", "timezone"):
            value = self.text(data, key, "'portal'")
            if value is not None:
                kwargs[key] = value
        language = self.text(data, "default_language", "'portal'")
        if language is not None:
            if language not in LANGUAGES:
                self.problem(self.line_of(data, "default_language"), f"default_language must be one of {', '.join(LANGUAGES)}")
            else:
                kwargs["default_language"] = language
        if "timezone" in kwargs:
            self.check_timezone(kwargs["timezone"], self.line_of(data, "timezone"))
        if "license" in data:
            lic = self.mapping(data["license"], "'portal.license'", self.line_of(data, "license"))
            if lic is not None:
                self.unknown_keys(lic, LICENSE_KEYS, "'portal.license'")
                self.url(lic, "url", "'portal.license'")
                kwargs["license"] = License(**{k: str(v) for k, v in lic.items() if k in LICENSE_KEYS})
        if "row_error_threshold" in data:
            value = data["row_error_threshold"]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                self.problem(self.line_of(data, "row_error_threshold"), "row_error_threshold must be a number from 0 to 1")
            else:
                kwargs["row_error_threshold"] = float(value)
        for key, (kind, low, high) in PORTAL_NUMBERS.items():
            if key not in data:
                continue
            value = data[key]
            whole = kind is int and isinstance(value, int)
            if isinstance(value, bool) or not (whole or (kind is float and isinstance(value, (int, float)))) or not low <= value <= high:
                noun = "a whole number" if kind is int else "a number"
                self.problem(self.line_of(data, key), f"{key} must be {noun} from {low:g} to {high:g}")
            else:
                kwargs[key] = kind(value)
        if "calendar" in data:
            if data["calendar"] not in CALENDARS:
                self.problem(self.line_of(data, "calendar"), f"calendar must be one of {', '.join(CALENDARS)}")
            else:
                kwargs["calendar"] = data["calendar"]
        plan = self.smart_plan(data)
        if plan is not None:
            kwargs["smart_plan"] = plan
        webhook = self.url(data, "webhook_url", "'portal'")
        if webhook is not None:
            kwargs["webhook_url"] = webhook
        for flag in ("allow_private_networks", "agencies_may_accept_shrink"):
            if flag in data:
                value = data[flag]
                if not isinstance(value, bool):
                    self.problem(self.line_of(data, flag), f"{flag} must be true or false")
                else:
                    kwargs[flag] = value
        return Portal(**kwargs)

    def smart_plan(self, data: dict[str, Any]) -> SmartPlan | None:
        """``smart_plan: {start_year, step, years, name_fa, name_en}``, or the shorthand ``plan_start_year: 1403``."""
        if "plan_start_year" in data and "smart_plan" in data:
            self.problem(self.line_of(data, "plan_start_year"), "set either plan_start_year or smart_plan, not both")
            return None
        if "plan_start_year" in data:
            raw: Any = {"start_year": data["plan_start_year"]}
            line = self.line_of(data, "plan_start_year")
        elif "smart_plan" in data:
            line = self.line_of(data, "smart_plan")
            raw = self.mapping(data["smart_plan"], "'portal.smart_plan'", line)
            if raw is None:
                return None
            self.unknown_keys(raw, SMART_PLAN_KEYS, "'portal.smart_plan'")
        else:
            return None
        values: dict[str, Any] = {}
        for key, kind, low, high in (("start_year", int, 1300, 1499), ("step", float, 0.01, 1), ("years", int, 1, 50)):
            if key not in raw:
                continue
            value = raw[key]
            ok = not isinstance(value, bool) and isinstance(value, int if kind is int else (int, float)) and low <= value <= high
            if not ok:
                self.problem(line, f"smart_plan {key} must be {'a whole number' if kind is int else 'a number'} "
                                   f"from {low:g} to {high:g} (a Jalali year for start_year)")
                return None
            values[key] = kind(value)
        for key in ("name_fa", "name_en"):
            if key in raw:
                values[key] = str(raw[key])
        return SmartPlan(**values)

    def check_timezone(self, name: str, line: int | None) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(line, f"unknown timezone {name!r}")

    def agencies(self, raw: Any, line: int | None) -> tuple[Agency, ...]:
        if raw is None:
            self.problem(line, "the registry lists no agencies (add an 'agencies:' list)")
            return ()
        if not isinstance(raw, list):
            self.problem(line, f"'agencies' must be a list, not {_kind(raw)}")
            return ()
        out: list[Agency] = []
        seen: dict[str, int | None] = {}
        for item in raw:
            agency = self.agency(item, line)
            if agency is None:
                continue
            if agency.id in seen:
                self.problem(agency.line, f"duplicate agency id {agency.id!r} (first at line {seen[agency.id]})")
                continue
            seen[agency.id] = agency.line
            out.append(agency)
        return tuple(out)

    def agency(self, raw: Any, parent_line: int | None) -> Agency | None:
        data = self.mapping(raw, "an agency", parent_line)
        if data is None:
            return None
        self.unknown_keys(data, AGENCY_KEYS, "an agency")
        agency_id = self.text(data, "id", "an agency", required=True)
        if agency_id is None:
            return None
        if not AGENCY_ID.match(agency_id):
            self.problem(self.line_of(data, "id"), f"agency id {agency_id!r} must match ^[a-z0-9-]{{1,64}}$ (lowercase letters, digits, hyphens)")
            return None
        what = f"agency {agency_id!r}"
        names = {k: self.text(data, k, what, required=True) or "" for k in ("name_fa", "name_en")}
        optional = {k: self.text(data, k, what) for k in ("parent", "website", "contact_email", "description_fa", "description_en")}
        optional["website"] = self.url(data, "website", what)
        if optional["contact_email"] is not None and (why := urls.email_problem(optional["contact_email"])):
            self.problem(self.line_of(data, "contact_email"), f"contact_email {optional['contact_email']!r} of {what}: {why}")
            optional["contact_email"] = None
        sources = self.sources(data.get("sources"), agency_id, self.line_of(data, "sources"))
        webhook = self.url(data, "webhook_url", what)  # issue 22
        return Agency(id=agency_id, **names, **optional, sources=sources, line=data.line, webhook_url=webhook)

    def sources(self, raw: Any, agency_id: str, line: int | None) -> tuple[Source, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(line, f"'sources' of agency {agency_id!r} must be a list, not {_kind(raw)}")
            return ()
        out: list[Source] = []
        seen: dict[str, int | None] = {}
        datasets: dict[str, int | None] = {}
        for item in raw:
            source = self.source(item, agency_id, line)
            if source is None:
                continue
            if source.id in seen:
                self.problem(source.line, f"agency {agency_id!r} has two sources with id {source.id!r} (first at line {seen[source.id]}); give one an 'id'")
                continue
            if source.dataset in datasets and not source.agency_column:
                # An agency's dataset is one staged table; two sources would replace each other's rows.
                self.problem(source.line, f"agency {agency_id!r} has two sources of dataset {source.dataset!r} "
                                          f"(first at line {datasets[source.dataset]}); combine them into one source")
                continue
            seen[source.id] = source.line
            if not source.agency_column:
                datasets[source.dataset] = source.line
            out.append(source)
        return tuple(out)

    def source(self, raw: Any, agency_id: str, parent_line: int | None) -> Source | None:
        data = self.mapping(raw, f"a source of agency {agency_id!r}", parent_line)
        if data is None:
            return None
        what = f"a source of agency {agency_id!r}"
        self.unknown_keys(data, SOURCE_KEYS, what)
        ok = True
        dataset = self.text(data, "dataset", what, required=True)
        if dataset is not None and dataset not in DATASET_KINDS:
            self.problem(self.line_of(data, "dataset"), f"unknown dataset kind {dataset!r}; the standard has {', '.join(DATASET_KINDS)}")
            ok = False
        kind = self.text(data, "kind", what) or "file"
        if kind not in SOURCE_KINDS:
            self.problem(self.line_of(data, "kind"), f"source kind {kind!r} is not supported; use one of {', '.join(SOURCE_KINDS)}")
            ok = False
        source_id = self.text(data, "id", what) or dataset
        if source_id is not None and not SOURCE_ID.match(source_id):
            self.problem(self.line_of(data, "id"), f"source id {source_id!r} must match ^[a-z0-9_-]{{1,64}}$")
            ok = False
        path = None
        raw_path = self.text(data, "path", what)
        url = self.text(data, "url", what)
        if kind == "file":
            if raw_path is None:
                self.problem(data.line, f"{what} of kind 'file' needs a 'path'")
                ok = False
            else:
                path = localfile.resolve(self.base, raw_path)
                if (why := localfile.problem(path)) is not None:
                    # Not fatal: the source's runs fail with the same words and the other sources go on.
                    self.warnings.append((self.line_of(data, "path"), f"file {localfile.shown(raw_path)} of agency "
                                                                      f"{agency_id!r} cannot be read: {why.message}"))
        else:
            if url is None:
                self.problem(data.line, f"{what} of kind {kind!r} needs a 'url'")
                ok = False
            elif self.url(data, "url", what, credentials_ok=True) is None:
                ok = False
            if raw_path is not None:
                self.problem(self.line_of(data, "path"), f"{what} of kind {kind!r} takes a 'url', not a 'path'")
                ok = False
        organization = self.text(data, "organization", what)
        if kind == "ckan" and organization is None:
            self.problem(data.line, f"{what} of kind 'ckan' needs an 'organization' (its name on the portal)")
            ok = False
        for key, kinds in (("organization", ("ckan",)), ("select", ("ckan",)), ("resource", ("datapackage",)),
                           ("records", ("jsonapi",)), ("pagination", ("jsonapi",)), ("headers", NETWORK_KINDS)):
            if key in data and kind not in kinds:
                self.problem(self.line_of(data, key), f"{key!r} applies only to sources of kind {' or '.join(repr(k) for k in kinds)}")
                ok = False
        select = self.string_map(data, "select", what, allowed=SELECT_KEYS)
        headers = self.headers(data, what)
        pagination = self.pagination(data, what)
        unpivot = self.unpivot(data, dataset, what)
        agency_column = self.text(data, "agency_column", what)
        new_agencies = self.string_map(data, "new_agencies", what, allowed=NEW_AGENCY_KEYS)
        if new_agencies and agency_column is None:
            self.problem(self.line_of(data, "new_agencies"), f"'new_agencies' of {what} needs an 'agency_column'")
            ok = False
        if new_agencies and "name_en" not in new_agencies and "name_fa" not in new_agencies:
            self.problem(self.line_of(data, "new_agencies"), f"'new_agencies' of {what} must name the column of name_en or name_fa")
            ok = False
        fmt = self.text(data, "format", what)
        if fmt is not None and fmt not in FORMATS:
            self.problem(self.line_of(data, "format"), f"format {fmt!r} is not one of {', '.join(FORMATS)}")
            ok = False
        encoding = self.text(data, "encoding", what)
        if encoding is not None:
            import codecs

            try:
                codecs.lookup(encoding)
            except LookupError:
                self.problem(self.line_of(data, "encoding"), f"unknown encoding {encoding!r}")
                ok = False
        schedule = None
        if data.get("schedule") is not None:
            try:
                schedule = accept_rule(_plain(data["schedule"]), limits=self.limits)
            except ScheduleError as e:
                self.problem(self.line_of(data, "schedule"), f"schedule of {what}: {e}")
                ok = False
        calendar = self.text(data, "calendar", what)
        if calendar is not None and calendar not in CALENDARS:
            self.problem(self.line_of(data, "calendar"), f"calendar must be one of {', '.join(CALENDARS)}")
            ok = False
        history = self.text(data, "history", what) or "full"
        if history not in HISTORY_MODES:
            self.problem(self.line_of(data, "history"), f"history must be one of {', '.join(HISTORY_MODES)}")
            ok = False
        year_pivot = data.get("year_pivot")
        if year_pivot is not None:
            if isinstance(year_pivot, bool) or not isinstance(year_pivot, int) or not 0 <= year_pivot <= 99:
                self.problem(self.line_of(data, "year_pivot"), "year_pivot must be a whole number from 0 to 99")
                ok = False
            elif calendar is None:
                self.problem(self.line_of(data, "year_pivot"), f"{what} sets 'year_pivot' but no 'calendar': say whether its two-digit years are jalali or gregorian")
                ok = False
        fields = self.field_map(data, dataset, what)
        values = self.value_maps(data, dataset, what)
        if not ok or dataset is None or source_id is None:
            return None
        return Source(
            id=source_id, dataset=dataset, kind=kind, agency_id=agency_id, path=path,
            url=url, format=fmt, encoding=encoding,
            sheet=self.text(data, "sheet", what), schedule=schedule, calendar=calendar, year_pivot=year_pivot,
            history=history,
            fields=MappingProxyType(fields), values=MappingProxyType(values), unpivot=unpivot,
            organization=organization, select=select, resource=self.text(data, "resource", what),
            records=self.text(data, "records", what), headers=headers, pagination=pagination,
            agency_column=agency_column, new_agencies=new_agencies, line=data.line,
        )

    def string_map(self, data: LineDict, key: str, what: str, *, allowed: set[str] | None = None) -> Mapping[str, str]:
        """A mapping of text to text (``select``, ``new_agencies``, ``headers``)."""
        if key not in data:
            return MappingProxyType({})
        raw = self.mapping(data[key], f"'{key}' of {what}", self.line_of(data, key))
        if raw is None:
            return MappingProxyType({})
        out = {}
        for name, value in raw.items():
            if allowed is not None and name not in allowed:
                self.unknown_key(raw, name, allowed, f"'{key}' of {what}")
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                self.problem(self.line_of(raw, name), f"'{key}.{name}' of {what} must be text")
                continue
            out[str(name)] = str(value)
        return MappingProxyType(out)

    def headers(self, data: LineDict, what: str) -> Mapping[str, str]:
        """Request headers; a secret's value must come from an environment variable, ``${NAME}``."""
        headers = self.string_map(data, "headers", what)
        raw = data.get("headers")
        for name, value in headers.items():
            if SECRET_HEADER.search(name) and not ENV_REFERENCE.search(value):
                self.problem(
                    self.line_of(raw, name),
                    f"header {name!r} of {what} holds a secret written in the registry; "
                    f"put it in an environment variable and write '${{NAME}}' instead",
                )
        return headers

    def pagination(self, data: LineDict, what: str) -> Mapping[str, Any]:
        if "pagination" not in data:
            return MappingProxyType({})
        raw = self.mapping(data["pagination"], f"'pagination' of {what}", self.line_of(data, "pagination"))
        if raw is None:
            return MappingProxyType({})
        self.unknown_keys(raw, PAGINATION_KEYS, f"'pagination' of {what}")
        style = raw.get("style")
        if style not in PAGINATION_STYLES:
            self.problem(self.line_of(raw, "style") or raw.line, f"'pagination.style' of {what} must be one of {', '.join(PAGINATION_STYLES)}")
        for key in ("size", "start", "max_pages"):
            value = raw.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                self.problem(self.line_of(raw, key), f"'pagination.{key}' of {what} must be a whole number")
        if style == "next" and not raw.get("next"):
            self.problem(raw.line, f"'pagination' of {what} with style 'next' needs 'next': the dotted path of the next link")
        return MappingProxyType({str(k): v for k, v in raw.items() if k in PAGINATION_KEYS})

    def unpivot(self, data: LineDict, dataset: str | None, what: str) -> Unpivot | None:
        if "unpivot" not in data:
            return None
        raw = self.mapping(data["unpivot"], f"'unpivot' of {what}", self.line_of(data, "unpivot"))
        if raw is None:
            return None
        self.unknown_keys(raw, UNPIVOT_KEYS, f"'unpivot' of {what}")
        known = set(field_names(dataset)) if dataset in DATASET_KINDS else set()
        ok = True
        for key in ("field", "value"):
            value = raw.get(key)
            if not isinstance(value, str) or (known and value not in known):
                self.problem(self.line_of(raw, key) or raw.line, f"'unpivot.{key}' of {what} must name a field of {dataset!r}")
                ok = False
        columns = raw.get("columns")
        if not isinstance(columns, LineDict) or not columns:
            self.problem(self.line_of(raw, "columns") or raw.line, f"'unpivot.columns' of {what} must map source columns to values of {raw.get('field')!r}")
            ok = False
        if not ok:
            return None
        return Unpivot(field=raw["field"], value=raw["value"], columns=MappingProxyType({str(k): str(v) for k, v in columns.items()}))

    def field_map(self, data: LineDict, dataset: str | None, what: str) -> dict[str, str]:
        if "fields" not in data:
            return {}
        raw = self.mapping(data["fields"], f"'fields' of {what}", self.line_of(data, "fields"))
        if raw is None:
            return {}
        # 'period' stands for period_start/period_end/period_label in one column.
        known = (set(field_names(dataset)) | {"period"}) if dataset in DATASET_KINDS else None
        out = {}
        for key, value in raw.items():
            if known is not None and key not in known:
                self.unknown_key(raw, key, known, f"'fields' of {what} (not a field of {dataset!r})")
                continue
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                self.problem(self.line_of(raw, key), f"'fields.{key}' must name a source column")
                continue
            out[str(key)] = str(value)
        return out

    def value_maps(self, data: LineDict, dataset: str | None, what: str) -> dict[str, Mapping[str, Any]]:
        if "values" not in data:
            return {}
        raw = self.mapping(data["values"], f"'values' of {what}", self.line_of(data, "values"))
        if raw is None:
            return {}
        known = set(field_names(dataset)) if dataset in DATASET_KINDS else None
        out: dict[str, Mapping[str, Any]] = {}
        for key, value in raw.items():
            if known is not None and key not in known:
                self.unknown_key(raw, key, known, f"'values' of {what} (not a field of {dataset!r})")
                continue
            table = self.mapping(value, f"'values.{key}' of {what}", self.line_of(raw, key))
            if table is not None:
                out[str(key)] = MappingProxyType({str(k): v for k, v in table.items()})
        return out


def redact_url(url: str) -> str:
    """A URL without ``user:pass@`` and without the values of secret-looking query parameters."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = [(k, "REDACTED" if SECRET_HEADER.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="/:"), ""))


def _plain(value: Any) -> Any:
    """A YAML mapping as a plain dict (schedule rules are the same JSON in the registry and the API)."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


def _kind(value: Any) -> str:
    return {list: "a list", dict: "a mapping", LineDict: "a mapping", str: "text", type(None): "empty"}.get(
        type(value), type(value).__name__
    )


def load(path: str | Path) -> Registry:
    """Read and check a registry file; raise RegistryError listing every problem with its line."""
    path = Path(path)
    data, text_problems = registry_problems(read_yaml(path))  # lone surrogates, control characters
    checker = _Checker(path)
    checker.problems.extend(text_problems)
    if not isinstance(data, LineDict):
        raise RegistryError(str(path), [(None, f"the registry must be a mapping with 'portal' and 'agencies', not {_kind(data)}")])
    checker.unknown_keys(data, {"portal", "agencies"}, "the registry")
    portal = checker.portal(data.get("portal"))
    checker.limits = portal.schedule_limits
    agencies = checker.agencies(data.get("agencies"), checker.line_of(data, "agencies"))
    if checker.problems:
        raise RegistryError(str(path), sorted(checker.problems, key=lambda p: (p[0] or 0)))
    warnings = tuple(f"{path}:{line}: {message}" for line, message in checker.warnings)
    return Registry(path=path, portal=portal, agencies=agencies, warnings=warnings)
