"""The shape of ``agencies.yml`` in pydantic models: what each key may hold, and the file's JSON Schema.

Each model refuses unknown keys; each value is one of ``field_types``, which
say what is wrong in an operator's words. ``registry_check`` turns every
problem pydantic finds (all of them, in one pass) into a message with its
YAML line; ``registry.load`` builds the frozen dataclasses the code uses
from a file that passed. The defaults are the dataclasses' own, so there is
one list of them. ``docs/agencies.schema.json`` is ``json_schema()`` (a test
keeps it current), served at ``/-/agencies.schema.json`` for editors.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shafaf.config.field_types import AgencyId, Email, Flag, Text, Timezone, Url, choice, mapping_of, number, refuse
from shafaf.config.registry_models import License, Portal, SmartPlan
from shafaf.config.sources import AnySource
from shafaf.config.sources.common import CALENDARS
from shafaf.standard import DATASET_KINDS, themes

LANGUAGES = ("fa", "en")

_PORTAL = Portal()
_PLAN = SmartPlan()


def _default(name: str, of: Any = _PORTAL) -> Any:
    """A key's default, from the dataclass the file becomes (one list of defaults)."""
    value = getattr(of, name)
    return None if dataclasses.is_dataclass(value) else value


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LicenseModel(Part):
    """The licence of everything the portal publishes."""

    id: Text = License.id
    title: Text = License.title
    url: Url = License.url


class SmartPlanModel(Part):
    """A smart-services trajectory: ``step`` more of the services smart each Jalali year from ``start_year``."""

    start_year: number(int, 1300, 1499, about=" (a Jalali year for start_year)", name="smart_plan {key}") = (
        _PLAN.start_year
    )
    step: number(float, 0.01, 1, about=" (a Jalali year for start_year)", name="smart_plan {key}") = _PLAN.step
    years: number(int, 1, 50, about=" (a Jalali year for start_year)", name="smart_plan {key}") = _PLAN.years
    name_fa: Text = _PLAN.name_fa
    name_en: Text = _PLAN.name_en


class PortalModel(Part):
    """Settings of the whole portal (docs/registry.md); every key may be left out."""

    title_fa: Text = _default("title_fa")
    title_en: Text = _default("title_en")
    description_fa: Text = _default("description_fa")
    description_en: Text = _default("description_en")
    timezone: Timezone = _default("timezone")
    default_language: choice(LANGUAGES) = _default("default_language")
    license: LicenseModel | None = None
    row_error_threshold: number(float, 0, 1) = _default("row_error_threshold")
    fetch_deadline_s: number(float, 1, 24 * 3600) = _default("fetch_deadline_s")
    fetch_max_bytes: number(int, 1, 100 * 10**9) = _default("fetch_max_bytes")
    fetch_connect_timeout_s: number(float, 0.1, 600) = _default("fetch_connect_timeout_s")
    fetch_read_timeout_s: number(float, 0.1, 3600) = _default("fetch_read_timeout_s")
    fetch_retries: number(int, 0, 10) = _default("fetch_retries")
    allow_private_networks: Flag = _default("allow_private_networks")
    # Whether an agency's officer may accept a held shrink from the console: an operator decision, off by default.
    agencies_may_accept_shrink: Flag = _default("agencies_may_accept_shrink")
    harvest_concurrency: number(int, 1, 64) = _default("harvest_concurrency")
    keep_raw_runs: number(int, 1, 10_000) = _default("keep_raw_runs")
    shrink_threshold: number(float, 0, 1) = _default("shrink_threshold")
    plan_start_year: (
        number(int, 1300, 1499, about=" (a Jalali year for start_year)", name="smart_plan start_year") | None
    ) = Field(None, description="shorthand for smart_plan: {start_year: ...}")
    smart_plan: SmartPlanModel | None = None
    duplicate_threshold: number(float, 0.01, 1) = _default("duplicate_threshold")  # find() needs above 0
    calendar: choice(CALENDARS) = _default("calendar")
    reference_lag_months: number(int, 0, 12) = _default("reference_lag_months")
    stale_after_months: number(int, 1, 120) = _default("stale_after_months")
    discrepancy_tolerance: number(float, 0, 1) = _default("discrepancy_tolerance")
    stale_after_missed_runs: number(int, 1, 1000) = _default("stale_after_missed_runs")
    run_lease_s: number(float, 1, 24 * 3600) = _default("run_lease_s")
    harvest_requests_per_hour: number(int, 0, 1000) = _default("harvest_requests_per_hour")
    scheduler_poll_s: number(float, 0.05, 3600) = _default("scheduler_poll_s")
    webhook_url: Url | None = None
    # Each dataset kind's EU data themes (standard.themes), over its defaults: the catalogs' dcat:theme, CKAN groups.
    themes: mapping_of(list[Text]) = {}

    @field_validator("themes")
    @classmethod
    def _known_themes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for kind, codes in value.items():
            why = None if kind in DATASET_KINDS else f"unknown dataset kind {kind!r}"
            why = why or themes.problem(codes)
            if why:
                raise refuse(f"portal.themes.{kind}: {why}")
        return value

    def portal(self) -> Portal:
        """The frozen ``Portal`` (``plan_start_year: Y`` is ``smart_plan: {start_year: Y}``)."""
        values = {
            k: getattr(self, k)
            for k in self.model_fields_set
            if k not in ("license", "smart_plan", "plan_start_year", "themes")
        }
        if self.themes:
            values["themes"] = tuple((kind, tuple(codes)) for kind, codes in self.themes.items())
        if self.license is not None:
            values["license"] = License(**self.license.model_dump())
        if self.smart_plan is not None:
            values["smart_plan"] = SmartPlan(**self.smart_plan.model_dump())
        elif self.plan_start_year is not None:
            values["smart_plan"] = SmartPlan(start_year=self.plan_start_year)
        return Portal(**values)


class AgencyModel(Part):
    """One agency and the sources of its datasets."""

    id: AgencyId
    name_fa: Text
    name_en: Text
    parent: Text | None = None
    website: Url | None = None
    contact_email: Email | None = None
    description_fa: Text | None = None
    description_en: Text | None = None
    webhook_url: Url | None = None  # also told of this agency's failed and held runs
    sources: list[AnySource] | None = None


class RegistryFile(Part):
    """``agencies.yml``: the portal's settings and the agencies it publishes (docs/registry.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Shafaf registry (agencies.yml)")

    portal: PortalModel | None = None
    agencies: list[AgencyModel]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``agencies.yml`` (draft 2020-12), for editors and agencies' own checks."""
    schema = RegistryFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def json_schema_text() -> str:
    """``json_schema()`` as written to docs/agencies.schema.json: sorted keys, indented, one final newline."""
    return json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
