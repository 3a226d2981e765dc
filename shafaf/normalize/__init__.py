"""Pure functions that turn values as agencies write them into the standard's forms.

Nothing here imports the rest of Shafaf, so every rule is tested value by
value. Only ``encoding.detect_encoding`` reads a file (to look at its bytes).
"""

from shafaf.normalize.encoding import MojibakeGuard, detect_encoding
from shafaf.normalize.periods import Period, PeriodError, parse_date, parse_period
from shafaf.normalize.text import clean_code, clean_text, fold_digits, number_text, search_form, unify_letters

__all__ = [
    "MojibakeGuard",
    "Period",
    "PeriodError",
    "clean_code",
    "clean_text",
    "detect_encoding",
    "fold_digits",
    "number_text",
    "parse_date",
    "parse_period",
    "search_form",
    "unify_letters",
]
