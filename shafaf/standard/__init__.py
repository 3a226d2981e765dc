"""The data standard: one Table Schema per dataset kind, shipped inside the package.

The schemas are the public contract (field names appear in URLs, SQL and
downloads), so everything that needs a field list asks this module. They
are read as package data (``importlib.resources``), so a wheel installed
anywhere finds them; in the repository ``shafaf/standard/schemas`` is a link
to ``datasets/``, the folder agencies read, so there is one copy.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

from shafaf.core.catalogue import N_, gettext

STANDARD_DIR = Path(str(resources.files(__name__) / "schemas"))

DATASET_KINDS: tuple[str, ...] = ("services", "service_performance", "service_standards", "activities", "targets")

SQLITE_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "INTEGER",
    "date": "TEXT",
    "datetime": "TEXT",
    "year": "INTEGER",
    "yearmonth": "TEXT",
}
# The Python type sqlite-utils creates each SQLite column type from.
SQLITE_PYTHON_TYPES: dict[str, type] = {"INTEGER": int, "REAL": float, "TEXT": str}


def schema_path(kind: str) -> Path:
    return STANDARD_DIR / f"{kind}.schema.json"


@functools.cache
def load_schema(kind: str) -> dict[str, Any]:
    """The Table Schema descriptor of a dataset kind (cached: the standard never changes at run time)."""
    if kind not in DATASET_KINDS:
        raise KeyError(kind)
    return json.loads(schema_path(kind).read_text(encoding="utf-8"))


def fields(kind: str) -> list[dict[str, Any]]:
    return load_schema(kind)["fields"]


def field_names(kind: str) -> list[str]:
    return [f["name"] for f in fields(kind)]


def required_fields(kind: str) -> list[str]:
    return [f["name"] for f in fields(kind) if f.get("constraints", {}).get("required")]


def primary_key(kind: str) -> list[str]:
    return list(load_schema(kind)["primaryKey"])


def has_periods(kind: str) -> bool:
    return "period_start" in field_names(kind)


# Columns of a source that stand for standard fields without being one (the mapping's ``period``).
_PSEUDO_TITLES = {"period": N_("Period")}


def field_title(kind: str, name: str | None, lang: str) -> str:
    """A column's title in the standard (``title_fa`` in Persian); the name itself where the standard has none."""
    if not name:
        return ""
    spec = _field_specs(kind).get(name)
    if spec is not None:
        return spec.get("title_fa" if lang == "fa" else "title") or name
    pseudo = _PSEUDO_TITLES.get(name)
    return gettext(pseudo, lang) if pseudo else name


def dataset_title(kind: str, lang: str) -> str:
    """A dataset kind's title in the standard; the kind itself for one the standard does not define."""
    if kind not in DATASET_KINDS:
        return kind
    schema = load_schema(kind)
    return schema.get("title_fa" if lang == "fa" else "title") or kind


@functools.cache
def _field_specs(kind: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in fields(kind)} if kind in DATASET_KINDS else {}
