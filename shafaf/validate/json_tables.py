"""A JSON table made safe to give frictionless' parser: bounded first, a list at its top, no byte-order mark.

Why apart: the JSON parser reads bytes, has no depth limit of its own and
takes any top level; these checks refuse what it would misread or choke on.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from shafaf.core import jsonguard
from shafaf.core.errors import StageError
from shafaf.core.models import Reason
from shafaf.normalize.encoding import bom_encoding


def check_json(source: Path, path: Path) -> None:
    """Bound the JSON before frictionless' parser sees it (``jsonguard``): it must also be a list at its top."""
    try:
        shape = jsonguard.scan_file(source)
    except jsonguard.InvalidJson as e:
        raise StageError(Reason.INVALID_JSON, f"{path.name} {e.problem}") from None
    if shape.top != "array":
        raise StageError(
            Reason.STRUCTURE,
            f"{path.name} holds {jsonguard.describe_top(shape)} at its top level; a table "
            f"in JSON is a list of records (objects) or of rows (lists)",
        )
    if shape.depth == 1 and source.stat().st_size < 1024 and source.read_bytes().strip(b" \t\r\n\xef\xbb\xbf") == b"[]":
        raise StageError(Reason.EMPTY, f"{path.name} is an empty list: it holds no records")


def without_bom(path: Path, stack: contextlib.ExitStack) -> Path:
    """A JSON file with a byte-order mark → a temporary UTF-8 copy without it (the JSON parser reads bytes)."""
    with open(path, "rb") as f:
        bom = bom_encoding(f.read(4))
    if bom is None:
        return path
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shafaf-json-"))) / path.name
    try:
        with open(path, encoding=bom[0], newline="") as src, open(tmp, "w", encoding="utf-8", newline="") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    except UnicodeDecodeError as e:
        raise StageError(
            Reason.ENCODING, f"{path.name} starts with a {bom[1]} byte-order mark but is not valid {bom[1]}: {e.reason}"
        ) from e
    return tmp
