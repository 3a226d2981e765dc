"""Digits and letters: Persian and Arabic-Indic digits to ASCII, Arabic letters to Persian."""

from __future__ import annotations

# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits; Arabic decimal (٫) and thousands (٬) separators.
_DIGITS = {ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")}
_DIGITS.update({ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")})
_DIGITS[ord("٫")] = "."
_DIGITS[ord("٬")] = ","

# Arabic yeh and kaf to their Persian forms; tatweel removed.
_LETTERS = {ord("ي"): "ی", ord("ك"): "ک", ord("ـ"): None}


def fold_digits(value: str) -> str:
    """``'۱۴۰۲-۰۷'`` → ``'1402-07'``; ``'۸۵٫۵'`` → ``'85.5'``."""
    return value.translate(_DIGITS)


def unify_letters(value: str) -> str:
    """``'كارت ملي'`` → ``'کارت ملی'``; tatweel (ـ) removed."""
    return value.translate(_LETTERS)
