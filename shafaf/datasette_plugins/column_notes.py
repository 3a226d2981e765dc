"""What each column of the public tables holds, in a language: the notes Datasette's table pages show.

Datasette shows a column's description (its metadata's ``columns``) in the
column's menu. The metadata is one language (English, ``app.metadata_for``);
Persian pages take the same notes in Persian from here (templates/_table.html):
the standard's ``title_fa — description_fa`` for the dataset tables, and the
scorecard's and indicators' notes from ``publish.indicators``. A column the
standard describes only in English (the derived ``run_id``, ``jalali_month``...)
has no note on a Persian page rather than an English one.
"""

from __future__ import annotations

import functools

from shafaf import standard
from shafaf.publish import indicators
from shafaf.standard import tables


@functools.cache
def descriptions(table: str, lang: str) -> dict[str, str]:
    """Column -> its note, for ``table`` in ``lang``; empty for a table we have no notes for."""
    if table == "agency_scorecard":
        return indicators.column_descriptions(lang)
    if table == "indicators":
        return indicators.indicators_column_descriptions(lang)
    if table not in standard.DATASET_KINDS:
        return {}
    suffix = "" if lang == "en" else f"_{lang}"
    out = {
        f["name"]: f"{f['title' + suffix]} — {f['description' + suffix]}"
        for f in standard.load_schema(table)["fields"]
        if f.get("title" + suffix) and f.get("description" + suffix)
    }
    if lang == "en":
        out |= {
            name: str(f["description"]) for name, f in tables.DERIVED_FIELDS.items() if name in tables.columns(table)
        }
    return out
