"""JSON from outside, read within bounds: the one loader for every JSON document Shafaf harvests.

Why a scan before any parser (docs/reliability.md H14): the parsers we use are not
safe on hostile input. Python's ``json`` recurses once per nesting level
and frictionless' JSON reader (ijson) builds every level before our code
sees a row: 60 KB of ``[`` peaked at 2.2 GB in a harvest, 400 KB was killed
for memory. ijson's C backend crashes the whole process (a segmentation
fault, no exception) on an integer of more than 4,300 digits; ``json``
turns ``1e999999`` into ``inf`` without a word.

So every document is scanned first, in one streaming pass of constant
memory at C speed (``bytes.split``, ``translate``, ``re`` and
``itertools.accumulate``; never a Python loop per byte):

* the bytes are UTF-8 (a UTF-8 byte-order mark is allowed);
* arrays and objects nest at most ``MAX_DEPTH`` levels (strings skipped,
  escapes honoured);
* a number is at most ``MAX_NUMBER_CHARS`` characters and within the range
  of a 64-bit float; ``NaN`` and ``Infinity`` are not JSON;
* one text value is at most ``MAX_STRING`` bytes (``MAX_TABLE_STRING`` in a
  JSON table, which ijson reads in quadratic time).

A failure is ``InvalidJson``: what was found, the limit, and the byte
offset, for the caller to turn into ``invalid_json`` with its own words.
Only then does ``loads`` (or frictionless, for a JSON table) parse. XLSX
cells that hold JSON text are never parsed and do not come here.
"""

from __future__ import annotations

import codecs
import dataclasses
import itertools
import json
import re
from pathlib import Path
from typing import Any

MAX_DEPTH = 64  # the deepest CKAN or data package answer we have seen nests 8
MAX_NUMBER_CHARS = 400  # a 64-bit float needs at most 24; ijson crashes past 4,300 digits
# ijson (frictionless' JSON tables) assembles a long string in quadratic time: 16 MB took 20 s, 50 MB minutes.
MAX_TABLE_STRING = 1_000_000  # bytes of one text value in a JSON table: one cell
MAX_STRING = 16_000_000  # bytes of one text value in an answer parsed whole (json.loads is linear)
CHUNK = 1 << 20

_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
_SIGN = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes
# Outside strings, each byte that may belong to a number as "0" (its exponent mark as "e"), any other as " ":
# then plain substring searches (memmem, C speed) find a long number or a 3-digit exponent.
_NUMBER_CHARS = bytes.maketrans(b"0123456789.+-eE", b"000000000000" + b"0ee")
_NUMBER_CHARS = bytes(c if c in b"0e" else ord(" ") for c in _NUMBER_CHARS)
_LONG_RUN = b"0" * (MAX_NUMBER_CHARS + 1)
_SUSPECT = (b"e000", b"0" * 300)  # an exponent of 3+ digits, or a mantissa long enough to overflow a float
_TOKEN = re.compile(rb"[-+.0-9eE]+")
_CONSTANTS = (b"NaN", b"Infinity")
_TAIL = 2 * MAX_NUMBER_CHARS  # outside-string bytes carried over a chunk boundary for the token checks
_TOP = {
    ord("["): "array",
    ord("{"): "object",
    ord('"'): "text",
    ord("t"): "true",
    ord("f"): "false",
    ord("n"): "null",
} | {c: "number" for c in b"-0123456789"}


class InvalidJson(ValueError):
    """The document is not JSON we read: ``problem`` says what and where, in words for a message."""

    def __init__(self, problem: str, offset: int | None = None):
        self.problem = problem
        self.offset = offset
        super().__init__(problem)


@dataclasses.dataclass(frozen=True)
class Shape:
    """What a scan learnt: how deep the document nests and what its top level is."""

    depth: int
    top: str  # array, object, text, number, true, false, null, or empty (nothing but white space)


class Scanner:
    """Feed a document's bytes in chunks of any size; ``close`` returns its ``Shape`` or raises ``InvalidJson``."""

    def __init__(self, *, max_depth: int = MAX_DEPTH, max_string: int = MAX_STRING):
        self.max_depth = max_depth
        self.max_string = max_string
        self._open = 0  # bytes of the text value still open at the end of the last chunk
        self._utf8 = codecs.getincrementaldecoder("utf-8-sig")()
        self._offset = 0  # bytes fed so far
        self._in_string = False
        self._carry = b""  # a lone backslash at the end of the last chunk: it escapes the next byte
        self._tail = b""  # the last outside-string bytes, for a number cut by the chunk boundary
        self._depth = 0
        self._peak = 0
        self._top: str | None = None

    def feed(self, chunk: bytes) -> None:
        self._decode(chunk, final=False)
        start = self._offset
        self._offset += len(chunk)
        if self._top is None:
            head = chunk.removeprefix(codecs.BOM_UTF8) if start == 0 else chunk
            head = head.lstrip(b" \t\r\n")
            if head:
                self._top = _TOP.get(head[0], "other")
        # Escapes: an escaped backslash, then an escaped quote, paired left to right as a parser reads them.
        text = (self._carry + chunk).replace(b"\\\\", b"").replace(b'\\"', b"")
        self._carry = b""
        if text.endswith(b"\\"):  # its pair is the first byte of the next chunk
            text, self._carry = text[:-1], b"\\"
        parts = text.split(b'"')
        began_inside = self._in_string
        outside, inside = (parts[1::2], parts[0::2]) if began_inside else (parts[0::2], parts[1::2])
        self._in_string ^= (len(parts) - 1) % 2 == 1
        self._strings(inside, began_inside, start)
        self._structure(b" ".join(outside), start)

    def _strings(self, inside: list[bytes], began_inside: bool, start: int) -> None:
        """The longest text value, counting one that runs on from the last chunk or into the next."""
        if not inside:
            return
        first = len(inside[0]) + (self._open if began_inside else 0)
        longest = max(first, max(map(len, inside)))
        self._open = (first if len(inside) == 1 and began_inside else len(inside[-1])) if self._in_string else 0
        longest = max(longest, self._open)
        if longest > self.max_string:
            raise InvalidJson(
                f"holds a text value of at least {longest:,} bytes; at most {self.max_string:,} are read", start
            )

    def close(self) -> Shape:
        self._decode(b"", final=True)
        return Shape(self._peak, self._top or "empty")

    def _decode(self, chunk: bytes, *, final: bool) -> None:
        pending = len(self._utf8.getstate()[0])
        try:
            self._utf8.decode(chunk, final=final)
        except UnicodeDecodeError as e:
            at = self._offset - pending + e.start
            if final:
                raise InvalidJson(f"ends in the middle of a character (byte {at:,}): it was cut short", at) from None
            raise InvalidJson(f"is not UTF-8 at byte {at:,} (0x{e.object[e.start]:02x})", at) from None

    def _structure(self, outside: bytes, start: int) -> None:
        tokens = self._tail + outside
        self._tail = tokens[-_TAIL:]
        for constant in _CONSTANTS:
            if constant in tokens:
                raise InvalidJson(f"holds {constant.decode()}, which is not a JSON number", start)
        classes = tokens.translate(_NUMBER_CHARS)
        if _LONG_RUN in classes:
            size = len(max(_TOKEN.findall(tokens), key=len))
            raise InvalidJson(
                f"holds a number of {size:,} characters; at most {MAX_NUMBER_CHARS} "
                f"are read (it would crash or exhaust the parser)",
                start,
            )
        if any(mark in classes for mark in _SUSPECT):
            for m in _TOKEN.finditer(tokens):
                if (problem := _out_of_range(m.group())) is not None:
                    raise InvalidJson(problem, start)
        signed = outside.translate(_SIGN, _NOT_BRACKETS)
        if not signed:
            return
        steps = memoryview(signed).cast("b")
        peak = max(itertools.accumulate(steps, initial=self._depth))
        self._depth += sum(steps)
        self._peak = max(self._peak, peak)
        if peak > self.max_depth:
            raise InvalidJson(
                f"nests arrays and objects at least {peak:,} levels deep; the limit is {self.max_depth}", start
            )


def _out_of_range(token: bytes) -> str | None:
    """Why a number with an exponent cannot be read faithfully: beyond a 64-bit float, or lost to zero."""
    text = token.decode("ascii")
    if not any(c in text for c in ".eE"):
        return None  # an integer: read exactly, however large (within MAX_NUMBER_CHARS)
    try:
        value = float(text)
    except ValueError:
        return None  # not a number after all (the parser will say what it is)
    if value in (float("inf"), float("-inf")):
        return f"holds the number {text[:40]}, beyond the range of a 64-bit floating-point number"
    mantissa = text.lower().split("e")[0].strip("-+.0")
    if value == 0 and mantissa:
        return f"holds the number {text[:40]}, too small to be told from zero"
    return None


def scan(data: bytes, *, max_depth: int = MAX_DEPTH, max_string: int = MAX_STRING) -> Shape:
    """Check a whole document in memory (an API answer, a descriptor)."""
    scanner = Scanner(max_depth=max_depth, max_string=max_string)
    view = memoryview(data)
    for at in range(0, len(data), CHUNK):
        scanner.feed(bytes(view[at : at + CHUNK]))
    return scanner.close()


def scan_file(path: Path, *, max_depth: int = MAX_DEPTH, max_string: int = MAX_TABLE_STRING) -> Shape:
    """Check a JSON table on disk in constant memory, before the streaming parser (ijson) reads it."""
    scanner = Scanner(max_depth=max_depth, max_string=max_string)
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            scanner.feed(chunk)
    return scanner.close()


def loads(data: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Scan, then parse strictly: UTF-8 (BOM allowed), no NaN/Infinity; raises ``InvalidJson``."""
    scan(data, max_depth=max_depth)
    try:
        return json.loads(data.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        raise InvalidJson(f"is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})", e.pos) from None
    except (ValueError, RecursionError) as e:  # the scan should have caught it; never let it through as a crash
        raise InvalidJson(f"cannot be parsed ({type(e).__name__}: {str(e)[:200]})") from None


def _refuse_constant(name: str) -> Any:
    raise InvalidJson(f"holds {name}, which is not a JSON number")


def describe_top(shape: Shape) -> str:
    """The top level in words, for "X holds ... at its top level"."""
    return {
        "array": "a list",
        "object": "an object",
        "text": "a text string",
        "number": "a single number",
        "empty": "nothing",
        "other": "something that is not JSON",
    }.get(shape.top, f"the literal {shape.top}")
