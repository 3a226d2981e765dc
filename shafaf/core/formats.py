"""The file formats Shafaf reads, and the one guess of a format from a file name.

The registry's ``format`` key, the harvesters (a download's or a data
package resource's name), and ``shafaf validate`` (a file or a folder of
them) all mean the same thing by "a CSV file".
"""

from __future__ import annotations

from pathlib import PurePath

FORMATS: tuple[str, ...] = ("csv", "xlsx", "json")
FORMAT_BY_SUFFIX: dict[str, str] = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json"}


def format_of_name(name: str) -> str:
    """The format a file name suggests; CSV for any other name (a CSV served as ``/download?id=3``)."""
    return FORMAT_BY_SUFFIX.get(PurePath(name).suffix.lower(), "csv")
