"""A CSV's encoding: its byte-order mark, else the declared one, else detected; and it must read every byte.

Why apart: the one decision of how a CSV's bytes become text (docs/reliability.md
H15, H16), with the message that names the byte, the row and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from shafaf.core.errors import StageError
from shafaf.core.models import Reason
from shafaf.normalize import decoding
from shafaf.normalize.encoding import OTHER_LEGACY, PERSIAN_LEGACY, bom_encoding, detect_encoding


def csv_encoding(path: Path, declared: str | None, *, expect_persian: bool = True) -> tuple[str, str]:
    """(encoding, how it was decided) for a CSV: its byte-order mark, else the declared one, else detected.

    Whichever it is must read every byte of the file (``normalize.decoding``):
    a decode that would need a fallback for some bytes (a Latin-1 row in a
    UTF-8 file, a UTF-8 row in a Windows-1256 one, a character cut off at
    the end) is ``StageError(ENCODING)`` naming the byte, the row and what to do.
    """
    fallback = PERSIAN_LEGACY if expect_persian else OTHER_LEGACY
    with open(path, "rb") as f:
        bom = bom_encoding(f.read(4))
    if bom is not None:
        codec, name = bom
        overridden = (
            f" (the declared {declared} does not apply)"
            if declared and _codec_name(declared) not in _bom_family(codec)
            else ""
        )
        bom = (codec, f"{name} byte-order mark{overridden}")
    detected = detect_encoding(path, fallback=fallback) if bom is None and not declared else ("", "")
    choice = decoding.choose(path, declared, bom, fallback=fallback, detected=detected)
    if choice.problem is not None:
        raise StageError(
            Reason.ENCODING,
            f"{path.name} {choice.problem}; at byte {choice.offset:,} "
            f"({_row_at(path, choice, choice.codec)}). {choice.advice}",
        )
    return choice.codec, choice.how


def _row_at(path: Path, choice: decoding.Choice, codec: str, limit: int = 64 << 20) -> str:
    """ "row R" (the CSV record holding the byte, the header being row 1), and its line when they differ."""
    offset, line = choice.offset or 0, choice.line
    if offset > limit:
        return f"line {line:,}" if line else f"{offset * 100 // max(path.stat().st_size, 1)}% into the file"
    with open(path, "rb") as f:
        prefix = f.read(offset).decode(codec, errors="replace")
    rows = sum(1 for _ in csv.reader(io.StringIO(prefix, newline="")))
    row = rows + 1 if not prefix or prefix.endswith(("\n", "\r")) else rows
    return f"row {row:,}" + (f", line {line:,}" if line and line != row else "")


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding


def _bom_family(codec: str) -> set[str]:
    family = {"utf-8-sig": {"utf-8", "utf-8-sig"}, "utf-16": {"utf-16", "utf-16-le", "utf-16-be"}}
    return family.get(codec, {"utf-32", "utf-32-le", "utf-32-be"})
