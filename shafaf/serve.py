"""Serving: the Datasette app of the portal, its metadata from the standard, and its settings.

Titles and descriptions come from the standard and the registry's portal
section, never from harvested data, because Datasette renders metadata
descriptions as trusted HTML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette.app import Datasette

from . import standard
from .registry import Portal

DATABASE = "shafaf"

# Chosen for a public, read-only portal (see RELIABILITY.md): keep the SQL time
# limit short, and skip facet suggestion, which scans large tables on every page.
SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 1000,
    "max_returned_rows": 1000,
    "suggest_facets": False,
    "facet_time_limit_ms": 500,
    "trace_debug": False,
    "template_debug": False,
    "allow_download": False,
}

_TABLE_TEXT = {
    "agencies": ("Agencies", "The agencies this portal publishes, from its registry, with their last harvest."),
    "harvest_runs": ("Harvest runs", "Every harvest of every source: when, what came back, how many rows passed, and why a run failed."),
    "validation_errors": ("Validation errors", "Rows and files the portal rejected, with the row, column, value and reason."),
}


def metadata(portal: Portal) -> dict[str, Any]:
    """Datasette metadata: portal titles, license, and each table's and column's description."""
    table_meta: dict[str, Any] = {}
    for kind in standard.DATASET_KINDS:
        schema = standard.load_schema(kind)
        table_meta[kind] = {
            "title": schema["title"],
            "description": schema["description"],
            "columns": {
                **{f["name"]: f"{f['title']} — {f['description']}" for f in schema["fields"]},
                "run_id": "The harvest run that brought this row (see harvest_runs).",
            },
        }
    for table, (title, description) in _TABLE_TEXT.items():
        table_meta[table] = {"title": title, "description": description}
    return {
        "title": portal.title_fa,
        "description": portal.description_en,
        "license": portal.license.title,
        "license_url": portal.license.url,
        "source": "Each agency's own files, harvested and validated by Shafaf",
        "databases": {DATABASE: {"tables": table_meta}},
        "plugins": {
            "shafaf": {
                "title_fa": portal.title_fa,
                "title_en": portal.title_en,
                "description_fa": portal.description_fa,
                "description_en": portal.description_en,
                "default_language": portal.default_language,
            }
        },
    }


def make_datasette(db_path: Path, portal: Portal) -> Datasette:
    """The Datasette app for the portal; the shafaf plugin is loaded through its entry point."""
    return Datasette([str(db_path)], metadata=metadata(portal), settings=SETTINGS, cors=False)


def serve(db_path: Path, portal: Portal, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve the portal until interrupted (uvicorn, as ``datasette serve`` does)."""
    import uvicorn

    ds = make_datasette(db_path, portal)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")
