"""Is a text file really in the encoding we are about to read it in? Where not, the byte, the line and why.

``encoding.detect_encoding`` picks a codec; this module refuses the picks
that would need a fallback for some bytes (issue 15 case 13). A mostly
ASCII file with one row of ``caf\\xe9 \\xed\\xa0\\x80`` fell back to
Windows-1256 as a whole and was published as ``café ی\\xa0€``; a
Windows-1256 file with one UTF-8 row published that row as ``ط®ط¯ظ…طھ``;
both passed with outcome ``ok``.

``survey`` reads a file once in constant memory and classifies each line:
ASCII, valid non-ASCII UTF-8, or not UTF-8 (with the first such byte, its
offset and line, and what it is: an encoded surrogate (CESU-8), an
overlong form, a character cut off at the end of the file, or a byte that
is simply not UTF-8). ``choose`` then decides:

* a file that is UTF-8 in some lines and not in others mixes encodings:
  refused, naming the first line of the smaller kind (a line of Windows-1256
  Persian is practically never valid UTF-8: none of the 4,680 distinct
  Persian words of our fixtures and registry is, since its letters are bytes
  C1-FE and two of them side by side are never a UTF-8 sequence);
* a file with no UTF-8 line falls back to the legacy code page only when
  its bytes read as that code page's script there (Persian letters for
  Windows-1256, letters for Windows-1252); a surrogate, an overlong form or
  a cut-off character is never legacy text;
* a declared or byte-order-marked codec must decode the whole file.

Imports nothing of ours (``normalize`` is pure); callers turn a
``Choice.problem`` into their error, adding the CSV row of ``offset``.
"""

from __future__ import annotations

import codecs
import dataclasses
from pathlib import Path

CHUNK = 1 << 20
LONG_LINE = 16 << 20  # a line longer than this is surveyed in pieces (cut between characters), not held whole
SAMPLE_CHARS = 200_000  # characters of not-UTF-8 lines read in the fallback to judge its script
SCRIPT_SHARE = 0.7  # share of those characters that must be the fallback's script (Persian letters, or letters)
UTF8_NAMES = {"utf-8", "utf-8-sig"}


@dataclasses.dataclass(frozen=True)
class Flaw:
    """The first byte of a file that its codec cannot read."""

    offset: int
    line: int
    kind: str  # truncated, surrogate, overlong, invalid (not UTF-8), undefined (in a single-byte code page)
    raw: bytes  # the bytes at the flaw

    def what(self) -> str:
        shown = " ".join(f"{b:02X}" for b in self.raw)
        return {
            "truncated": f"the file ends in the middle of a character (bytes {shown}): it was cut short",
            "surrogate": f"bytes {shown} encode half of a UTF-16 surrogate pair (CESU-8, as some Java and MySQL "
            f"exports write emoji and rare characters); UTF-8 writes those characters in 4 bytes",
            "overlong": f"bytes {shown} are an overlong form (a character written with more bytes than it needs), "
            f"which UTF-8 forbids",
            "invalid": f"byte {shown[:2]} is not UTF-8 there",
            "undefined": f"byte {shown[:2]} means nothing in this code page",
        }[self.kind]


@dataclasses.dataclass
class Survey:
    """What each line of a file is, as UTF-8; ``first_bad``/``first_utf8`` locate the first of each kind."""

    ascii_lines: int = 0
    utf8_lines: int = 0
    bad_lines: int = 0
    first_bad: Flaw | None = None
    first_utf8: tuple[int, int] | None = None  # (offset, line)
    sample: bytearray = dataclasses.field(default_factory=bytearray)  # bytes of the first not-UTF-8 lines


@dataclasses.dataclass(frozen=True)
class Choice:
    """The codec to read a file in and how it was decided; or why it cannot be read as it is."""

    codec: str
    how: str
    problem: str | None = None
    offset: int | None = None  # the byte the problem is at
    line: int | None = None
    advice: str = ""


def survey(path: Path) -> Survey:
    """Classify every line of ``path`` as UTF-8, in one pass of constant memory (C-speed for valid chunks)."""
    out = Survey()
    offset, line = 0, 1
    rest = b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK)
            data = rest + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                if cut == 0 and len(data) < LONG_LINE:
                    rest = data
                    continue
                if cut == 0:  # one very long line: cut it before a character's first byte
                    cut = len(data)
                    while cut > len(data) - 4 and 0x80 <= data[cut - 1] <= 0xBF:
                        cut -= 1
                    cut = cut - 1 if cut and data[cut - 1] >= 0xC0 else cut
                data, rest = data[:cut], data[cut:]
            else:
                rest = b""
            if not data:
                break
            _classify(data, offset, line, out, last=not chunk)
            offset += len(data)
            line += data.count(b"\n")
            if not chunk:
                break
    return out


def _classify(data: bytes, offset: int, line: int, out: Survey, *, last: bool) -> None:
    if data.isascii():
        out.ascii_lines += data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        return
    try:
        data.decode("utf-8")
        whole = True
    except UnicodeDecodeError:
        whole = False
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    if whole:  # valid throughout: count without a Python loop a line, find the first UTF-8 line once
        ascii_lines = sum(map(bytes.isascii, pieces))
        out.ascii_lines += ascii_lines
        out.utf8_lines += len(pieces) - ascii_lines
        if out.first_utf8 is None:
            at = offset
            for number, piece in enumerate(pieces, start=line):
                if not piece.isascii():
                    out.first_utf8 = (at, number)
                    break
                at += len(piece) + 1
        return
    at = offset
    for number, piece in enumerate(pieces, start=line):
        if piece.isascii():
            out.ascii_lines += 1
        elif _utf8(piece):
            out.utf8_lines += 1
            if out.first_utf8 is None:
                out.first_utf8 = (at, number)
        else:
            out.bad_lines += 1
            if out.first_bad is None:
                out.first_bad = _flaw(piece, at, number, at_end=last and number == line + len(pieces) - 1)
            if len(out.sample) < SAMPLE_CHARS:
                out.sample += piece + b"\n"
        at += len(piece) + 1


def _utf8(piece: bytes) -> bool:
    try:
        piece.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _flaw(piece: bytes, at: int, line: int, *, at_end: bool) -> Flaw:
    try:
        piece.decode("utf-8")
        raise AssertionError("a valid line has no flaw")
    except UnicodeDecodeError as e:
        start = e.start
    raw = piece[start : start + 4]
    lead, nxt = raw[0], raw[1] if len(raw) > 1 else None
    if lead == 0xED and nxt is not None and 0xA0 <= nxt <= 0xBF:
        kind = "surrogate"
    elif (
        lead in (0xC0, 0xC1)
        or (lead == 0xE0 and nxt is not None and nxt < 0xA0)
        or (lead == 0xF0 and nxt is not None and nxt < 0x90)
    ):
        kind = "overlong"
    elif at_end and _cut_short(piece[start:]):
        kind = "truncated"
    else:
        kind = "invalid"
    size = {"surrogate": 3, "overlong": 2 if lead in (0xC0, 0xC1) else 3 if lead == 0xE0 else 4}.get(kind)
    return Flaw(at + start, line, kind, raw[:size] if size else raw if kind == "truncated" else raw[:1])


def _cut_short(tail: bytes) -> bool:
    """Whether ``tail`` (from the bad byte to the end of the file) is the start of a valid character."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(tail, final=False)
        return True
    except UnicodeDecodeError:
        return False


def strict_flaw(path: Path, codec: str) -> Flaw | None:
    """The first byte ``codec`` cannot decode (a whole-file pass), or None."""
    decoder = codecs.getincrementaldecoder(codec)()
    offset, line = 0, 1
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                at = offset - pending + e.start
                head = e.object[: e.start] if pending == 0 else b""
                kind = (
                    "truncated"
                    if not chunk or "truncated" in e.reason or "end of data" in e.reason
                    else ("invalid" if codecs.lookup(codec).name.startswith("utf") else "undefined")
                )
                return Flaw(at, line + head.count(b"\n"), kind, bytes(e.object[e.start : e.start + 2]))
            if not chunk:
                return None
            offset += len(chunk)
            line += chunk.count(b"\n")


def script_share(sample: bytes, codec: str) -> float:
    """Share of the non-ASCII characters of ``sample`` read in ``codec`` that are its script's letters."""
    text = sample.decode(codec, errors="replace")
    wide = [c for c in text if not c.isascii()]
    if not wide:
        return 1.0
    if codecs.lookup(codec).name == "cp1256":
        ours = sum(1 for c in wide if "\u0600" <= c <= "\u06ff" or c in "\u200c\u00ab\u00bb")
    else:
        ours = sum(1 for c in wide if c.isalpha())
    return ours / len(wide)


def is_single_byte(codec: str) -> bool:
    """A code page with one byte a character (cp1256, latin-1...), as opposed to UTF-8/16/32."""
    name = codecs.lookup(codec).name
    return not name.startswith("utf") and "16" not in name and "32" not in name


# --- the decision ----------------------------------------------------------------------------

ADVICE_UTF8 = "The file is UTF-8: declare `encoding: utf-8` for this source in the registry (or remove its `encoding`)."
ADVICE_LEGACY = (
    "If it was saved by Excel on Persian Windows, declare `encoding: cp1256` for this source in the registry; "
    'otherwise save it as UTF-8 (in Excel: "CSV UTF-8").'
)
ADVICE_RESAVE = 'Export the file again as UTF-8 (in Excel: "CSV UTF-8"); if it is in another encoding, declare it.'
ADVICE_FIX_ROW = (
    "The rest of the file is UTF-8: type that text again (or copy it from a UTF-8 source), or export the "
    'whole file again as UTF-8 (in Excel: "CSV UTF-8").'
)
ADVICE_ONE_ENCODING = 'Save the whole file in one encoding, preferably UTF-8 (in Excel: "CSV UTF-8").'
ADVICE_AGAIN = "Fetch, copy or export the file again: it is incomplete."
ADVICE_REAL_UTF8 = 'Export it again as real UTF-8 (in MySQL: utf8mb4; in Java: not "modified UTF-8").'
LEGACY_NAMES = {"cp1256": "Windows-1256", "cp1252": "Windows-1252"}


def choose(
    path: Path, declared: str | None, bom: tuple[str, str] | None, *, fallback: str, detected: tuple[str, str]
) -> Choice:
    """The codec for ``path`` (``bom`` and ``declared`` first, else ``detected``) unless some of its bytes need
    another: then ``Choice.problem`` says what, where and what to do.

    ``bom`` and ``detected`` are (codec, how it was decided), as ``encoding``
    gives them; ``fallback`` is the legacy code page of the portal's language.
    """
    if bom is not None:
        return _whole(path, bom[0], bom[1], fallback)
    if declared:
        if is_single_byte(declared):
            return _legacy(path, declared, "declared in the registry", fallback, declared=True)
        return _whole(path, declared, "declared in the registry", fallback)
    codec, how = detected
    if codecs.lookup(codec).name in UTF8_NAMES:
        return Choice(codec, how)  # valid UTF-8 from the first byte to the last
    if not is_single_byte(codec):
        return _whole(path, codec, how, fallback)
    return _legacy(path, codec, how, fallback, declared=False)


def _whole(path: Path, codec: str, how: str, fallback: str) -> Choice:
    """A multi-byte codec (UTF-8/16/32) must decode every byte."""
    if codecs.lookup(codec).name in UTF8_NAMES:
        found = survey(path)
        if found.first_bad is None:
            return Choice(codec, how)
        return _not_utf8(codec, how, found, fallback)
    flaw = strict_flaw(path, codec)
    if flaw is None:
        return Choice(codec, how)
    odd = " and has an odd number of bytes" if flaw.kind == "truncated" and "16" in codecs.lookup(codec).name else ""
    what = (
        f"the file ends in the middle of a character{odd}: it was cut short"
        if flaw.kind == "truncated"
        else f"bytes {flaw.raw.hex(' ').upper()} are not {codec}"
    )
    return Choice(
        codec,
        how,
        f"is not valid {codec} ({how}): {what}",
        flaw.offset,
        None,  # lines are not bytes 0A here
        ADVICE_AGAIN if flaw.kind == "truncated" else ADVICE_RESAVE,
    )


def _not_utf8(codec: str, how: str, found: Survey, fallback: str) -> Choice:
    """A file read (or meant to be read) as UTF-8 with a byte that is not: what it is, and what to do."""
    flaw = found.first_bad
    assert flaw is not None
    problem = f"is not valid {codec}{f' ({how})' if how else ''}: {flaw.what()}"
    if flaw.kind == "truncated":
        return Choice(codec, how, problem, flaw.offset, flaw.line, ADVICE_AGAIN)
    if flaw.kind in ("surrogate", "overlong"):
        return Choice(codec, how, problem, flaw.offset, flaw.line, ADVICE_REAL_UTF8)
    if found.utf8_lines == 0 and script_share(bytes(found.sample), fallback) >= SCRIPT_SHARE:
        return Choice(
            codec, how, problem, flaw.offset, flaw.line, ADVICE_LEGACY if fallback == "cp1256" else ADVICE_RESAVE
        )
    return _mixed(codec, how, found, fallback)


def _mixed(codec: str, how: str, found: Survey, fallback: str) -> Choice:
    """Some lines UTF-8, some not: name the first line of the kind there are fewer of."""
    flaw = found.first_bad
    assert flaw is not None
    counts = f"{found.utf8_lines:,} line(s) are UTF-8 and {found.bad_lines:,} are not; {how}"
    legacy = LEGACY_NAMES.get(codecs.lookup(fallback).name, fallback)
    if found.utf8_lines >= found.bad_lines or found.first_utf8 is None:
        as_legacy = bytes(found.sample).split(b"\n", 1)[0].decode(fallback, errors="replace")
        return Choice(
            codec,
            how,
            f"mixes encodings ({counts}): {flaw.what()} (as {legacy} the line reads {_excerpt(as_legacy)!r})",
            flaw.offset,
            flaw.line,
            ADVICE_FIX_ROW,
        )
    offset, line = found.first_utf8
    return Choice(
        codec,
        how,
        f"mixes encodings ({counts}): the file reads as {legacy}, but this line is UTF-8 "
        f"(read as {legacy} its Persian would turn into ط®ط¯ظ…طھ...)",
        offset,
        line,
        ADVICE_ONE_ENCODING,
    )


def _legacy(path: Path, codec: str, how: str, fallback: str, *, declared: bool) -> Choice:
    """A single-byte code page: every byte defined, no UTF-8 line among the rest, and (when guessed) its script."""
    flaw = strict_flaw(path, codec)
    found = survey(path)
    if flaw is not None:
        advice = (
            ADVICE_UTF8
            if found.first_bad is None and found.utf8_lines
            else (ADVICE_LEGACY if script_share(bytes(found.sample), "cp1256") >= SCRIPT_SHARE else ADVICE_RESAVE)
        )
        return Choice(codec, how, f"is not valid {codec} ({how}): {flaw.what()}", flaw.offset, flaw.line, advice)
    if found.first_bad is None:
        return Choice(codec, how)  # valid UTF-8 (or ASCII) read as a code page: MojibakeGuard judges the text
    if found.first_utf8 is not None:
        if found.first_bad.kind in ("surrogate", "overlong", "truncated") and found.utf8_lines >= found.bad_lines:
            return _not_utf8("UTF-8", "", found, fallback)  # a UTF-8 file with a damaged character, not two encodings
        return _mixed(codec, how, found, codec)
    if not declared:
        if found.first_bad.kind in ("surrogate", "overlong", "truncated"):
            return _not_utf8("UTF-8", "", found, fallback)
        if script_share(bytes(found.sample), codec) < SCRIPT_SHARE:
            flaw = found.first_bad
            text = bytes(found.sample).split(b"\n", 1)[0].decode(codec, errors="replace")
            return Choice(
                codec,
                how,
                f"is neither UTF-8 nor {LEGACY_NAMES.get(codec, codec)} text: {flaw.what()}, "
                f"and as {LEGACY_NAMES.get(codec, codec)} the line reads {_excerpt(text)!r}",
                flaw.offset,
                flaw.line,
                ADVICE_RESAVE,
            )
    return Choice(codec, how)


def _excerpt(text: str, limit: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."
