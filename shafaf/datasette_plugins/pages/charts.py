"""Charts drawn on the server as inline SVG: no JavaScript, no chart library, styled only by class names.

Why SVG from Python: the pages must work without scripts and under a strict
Content-Security-Policy, and a chart must read the same on a Persian page
(time running right to left, Persian digits) as on an English one. Right to
left is done by computing x positions, never by a transform, which would
mirror the text too; ``direction`` is set on the ``<svg>`` so that
``text-anchor`` start/end follow the reading direction.

Every element is built by ``_tag``, which escapes every attribute value and
every text child, so harvested names (labels, titles) can never become
markup. Colours, strokes and fonts are in ``static/charts.css``: the
``series-<css_class>`` class of a group sets ``--series``, which lines, bars,
dots and legend swatches use. The pages print the numbers in a table beside
each chart, so a chart is an image with a title and a description, not a
second copy of the data. Where the title, legend, axes and lines go in the
viewBox is ``chart_frame``'s; scales and ticks ``chart_scale``'s; the
escaping element builder ``chart_svg``'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from markupsafe import Markup

from shafaf.datasette_plugins.pages import chart_frame as layout
from shafaf.datasette_plugins.pages.chart_frame import FONT
from shafaf.datasette_plugins.pages.chart_scale import Digits, Formatter, nice_step
from shafaf.datasette_plugins.pages.chart_scale import Scale as _Scale
from shafaf.datasette_plugins.pages.chart_scale import clean_value as _clean_value
from shafaf.datasette_plugins.pages.chart_scale import flat as _flat
from shafaf.datasette_plugins.pages.chart_scale import tick_labels as _tick_labels
from shafaf.datasette_plugins.pages.chart_svg import SVG_NS
from shafaf.datasette_plugins.pages.chart_svg import css_class as _class
from shafaf.datasette_plugins.pages.chart_svg import svg as _svg_element
from shafaf.datasette_plugins.pages.chart_svg import tag as _tag

__all__ = ["FONT", "SVG_NS", "Segment", "Series", "bar_chart", "channel_class", "line_chart", "nice_step", "sparkline"]

# The viewBox is about as wide as a phone's column (a 360 px screen leaves 320 px), so that text of FONT units
# renders at 11 CSS px or more there; charts.css caps how wide a chart grows on a desktop (issue 18).
WIDTH = 340
HEIGHT = 280
CHANNELS = ("online", "in_person", "phone")
DOTS_UP_TO = 12  # mark every point when a series has this few; isolated points are always marked


@dataclasses.dataclass(frozen=True)
class Series:
    """One line: its legend label, (x key, value) points, and the class that colours it."""

    label: str
    points: list[tuple[str, float | None]]
    css_class: str
    dashed: bool = False


@dataclasses.dataclass(frozen=True)
class Segment:
    """One part of every stacked bar (a channel): its legend label and the class that colours it."""

    label: str
    css_class: str


def channel_class(channel: str | None) -> str:
    """The series class for an application channel; channels outside the standard's three share ``other``."""
    return channel if channel in CHANNELS else "other"


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    rtl: bool,
    digits: Digits = str,
    y_format: Formatter | None = None,
    y_min: float | None = None,
    y_max: float | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    x_labels: Mapping[str, str] | None = None,
    y_title: str | None = None,
    x_title: str | None = None,
) -> Markup:
    """Lines over shared x keys (months, years); a None value leaves a gap rather than dropping to zero.

    The x keys are the union of every series' keys, sorted ascending (ISO
    months and years sort in time order, in ASCII or Persian digits);
    ``x_labels`` may give the text to print for a key. ``y_min``/``y_max``
    fix the ends of the y axis (0 and 1 for shares) unless the data goes past
    them. ``y_format`` prints a tick value and is the caller's to localise;
    without it ticks are rounded and passed through ``digits``. ``y_title``
    names the y axis with its unit ("percent", "days"), ``x_title`` the x axis.
    """
    keys = _keys(point for line in series for point in line.points)
    values = [_by_key(line.points) for line in series]
    scale = _Scale.of([v for line in values for v in line.values() if v is not None], y_min, y_max)
    tick_labels = _tick_labels(scale, y_format, digits)
    legend = [(line.label, line.css_class, line.dashed) for line in series]
    frame, head = layout.plot_frame(
        width, height, rtl, title, legend, tick_labels, swatch="line", axis_titles=(y_title, x_title)
    )
    parts = [head, layout.draw_y_axis(frame, scale, tick_labels)]
    xs = [frame.x(layout.spread(i, len(keys))) for i in range(len(keys))]
    for line, by_key in zip(series, values):
        points = [(x, None if by_key.get(k) is None else frame.y(by_key[k], scale)) for x, k in zip(xs, keys)]
        parts.append(layout.series_group(line.css_class, points, dashed=line.dashed, every_dot=len(keys) <= DOTS_UP_TO))
    parts.append(layout.draw_x_labels(frame, xs, [_x_text(k, x_labels, digits) for k in keys]))
    return _svg_element("line-chart", title, description, rtl, width, height, parts)


def bar_chart(
    segments: Sequence[Segment],
    values: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    description: str,
    rtl: bool,
    digits: Digits = str,
    y_format: Formatter | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    x_labels: Mapping[str, str] | None = None,
    y_title: str | None = None,
    x_title: str | None = None,
) -> Markup:
    """Stacked bars, one per x key (sorted ascending), with ``values[key][i]`` the part of ``segments[i]``.

    A None or negative part is drawn as nothing (parts of a whole cannot be
    negative); the y axis starts at zero.
    """
    keys = sorted(values)
    stacks = {k: [max(_clean_value(v) or 0.0, 0.0) for v in list(values[k])[: len(segments)]] for k in keys}
    scale = _Scale.of([sum(stack) for stack in stacks.values()], 0.0, None)
    tick_labels = _tick_labels(scale, y_format, digits)
    legend = [(s.label, s.css_class, False) for s in segments]
    frame, head = layout.plot_frame(
        width, height, rtl, title, legend, tick_labels, swatch="bar", axis_titles=(y_title, x_title)
    )
    bar = (frame.right - frame.left) / max(len(keys), 1) * 0.7
    centres = [frame.x((i + 0.5) / len(keys)) for i in range(len(keys))]
    parts = [head, layout.draw_y_axis(frame, scale, tick_labels)]
    for index, segment in enumerate(segments):
        rects = []
        for key, centre in zip(keys, centres):
            stack = stacks[key]
            if index < len(stack) and stack[index] > 0:
                top, base = frame.y(sum(stack[: index + 1]), scale), frame.y(sum(stack[:index]), scale)
                rects.append(_tag("rect", class_="chart-bar", x=centre - bar / 2, y=top, width=bar, height=base - top))
        parts.append(_tag("g", *rects, class_=f"chart-series series-{_class(segment.css_class)}"))
    parts.append(layout.draw_x_labels(frame, centres, [_x_text(k, x_labels, digits) for k in keys]))
    return _svg_element("bar-chart", title, description, rtl, width, height, parts)


def sparkline(
    points: Sequence[tuple[str, float | None]], *, label: str, rtl: bool, width: int = 120, height: int = 28
) -> Markup:
    """A small trend for a scorecard row, its last point marked; an empty Markup when there is nothing to draw."""
    keys = _keys(points)
    by_key = _by_key(points)
    known = [v for v in by_key.values() if v is not None]
    if not known:
        return Markup("")
    lo, hi = min(known), max(known)
    if _flat(lo, hi):
        lo, hi = lo - 1, hi + 1  # a flat trend sits in the middle
    inset = 4.0
    frame = layout.Frame(width, rtl, inset, width - inset, inset, height - inset)
    scale = _Scale(lo, hi, (), 0)
    xy = [
        (frame.x(layout.spread(i, len(keys))), None if by_key.get(k) is None else frame.y(by_key[k], scale))
        for i, k in enumerate(keys)
    ]
    last = [(x, y) for x, y in xy if y is not None][-1]
    children = [
        _tag("title", label),
        layout.series_group("trend", xy, dashed=False, every_dot=False),
        _tag("circle", class_="chart-dot chart-last", cx=last[0], cy=last[1], r=2.5),
    ]
    return _tag(
        "svg",
        *children,
        xmlns=SVG_NS,
        class_="chart sparkline",
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        preserveAspectRatio="xMidYMid meet",
        direction="rtl" if rtl else "ltr",
        role="img",
        aria_label=label,
    )


# Data -----------------------------------------------------------------------------------------


def _keys(points: Iterable[tuple[str, float | None]]) -> list[str]:
    """Every x key once, in ascending order (a stable sort of the order they first appear in)."""
    return sorted(dict.fromkeys(str(key) for key, _ in points))


def _by_key(points: Iterable[tuple[str, float | None]]) -> dict[str, float | None]:
    return {str(key): _clean_value(value) for key, value in points}


def _x_text(key: str, x_labels: Mapping[str, str] | None, digits: Digits) -> str:
    return digits(x_labels.get(key, key) if x_labels else key)
