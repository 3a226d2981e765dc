"""Pure functions that turn values as agencies write them into the standard's forms.

Nothing here does I/O or imports the rest of Shafaf, so every rule is tested
value by value.
"""

from .text import fold_digits, unify_letters
from .periods import Period, PeriodError, parse_date, parse_period

__all__ = ["fold_digits", "unify_letters", "Period", "PeriodError", "parse_date", "parse_period"]
