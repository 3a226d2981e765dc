"""JSON records → one CSV table, the shape staging reads.

Shared by the harvesters whose sources answer with JSON objects (a JSON API's
pages, a data package's inline ``data``). Each cell is text a person would
recognise: nested values as compact JSON, null as empty, booleans as
``true``/``false``, numbers as JSON writes them. Lone surrogates (invalid in
UTF-8) become U+FFFD, which validation flags, instead of crashing the write.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

SURROGATE = re.compile("[\ud800-\udfff]")


def cell(value: Any) -> str:
    """The CSV text of one JSON value."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        text = value
    elif isinstance(value, (int, float)):
        text = json.dumps(value)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return SURROGATE.sub("\ufffd", text)


def open_csv(path: Path) -> TextIO:
    return path.open("w", encoding="utf-8", newline="")


def write_rows(out: TextIO, columns: list[str], records: Iterable[dict[str, Any]]) -> int:
    """Append ``records`` (objects) under ``columns``; missing keys are empty. Returns the count."""
    writer = csv.writer(out)
    n = 0
    for record in records:
        writer.writerow([cell(record.get(c)) for c in columns])
        n += 1
    return n


def write_header(out: TextIO, columns: list[str]) -> None:
    csv.writer(out).writerow([cell(c) for c in columns])


def union_keys(records: Iterable[dict[str, Any]], into: dict[str, None] | None = None) -> dict[str, None]:
    """Keys of ``records`` in first-seen order (a dict used as an ordered set)."""
    keys = into if into is not None else {}
    for record in records:
        for key in record:
            keys.setdefault(key, None)
    return keys


def write_arrays(out: TextIO, rows: Iterable[list[Any]]) -> None:
    """Write an array-of-arrays table (its first row is the header) cell by cell."""
    csv.writer(out).writerows([cell(v) for v in row] for row in rows)
