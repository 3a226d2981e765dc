"""Which encoding a text file is in, and whether what it decoded to looks garbled.

Why not chardet (what frictionless uses when told nothing): chardet has no
model for Windows-1256 (chardet#137) and reads a Persian Excel export as
Latin-1, Cyrillic or "MacCyrillic", which decodes without an error into
nonsense (docs/reliability.md H15). The rules here are few and certain instead:

1. a byte-order mark says the encoding;
2. else UTF-16 without a BOM shows as NUL bytes at every other position;
3. else a file that decodes as UTF-8 from its first byte to its last is UTF-8
   (legacy single-byte text almost never does);
4. else it is the legacy Windows code page of the expected language:
   Windows-1256 for Persian (what Excel on Persian Windows writes), else
   Windows-1252.

Rule 4 can still be wrong, and so can an encoding an agency declares. So the
decoded cells pass through ``MojibakeGuard``, which fails the file instead of
publishing garbled text.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

# (byte-order mark, Python codec that reads and drops it, name), longest first: a UTF-32LE BOM starts with the UTF-16LE one.
BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32LE"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32BE"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16LE"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16BE"),
)
PERSIAN_LEGACY = "cp1256"  # Windows-1256: Excel's "CSV" on Persian Windows
OTHER_LEGACY = "cp1252"  # Windows-1252: the same for Western European languages
CHUNK = 1 << 20
UTF16_SAMPLE = 1 << 16
MIN_UTF16_NULS = 4


def bom_encoding(head: bytes) -> tuple[str, str] | None:
    """The codec a byte-order mark at the start of ``head`` calls for, and the mark's name."""
    for bom, codec, name in BOMS:
        if head.startswith(bom):
            return codec, name
    return None


def detect_encoding(path: Path, *, fallback: str = PERSIAN_LEGACY) -> tuple[str, str]:
    """(encoding, how it was decided) for a text file; reads it once in constant memory."""
    with open(path, "rb") as f:
        head = f.read(UTF16_SAMPLE)
        if found := bom_encoding(head):
            return found[0], f"{found[1]} byte-order mark"
        if utf16 := _utf16_without_bom(head):  # an odd size too: ``decoding.choose`` says it was cut short
            return utf16, "NUL bytes at every other position: UTF-16 without a byte-order mark"
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0
        chunk = head
        try:
            while chunk:
                decoder.decode(chunk)
                offset += len(chunk)
                chunk = f.read(CHUNK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as e:
            return (
                fallback,
                f"not UTF-8 (byte {offset + e.start} is invalid); read as {fallback}, the legacy Windows encoding",
            )
    return "utf-8", "valid UTF-8 throughout"


def _utf16_without_bom(head: bytes) -> str | None:
    even, odd = head[0::2], head[1::2]
    if len(head) < 8:
        return None
    # ASCII characters (digits, commas, line ends) are half NUL in UTF-16; a stray NUL in a UTF-8 file is not a pattern.
    for nuls, others, codec in ((odd.count(0), even.count(0), "utf-16-le"), (even.count(0), odd.count(0), "utf-16-be")):
        if nuls >= max(MIN_UTF16_NULS, 0.1 * len(head) / 2) and others == 0:
            return codec
    return None


# --- the guard --------------------------------------------------------------------------------
# Signatures of text decoded with the wrong codec. Each is a lead character followed by one that
# real text never puts after it; quotes, dashes, «», NBSP and Arabic punctuation are left out of
# the followers because they may follow a word.
_C1_AND_CP1252 = "\u0080-\u009f\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2020\u2021\u2022\u2030\u2039\u203a\u20ac\u2122"
_LATIN1_SYMBOLS = "\u00a1-\u00aa\u00ac-\u00ba\u00bc-\u00bf"
_CP1256_FOLLOWERS = "".join(
    c
    for c in bytes(range(0x80, 0xC0)).decode("cp1256")
    if not c.isalpha()
    and c not in "\u00a0\u00ab\u00bb\u060c\u061b\u061f\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u200c\u200d"
)
SIGNATURES: tuple[tuple[str, str, str], ...] = (
    (
        "replacement",
        "\ufffd",
        "U+FFFD replacement characters (�): bytes were already lost when the file was decoded or converted before it reached us",
    ),
    (
        "persian_utf8_as_latin",
        f"[ØÙÚÛ][{_C1_AND_CP1252}{_LATIN1_SYMBOLS}\u2018\u2019\u201c\u201d\u2013\u2014\u2026]",
        "Persian UTF-8 bytes read as Latin-1/Windows-1252 (Ø§, Ù…, ÛŒ...)",
    ),
    (
        "utf8_as_latin",
        f"[ÂÃ][{_C1_AND_CP1252}{_LATIN1_SYMBOLS}]",
        "UTF-8 bytes read as Latin-1/Windows-1252 (Ã©, Â°...)",
    ),
    (
        "utf8_as_cp1256",
        f"[طظعغ][{re.escape(_CP1256_FOLLOWERS)}]",
        "Persian UTF-8 bytes read as Windows-1256 (ط§, ظ†, غŒ...)",
    ),
)
_SIGNATURE = re.compile("|".join(f"(?P<s{i}>{pattern})" for i, (_, pattern, _) in enumerate(SIGNATURES)))
# Letters that Persian text read in a wrong single-byte code page turns into: Latin-1 and Latin
# Extended letters (as Latin-1/1250/1252), Greek (as 1253) and Cyrillic (as 1251).
_FOREIGN_LETTERS = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff\u0400-\u04ff"
_FOREIGN = re.compile(f"[{_FOREIGN_LETTERS}]")
# Cheap first look: a cell with none of these (nearly every clean Persian cell) needs no other test.
_SUSPECT = re.compile(f"[{_FOREIGN_LETTERS}{_C1_AND_CP1252}{_LATIN1_SYMBOLS}{re.escape(_CP1256_FOLLOWERS)}\ufffd]")
MIN_FOREIGN = 3  # fewer foreign letters than this are a name or a word, not a garbled file
FOREIGN_SHARE = 0.3  # share of the characters of non-ASCII cells; French text has ~3% accented letters

# Codecs that could have produced each signature: re-encoding a cell with one of them must give
# valid UTF-8 back, which proves the misreading (a legitimate "Â°" does not reverse).
READ_AS = {
    "replacement": (),
    "persian_utf8_as_latin": ("cp1252", "latin-1"),
    "utf8_as_latin": ("cp1252", "latin-1"),
    "utf8_as_cp1256": ("cp1256",),
}
EXAMPLE_KEPT, EXAMPLE_SHOWN = 400, 60  # characters of an example cell kept and shown
REVERSED_AT_MOST = 100_000  # characters of a cell re-encoded to prove a misreading (a 50 MB field is not)
SIGNATURE_SHARE = 0.2  # a misreading of ours garbles nearly every non-ASCII cell, not one in five
MAX_TRIES = 100  # signature-like cells that did not reverse; past this the file is taken as written


def _reverses(kind: str, cell: str) -> bool:
    """Whether ``cell`` is UTF-8 text decoded with one of the codecs that make ``kind``'s signature."""
    if kind == "replacement":
        return True
    return any(_was_utf8(cell, codec) for codec in READ_AS[kind])


def _was_utf8(cell: str, codec: str) -> bool:
    """Whether ``cell`` turns back into non-ASCII UTF-8 text when encoded with ``codec``."""
    try:
        # Not final: a cell cut short for the message may end inside a character.
        return not codecs.getincrementaldecoder("utf-8")().decode(cell.encode(codec), final=False).isascii()
    except (UnicodeError, LookupError):
        return False


ADVICE = {
    "replacement": 'Export the file again from the original system and save it as UTF-8 (in Excel: "CSV UTF-8").',
    "persian_utf8_as_latin": "The file is UTF-8: declare `encoding: utf-8` for this source in the registry (or remove its `encoding`).",
    "utf8_as_latin": "The file is UTF-8: declare `encoding: utf-8` for this source in the registry (or remove its `encoding`).",
    "utf8_as_cp1256": "The file is UTF-8: declare `encoding: utf-8` for this source in the registry (or remove its `encoding`).",
    "foreign": "If the file was saved by Excel on Persian Windows, declare `encoding: cp1256` for this source in the registry; "
    'otherwise save the file as UTF-8 (in Excel: "CSV UTF-8").',
}


ADVICE_TWICE = (
    "The file is read as UTF-8 already: its text was misread once before it was saved (decoded with the "
    "wrong encoding, then written as UTF-8). Export it again from the original system as UTF-8."
)


class MojibakeGuard:
    """Sees decoded text cells one by one and says at the end whether the file looks garbled.

    ASCII cells are skipped at once (``str.isascii`` is O(1)) and nearly every
    clean Persian cell costs one regular-expression scan, so a large file
    costs about a microsecond a row.

    A file fails (``problem``) when:

    * any cell holds U+FFFD: bytes were lost before the text reached us;
    * a misreading signature (UTF-8 read as Latin-1 or Windows-1256) that
      reverses into valid UTF-8 is in at least ``SIGNATURE_SHARE`` of the
      non-ASCII cells: our decoding is wrong, and it would garble every such
      cell. A rarer one is the agency's own damage in a file read right (the
      Canadian inventory has one "MÃ©tis"): published as written, and noted
      (``notes``);
    * Persian is expected and Latin, Greek or Cyrillic letters make up at
      least ``FOREIGN_SHARE`` of the non-ASCII text (Windows-1256 read as
      another code page); French accents in a Persian portal's file are a
      few percent and pass.
    """

    def __init__(self, file_name: str, *, expect_persian: bool = True, encoding: str | None = None):
        self.file_name = file_name
        self.expect_persian = expect_persian
        self.encoding = encoding
        self.examples: dict[str, tuple[int | None, str, str]] = {}  # kind → first (row, column, excerpt)
        self.hits = dict.fromkeys(READ_AS, 0)  # kind → cells with its signature
        self.non_ascii_cells = 0
        self.foreign = 0
        self.non_ascii_chars = 0
        self._strong = False
        self._tries = dict.fromkeys(READ_AS, 0)

    def see_row(self, row: int | None, cells: list[str], columns: list[str]) -> None:
        """Look at every text cell of one row; ``columns`` names them in the message."""
        for i, cell in enumerate(cells):
            if not cell.isascii():
                self.see(cell, row, columns[i] if i < len(columns) else f"column {i + 1}")

    def suspect(self, cell: str) -> bool:
        """Whether ``see`` would look further into a non-ASCII cell than counting it (rare in clean text)."""
        return bool(_SUSPECT.search(cell))

    def count_clean(self, cells: int, chars: int) -> None:
        """What ``see`` does for ``cells`` non-ASCII cells of ``chars`` characters that are not ``suspect``:
        count them, in any order (a column's distinct values at once)."""
        self.non_ascii_cells += cells
        if self.expect_persian:
            self.non_ascii_chars += chars

    def see(self, cell: str, row: int | None, column: str) -> None:
        """Look at one cell (callers skip ASCII cells: they cannot be garbled)."""
        self.non_ascii_cells += 1
        if self.expect_persian:
            self.non_ascii_chars += len(cell)
        if not _SUSPECT.search(cell):
            return
        if m := _SIGNATURE.search(cell):
            kind = SIGNATURES[int(m.lastgroup[1:])][0]  # type: ignore[index]
            self.hits[kind] += 1
            if kind not in self.examples and self._tries[kind] < MAX_TRIES:
                self._tries[kind] += 1
                if _reverses(kind, cell[:REVERSED_AT_MOST]):
                    self._example(kind, row, column, cell, m.start())
        if self.expect_persian and (found := _FOREIGN.findall(cell)):
            self.foreign += len(found)
            # The example is the first cell that looks garbled by itself, not the first "café".
            strong = len(found) >= FOREIGN_SHARE * len(cell)
            if "foreign" not in self.examples or (strong and not self._strong):
                self.examples.pop("foreign", None)
                self._example("foreign", row, column, cell, 0)
                self._strong = strong

    def _example(self, kind: str, row: int | None, column: str, cell: str, at: int) -> None:
        if kind not in self.examples:
            begin = max(0, at - 20)
            self.examples[kind] = (row, column, ("..." if begin else "") + cell[begin : begin + EXAMPLE_KEPT])

    def _systematic(self, kind: str) -> bool:
        if kind not in self.examples:
            return False
        return kind == "replacement" or self.hits[kind] >= SIGNATURE_SHARE * self.non_ascii_cells

    def problem(self) -> str | None:
        """None when the text looks right; else what is wrong, where, and what to do."""
        for kind, _, what in SIGNATURES:
            if self._systematic(kind):
                return self._message(kind, what)
        if self.expect_persian and self.foreign >= MIN_FOREIGN and self.foreign >= FOREIGN_SHARE * self.non_ascii_chars:
            read_as = f" (here {self.encoding})" if self.encoding else ""
            what = (
                f"Persian text is expected but {self.foreign} letters are Latin, Greek or Cyrillic: "
                f"the mark of Persian text decoded with the wrong encoding{read_as}"
            )
            _, _, cell = self.examples["foreign"]
            if self.encoding and _was_utf8(cell, self.encoding):
                return self._message("foreign", what, advice=ADVICE["utf8_as_latin"])
            return self._message("foreign", what)
        return None

    def _read_as_utf8(self) -> bool:
        try:
            return bool(self.encoding) and codecs.lookup(self.encoding).name in ("utf-8", "utf-8-sig")
        except LookupError:
            return False

    def notes(self) -> list[str]:
        """Misreadings too rare to be ours: text the agency's file already held garbled, published as written."""
        out = []
        for kind, _, what in SIGNATURES:
            if kind in self.examples and not self._systematic(kind):
                row, column, cell = self.examples[kind]
                out.append(
                    f"{self.hits[kind]} cell(s) look garbled in the file itself ({what}), e.g. row {row}, "
                    f"column {column!r}: {_shown(cell)!r}; published as written"
                )
        return out

    def _message(self, kind: str, what: str, *, advice: str | None = None) -> str:
        if advice is None and kind in READ_AS and kind != "replacement" and self._read_as_utf8():
            advice = ADVICE_TWICE  # we read it as UTF-8 already: the text itself was misread before it was saved
        row, column, cell = self.examples[kind]
        where = "the header" if row is None or row <= 1 else f"row {row}"
        return f"{self.file_name} looks garbled: {what}. In {where}, column {column!r} reads {_shown(cell)!r}. {advice or ADVICE[kind]}"


def _shown(cell: str) -> str:
    return cell if len(cell) <= EXAMPLE_SHOWN else cell[: EXAMPLE_SHOWN - 3] + "..."
