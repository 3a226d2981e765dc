"""The y axis of a chart: round ticks that cover the values, and the decimals a tick needs.

Split from ``charts`` (issue 18): the numbers of an axis, apart from where they are drawn.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

Digits = Callable[[str], str]
Formatter = Callable[[float], str]

_EPSILON = 1e-9
_TINY = 1e-100
_HUGE = 1e100  # past this a value is not a figure (and would overflow the scale): it is treated as missing


@dataclasses.dataclass(frozen=True)
class Scale:
    """The y axis: its ends (the outer ticks), the ticks, and the decimals a tick needs."""

    lo: float
    hi: float
    ticks: tuple[float, ...]
    places: int

    @classmethod
    def of(cls, values: Sequence[float], y_min: float | None, y_max: float | None, *, count: int = 4) -> Scale:
        """Round ticks (steps of 1, 2, 2.5 or 5 times a power of ten) that cover the values and the fixed ends."""
        lo = min([*values, *([] if y_min is None else [y_min])], default=0.0)
        hi = max([*values, *([] if y_max is None else [y_max])], default=1.0)
        if flat(lo, hi):  # one value, or all equal
            pad = abs(lo) / 10 if abs(lo) > _TINY else 1.0
            lo, hi = (lo if y_min is not None else lo - pad), hi + pad
        step = nice_step((hi - lo) / count)
        places = decimals(step)
        first, last = math.floor(lo / step + _EPSILON), math.ceil(hi / step - _EPSILON)
        if not 1 <= last - first <= 4 * count:  # lost to float precision: fall back to the plain ends
            return cls(lo, hi, (lo, hi), places)
        ticks = tuple(round(i * step, places + 2) for i in range(first, last + 1))
        return cls(ticks[0], ticks[-1], ticks, places)


def flat(lo: float, hi: float) -> bool:
    """Whether the values are one value for drawing purposes (a span float arithmetic cannot divide)."""
    return hi - lo <= max(_EPSILON * max(abs(lo), abs(hi)), _TINY)


def nice_step(raw: float) -> float:
    """The round step at or above ``raw``: 1, 2, 2.5 or 5 times a power of ten.

    Quarters (2.5) only where their ticks stay whole: 0.25 (whole percentages
    of a share) or 25, 250, … (whole counts); never 2.5 or 0.025.
    """
    magnitude = 10.0 ** math.floor(math.log10(raw))
    quarters = magnitude >= 10 or math.isclose(magnitude, 0.1)
    for factor in (1, 2, 2.5, 5, 10):
        if (factor != 2.5 or quarters) and raw <= factor * magnitude * (1 + _EPSILON):
            return factor * magnitude
    return 10 * magnitude


def decimals(step: float) -> int:
    places = max(0, -math.floor(math.log10(step) + _EPSILON))
    while places < 12 and abs(round(step * 10**places) - step * 10**places) > 1e-6:
        places += 1
    return places


def tick_labels(scale: Scale, y_format: Formatter | None, digits: Digits) -> list[str]:
    if y_format is not None:
        return [y_format(t) for t in scale.ticks]
    return [digits(f"{t:,.{scale.places}f}") for t in scale.ticks]


def clean_value(value: float | None) -> float | None:
    """A float, or None for a missing, infinite, not-a-number or absurdly large value."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) and abs(number) <= _HUGE else None
