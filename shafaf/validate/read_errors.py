"""What a parser's exception on a bad file becomes: a StageError with a reason and words a data officer can act on.

Why apart: the readers (``readers``), the open-quote check (``csv_quotes``)
and the columnar engine's own CSV reader (``csv_batches``) raise the same
errors for the same faults, from one place.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from frictionless import FrictionlessException

from shafaf.core.errors import StageError
from shafaf.core.models import Reason
from shafaf.core.public_message import without_paths
from shafaf.normalize.encoding import detect_encoding


def stage_error(
    e: Exception, path: Path, format: str, encoding: str | None, how: str | None, *, when: str
) -> StageError:
    """The StageError for an exception raised while parsing: a reason and a message a data officer can act on."""
    if isinstance(e, UnicodeDecodeError):
        return StageError(Reason.ENCODING, decode_message(e.reason, path, encoding, how))
    # frictionless names the file by its absolute path, inside the portal's raw folder: its own name is enough.
    message = without_paths(e.error.message if isinstance(e, FrictionlessException) else str(e), [path.parent])
    if isinstance(e, csv.Error) or "field larger than field limit" in message:
        return StageError(Reason.STRUCTURE, f"{path.name} {when} as CSV: {message}")
    if format == "json" and _json_syntax(e):  # ijson's words, drawn over several lines with a caret: one line
        return StageError(Reason.INVALID_JSON, f"{path.name} is not valid JSON: {' '.join(message.split())}")
    if isinstance(e, FrictionlessException):
        if "encoding" in getattr(e.error, "type", ""):
            return StageError(
                Reason.ENCODING, decode_message(getattr(e.error, "note", "") or message, path, encoding, how)
            )
        return StageError(Reason.UNREADABLE, f"{path.name} {when} as {format.upper()}: {message}")
    return StageError(Reason.UNREADABLE, f"{path.name} {when} as {format.upper()}: {type(e).__name__}: {message}")


def _json_syntax(e: BaseException) -> bool:
    """Whether ijson (frictionless' JSON parser) raised ``e``, or raised what caused it: a syntax error."""
    import ijson

    seen: BaseException | None = e
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ijson.JSONError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def decode_message(reason: str, path: Path, encoding: str | None, how: str | None) -> str:
    """Why the bytes do not decode, and what to declare instead: UTF-8 if the file is UTF-8, else Windows-1256."""
    if (
        encoding
        and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig")
        and detect_encoding(path)[0].startswith("utf")
    ):
        advice = (
            "The file is UTF-8: declare `encoding: utf-8` for this source in the registry (or remove its `encoding`)."
        )
    else:
        advice = (
            "If it was saved by Excel on Persian Windows, declare `encoding: cp1256` for this source in the registry; "
            'otherwise save it as UTF-8 (in Excel: "CSV UTF-8").'
        )
    how = f" ({how})" if how else ""
    return f"{path.name} is not valid {encoding or 'text'}{how}: {reason}. {advice}"
