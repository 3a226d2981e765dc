"""Digits, letters and invisible characters: how agencies type Persian → one form.

Three levels, from least to most change:

* **stored text** (``clean_text(unify_letters(...))``): the agency's words as
  written, with only the Arabic-keyboard variants of yeh and kaf unified,
  tatweel removed and invisible characters that carry no meaning dropped
  (a ZWNJ between two letters is meaningful in Persian and kept);
* **codes, numbers and dates** (``clean_code`` + ``fold_digits``): every
  invisible character removed and digits folded to ASCII, so ``S‌۱۲`` with a
  stray RLM is the code ``S12``; numbers additionally lose thousands
  separators (``number_text``);
* **search form** (``search_form``): what the search index compares; never
  stored as the value.

Every rule is a row in one of the tables below, with a comment saying why.
"""

from __future__ import annotations

import re
import unicodedata

ZWNJ = "\u200c"

# --- digits ---------------------------------------------------------------------------------
_DIGITS: dict[int, str | None] = {}
_DIGITS.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})  # Persian digits U+06F0..U+06F9
_DIGITS.update({ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")})  # Arabic-Indic digits U+0660..U+0669
_DIGITS[ord("٫")] = "."  # U+066B Arabic decimal separator
_DIGITS[ord("٬")] = ","  # U+066C Arabic thousands separator

# --- letters kept in stored text ------------------------------------------------------------
_LETTERS: dict[int, str | None] = {
    ord("ي"): "ی",  # U+064A Arabic yeh (Arabic keyboards, Windows-1256 exports) → U+06CC Persian yeh
    ord("ك"): "ک",  # U+0643 Arabic kaf → U+06A9 Persian keheh
    ord("ـ"): None,  # U+0640 tatweel: typographic stretching, never part of a word
}

# --- invisible characters ---------------------------------------------------------------------
# Removed from codes, numbers and dates; removed from text too, except ZWNJ between two letters.
INVISIBLES: tuple[tuple[str, str], ...] = (
    ("\u200b", "zero width space: a copy-paste artefact"),
    ("\u200c", "zero width non-joiner (ZWNJ): kept in text between two letters (می‌شود), removed elsewhere"),
    ("\u200d", "zero width joiner: no meaning in Persian data"),
    ("\u200e", "left-to-right mark: inserted by editors around Latin text and numbers"),
    ("\u200f", "right-to-left mark: inserted by editors around Persian text and numbers"),
    ("\u202a", "left-to-right embedding"),
    ("\u202b", "right-to-left embedding"),
    ("\u202c", "pop directional formatting"),
    ("\u202d", "left-to-right override"),
    ("\u202e", "right-to-left override: can make a value display reversed"),
    ("\u2060", "word joiner"),
    ("\u2066", "left-to-right isolate"),
    ("\u2067", "right-to-left isolate"),
    ("\u2068", "first strong isolate"),
    ("\u2069", "pop directional isolate"),
    ("\ufeff", "byte-order mark / zero width no-break space: never part of a value (H16)"),
    ("\u061c", "Arabic letter mark"),
    ("\x00", "NUL and the other C0 controls below: bytes of a damaged file, never text (H13)"),
    *((chr(c), "C0 control") for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)),
)
_DROP_ALL = {ord(c): None for c, _ in INVISIBLES}
# What a report calls each one when it notes its removal (``removed_marks``): the description up to its colon.
INVISIBLE_NAMES = {c: "NUL" if c == "\x00" else why.split(":")[0] for c, why in INVISIBLES}
_ANY_INVISIBLE = re.compile("[" + "".join(re.escape(c) for c, _ in INVISIBLES) + "]")
_DROP_KEEP_ZWNJ = {k: v for k, v in _DROP_ALL.items() if k != ord(ZWNJ)}
# A ZWNJ is meaningful only between two letters; a letter may carry harakat (vowel marks) after it.
_LETTER_OR_MARK = r"(?:[^\W\d_]|[\u064b-\u065f\u0670])"
_ZWNJ_RUN = re.compile("\u200c{2,}")
_STRAY_ZWNJ = re.compile(rf"(?<!{_LETTER_OR_MARK})\u200c|\u200c(?!{_LETTER_OR_MARK})")

# --- search form only -------------------------------------------------------------------------
# Folds that would change a stored word but help people find it. Applied after NFKC, which
# already turns Arabic presentation forms (ﻙ, ﻻ...) into ordinary letters.
SEARCH_FOLDS: tuple[tuple[str, str, str], ...] = (
    ("ى", "ی", "U+0649 alef maksura, typed for final yeh on Arabic keyboards"),
    ("ئ", "ی", "yeh with hamza: پائیز / پاییز"),
    ("ة", "ه", "teh marbuta: Arabic loanwords written either way (مدرسة / مدرسه)"),
    ("ۀ", "ه", "heh with yeh above (خانۀ / خانه)"),
    ("ۂ", "ه", "heh goal with hamza"),
    ("ھ", "ه", "heh doachashmee, from Urdu keyboards"),
    ("ە", "ه", "ae, from Kurdish keyboards"),
    ("أ", "ا", "alef with hamza above"),
    ("إ", "ا", "alef with hamza below"),
    ("آ", "ا", "alef with madda (آب / اب): people often type plain alef"),
    ("ٱ", "ا", "alef wasla"),
    ("ؤ", "و", "waw with hamza"),
    ("\u200c", " ", "ZWNJ: «کتاب‌ها» and «کتاب ها» are the same words"),
    ("٪", "%", "Arabic percent sign"),
    ("،", ",", "Arabic comma"),
    ("؛", ";", "Arabic semicolon"),
    ("؟", "?", "Arabic question mark"),
)
_HARAKAT = "".join(
    chr(c) for c in (*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE))
)  # vowel marks, Quranic marks
_SEARCH: dict[int, str | None] = {**_DIGITS, **_LETTERS, **_DROP_KEEP_ZWNJ}
_SEARCH.update({ord(c): None for c in _HARAKAT})
_SEARCH.update({ord(a): b for a, b, _ in SEARCH_FOLDS})

_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def fold_digits(value: str) -> str:
    """``'۱۴۰۲-۰۷'`` → ``'1402-07'``; ``'۸۵٫۵'`` → ``'85.5'``; ``'۱٬۲۳۴'`` → ``'1,234'``."""
    return value if value.isascii() else value.translate(_DIGITS)


def unify_letters(value: str) -> str:
    """``'كارت ملي'`` → ``'کارت ملی'``; tatweel (ـ) removed. Nothing else: stored text stays as written."""
    return value if value.isascii() else value.translate(_LETTERS)


def clean_code(value: str) -> str:
    """Remove every invisible character (ZWNJ, bidi marks, BOM, controls) and surrounding spaces.

    For numbers, dates, codes and ids, where an invisible character can only
    make two equal values differ.
    """
    if value.isascii():
        return value.translate(_DROP_ALL).strip() if _has_control(value) else value.strip()
    return value.translate(_DROP_ALL).strip()


def clean_text(value: str) -> str:
    """Remove invisible characters from text, keeping one ZWNJ where it joins two letters."""
    if value.isascii():
        return value.translate(_DROP_ALL) if _has_control(value) else value
    value = value.translate(_DROP_KEEP_ZWNJ)
    if ZWNJ in value:
        value = _STRAY_ZWNJ.sub("", _ZWNJ_RUN.sub(ZWNJ, value))
    return value


def number_text(value: str) -> str:
    """A number as typed → what a number parser reads: ``'۱٬۲۳۴٫۵'`` → ``'1234.5'``, ``'1 234'`` → ``'1234'``.

    Thousands separators are dropped only where they group digits by three,
    so ``'1,5'`` (a European decimal comma?) stays as it is and fails as a
    number instead of silently becoming 15.
    """
    value = fold_digits(clean_code(value))
    if not value.isascii() or " " in value:
        value = "".join(value.split())  # spaces, no-break and thin spaces used as separators
    if "," in value and _THOUSANDS.fullmatch(value):
        value = value.replace(",", "")
    return value


def search_form(text: str) -> str:
    """The form the search index compares: folded letters and digits, no harakat, one space, casefolded.

    ``search_form('كتاب‌ها') == search_form('کتاب  ها') == 'کتاب ها'``.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_SEARCH)
    return " ".join(text.split()).casefold()


def _has_control(value: str) -> bool:
    """Whether an ASCII string holds a C0 control other than tab, CR and LF (rare: checked cheaply)."""
    return not value.isprintable() and bool(value.translate(_KEEP_PRINTABLE_ASCII))


_KEEP_PRINTABLE_ASCII = {c: None for c in (*range(0x20, 0x7F), 0x09, 0x0A, 0x0D)}


def removed_marks(before: str, after: str) -> list[str]:
    """The invisible characters (bidi controls, NUL, zero-width marks...) cleaning took out of ``before``.

    ``U+202E (right-to-left override)`` for each kind removed, in order of
    first appearance, so a report can say what was changed in a value; ``[]``
    at the cost of one regular-expression scan when there were none.
    """
    found = dict.fromkeys(_ANY_INVISIBLE.findall(before))
    return [f"U+{ord(c):04X} ({INVISIBLE_NAMES[c]})" for c in found if after.count(c) < before.count(c)]
