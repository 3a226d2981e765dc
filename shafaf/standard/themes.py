"""The themes of the data standard: the EU data-theme vocabulary, and which themes each dataset kind is filed under.

DCAT-AP recommends ``dcat:theme`` from the EU Publications Office's
data-theme authority table
(http://publications.europa.eu/resource/authority/data-theme, the
13 concepts below), and portals harvesting us (data.europa.eu, CKAN with
ckanext-dcat) map those concepts to their own groups. The same themes are the
portal's CKAN groups (``group_list``), named by the concept's code in lower
case. The registry may re-file a dataset kind (``portal.themes``); these are
the standard's defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from shafaf.core.catalogue import N_, gettext

VOCABULARY = "http://publications.europa.eu/resource/authority/data-theme"


@dataclasses.dataclass(frozen=True)
class Theme:
    code: str  # the authority table's code: GOVE
    title_en: str  # its English preferred label

    @property
    def iri(self) -> str:
        return f"{VOCABULARY}/{self.code}"

    @property
    def name(self) -> str:
        """The CKAN group's name (lower case, as CKAN names are)."""
        return self.code.lower()

    @property
    def title_fa(self) -> str:
        return gettext(self.title_en, "fa")

    def title(self, lang: str) -> str:
        return gettext(self.title_en, lang)


THEMES: dict[str, Theme] = {
    t.code: t
    for t in (
        Theme("AGRI", N_("Agriculture, fisheries, forestry and food")),
        Theme("ECON", N_("Economy and finance")),
        Theme("EDUC", N_("Education, culture and sport")),
        Theme("ENER", N_("Energy")),
        Theme("ENVI", N_("Environment")),
        Theme("GOVE", N_("Government and public sector")),
        Theme("HEAL", N_("Health")),
        Theme("INTR", N_("International issues")),
        Theme("JUST", N_("Justice, legal system and public safety")),
        Theme("REGI", N_("Regions and cities")),
        Theme("SOCI", N_("Population and society")),
        Theme("TECH", N_("Science and technology")),
        Theme("TRAN", N_("Transport")),
    )
}

DEFAULT_THEMES: dict[str, tuple[str, ...]] = {
    "services": ("GOVE",),
    "service_performance": ("GOVE",),
    "service_standards": ("GOVE",),
    "activities": ("GOVE", "ECON"),  # programmes with budgets
    "targets": ("GOVE",),
}


def themes_of(kind: str, overrides: Mapping[str, tuple[str, ...] | list[str]] | None = None) -> tuple[Theme, ...]:
    """The themes a dataset kind is filed under: the registry's choice where it made one, else the standard's."""
    codes = (overrides or {}).get(kind) or DEFAULT_THEMES.get(kind, ("GOVE",))
    return tuple(THEMES[c] for c in codes if c in THEMES)


def problem(codes: object) -> str | None:
    """Why ``codes`` is not a list of the vocabulary's codes (for the registry's check), or None."""
    if not isinstance(codes, (list, tuple)) or not codes or not all(isinstance(c, str) for c in codes):
        return "must be a list of EU data-theme codes such as [GOVE, ECON]"
    unknown = [c for c in codes if c not in THEMES]
    if unknown:
        return f"unknown theme {', '.join(unknown)}; the EU data themes are {', '.join(THEMES)}"
    return None
