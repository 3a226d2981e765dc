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
second copy of the data.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence

from markupsafe import Markup

from shafaf.datasette_plugins.pages.chart_scale import Digits, Formatter, nice_step
from shafaf.datasette_plugins.pages.chart_scale import Scale as _Scale
from shafaf.datasette_plugins.pages.chart_scale import clean_value as _clean_value
from shafaf.datasette_plugins.pages.chart_scale import flat as _flat
from shafaf.datasette_plugins.pages.chart_scale import tick_labels as _tick_labels
from shafaf.datasette_plugins.pages.chart_svg import SVG_NS
from shafaf.datasette_plugins.pages.chart_svg import clean as _clean
from shafaf.datasette_plugins.pages.chart_svg import css_class as _class
from shafaf.datasette_plugins.pages.chart_svg import num as _num
from shafaf.datasette_plugins.pages.chart_svg import svg as _svg_element
from shafaf.datasette_plugins.pages.chart_svg import tag as _tag

__all__ = ["SVG_NS", "Segment", "Series", "bar_chart", "channel_class", "line_chart", "nice_step", "sparkline"]

FONT = 12  # label size in viewBox units; charts.css uses the same sizes
# The viewBox is about as wide as a phone's column (a 360 px screen leaves 320 px), so that text of FONT units
# renders at 11 CSS px or more there; charts.css caps how wide a chart grows on a desktop (issue 18).
WIDTH = 340
HEIGHT = 280
TITLE_FONT = 14
PAD = 8
SWATCH = 18
DASH = "6 4"
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
    series: Sequence[Series], *, title: str, description: str, rtl: bool, digits: Digits = str,
    y_format: Formatter | None = None, y_min: float | None = None, y_max: float | None = None,
    width: int = WIDTH, height: int = HEIGHT, x_labels: Mapping[str, str] | None = None,
    y_title: str | None = None, x_title: str | None = None,
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
    frame, head = _frame(width, height, rtl, title, legend, tick_labels, swatch="line", axis_titles=(y_title, x_title))
    parts = [head, _y_axis(frame, scale, tick_labels)]
    xs = [frame.x(_spread(i, len(keys))) for i in range(len(keys))]
    for line, by_key in zip(series, values):
        points = [(x, None if by_key.get(k) is None else frame.y(by_key[k], scale)) for x, k in zip(xs, keys)]
        parts.append(_series_group(line.css_class, points, dashed=line.dashed, every_dot=len(keys) <= DOTS_UP_TO))
    parts.append(_x_labels(frame, xs, [_x_text(k, x_labels, digits) for k in keys]))
    return _svg_element("line-chart", title, description, rtl, width, height, parts)


def bar_chart(
    segments: Sequence[Segment], values: Mapping[str, Sequence[float | None]], *, title: str, description: str,
    rtl: bool, digits: Digits = str, y_format: Formatter | None = None,
    width: int = WIDTH, height: int = HEIGHT, x_labels: Mapping[str, str] | None = None,
    y_title: str | None = None, x_title: str | None = None,
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
    frame, head = _frame(width, height, rtl, title, legend, tick_labels, swatch="bar", axis_titles=(y_title, x_title))
    bar = (frame.right - frame.left) / max(len(keys), 1) * 0.7
    centres = [frame.x((i + 0.5) / len(keys)) for i in range(len(keys))]
    parts = [head, _y_axis(frame, scale, tick_labels)]
    for index, segment in enumerate(segments):
        rects = []
        for key, centre in zip(keys, centres):
            stack = stacks[key]
            if index < len(stack) and stack[index] > 0:
                top, base = frame.y(sum(stack[: index + 1]), scale), frame.y(sum(stack[:index]), scale)
                rects.append(_tag("rect", class_="chart-bar", x=centre - bar / 2, y=top, width=bar, height=base - top))
        parts.append(_tag("g", *rects, class_=f"chart-series series-{_class(segment.css_class)}"))
    parts.append(_x_labels(frame, centres, [_x_text(k, x_labels, digits) for k in keys]))
    return _svg_element("bar-chart", title, description, rtl, width, height, parts)


def sparkline(
    points: Sequence[tuple[str, float | None]], *, label: str, rtl: bool, width: int = 120, height: int = 28,
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
    frame = _Frame(width, rtl, inset, width - inset, inset, height - inset)
    scale = _Scale(lo, hi, (), 0)
    xy = [(frame.x(_spread(i, len(keys))), None if by_key.get(k) is None else frame.y(by_key[k], scale))
          for i, k in enumerate(keys)]
    last = [(x, y) for x, y in xy if y is not None][-1]
    children = [_tag("title", label), _series_group("trend", xy, dashed=False, every_dot=False),
                _tag("circle", class_="chart-dot chart-last", cx=last[0], cy=last[1], r=2.5)]
    return _tag("svg", *children, xmlns=SVG_NS, class_="chart sparkline", viewBox=f"0 0 {width} {height}",
                width=width, height=height, preserveAspectRatio="xMidYMid meet", direction="rtl" if rtl else "ltr",
                role="img", aria_label=label)


# Layout ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Frame:
    """The plotting area inside the viewBox; time runs from ``left`` to ``right``, or back in rtl."""

    width: int
    rtl: bool
    left: float
    right: float
    top: float
    bottom: float

    def x(self, fraction: float) -> float:
        """A point ``fraction`` of the way along the time axis, which starts at the reading start (right in rtl)."""
        span = self.right - self.left
        return self.right - fraction * span if self.rtl else self.left + fraction * span

    def y(self, value: float, scale: _Scale) -> float:
        return self.bottom - (value - scale.lo) / (scale.hi - scale.lo) * (self.bottom - self.top)


def _frame(
    width: int, height: int, rtl: bool, title: str, legend: list[tuple[str, str, bool]], tick_labels: list[str],
    *, swatch: str, axis_titles: tuple[str | None, str | None] = (None, None),
) -> tuple[_Frame, Markup]:
    """The plot area left after the title, the legend, the axis titles, the y labels and the x labels.

    Returns it with the title, the legend and the axis titles drawn. The y
    axis's title (its unit) stands above the y labels on the reading-start
    side; the x axis's title is centred under the x labels.
    """
    lines = _wrap(title, int((width - 2 * PAD) / (TITLE_FONT * 0.6)))
    head = [_tag("text", line, class_="chart-title", x=float(width - PAD if rtl else PAD),
                 y=float(PAD + TITLE_FONT * (i + 1) + 4 * i), text_anchor="start") for i, line in enumerate(lines)]
    legend_top = PAD + len(lines) * (TITLE_FONT + 4) + 6
    legend_markup, legend_bottom = _legend(legend, width, rtl, legend_top, swatch)
    y_title, x_title = axis_titles
    top = legend_bottom + FONT
    if y_title:
        head.append(_tag("text", y_title, class_="chart-axis-title", x=float(width - PAD if rtl else PAD),
                         y=float(top), text_anchor="start"))
        top += FONT + 4
    bottom = height - PAD - FONT - 6
    if x_title:
        head.append(_tag("text", x_title, class_="chart-axis-title", x=width / 2, y=float(height - PAD),
                         text_anchor="middle"))
        bottom -= FONT + 6
    y_room = max((_text_width(t) for t in tick_labels), default=0) + 10
    left, right = (PAD + 4, width - PAD - y_room) if rtl else (PAD + y_room, width - PAD - 4)
    frame = _Frame(width, rtl, left, right, top, bottom)
    return frame, Markup("").join([*head, legend_markup])


def _legend(items: list[tuple[str, str, bool]], width: int, rtl: bool, top: float, swatch: str) -> tuple[Markup, float]:
    """Swatch and label for each item, laid out in reading order and wrapped onto more rows when needed."""
    entries, row, cursor = [], 0, 0.0
    for label, css_class, dashed in items:
        size = SWATCH + 6 + _text_width(label)
        if cursor and cursor + size > width - 2 * PAD:
            row, cursor = row + 1, 0.0
        start = width - PAD - cursor if rtl else PAD + cursor  # the item's reading-start edge
        near, far = (start - SWATCH, start) if rtl else (start, start + SWATCH)
        middle = top + row * (FONT + 8) + FONT / 2
        if swatch == "bar":
            mark = _tag("rect", class_="chart-swatch chart-bar", x=near, y=middle - 5, width=float(SWATCH), height=10.0)
        else:
            mark = _tag("line", class_="chart-swatch chart-line" + (" dashed" if dashed else ""), x1=near, x2=far,
                        y1=middle, y2=middle, stroke="currentColor", stroke_dasharray=DASH if dashed else None)
        text_x = start - SWATCH - 6 if rtl else start + SWATCH + 6
        text = _tag("text", label, class_="chart-legend-label", x=text_x, y=middle + FONT * 0.35, text_anchor="start")
        entries.append(_tag("g", mark, text, class_=f"chart-legend-item series-{_class(css_class)}"))
        cursor += size + 16
    rows = row + 1 if items else 0
    return _tag("g", *entries, class_="chart-legend"), top + rows * (FONT + 8)


def _y_axis(frame: _Frame, scale: _Scale, labels: list[str]) -> Markup:
    """A gridline per tick (the lowest is the axis) with its label on the reading-start side."""
    label_x = frame.right + 6 if frame.rtl else frame.left - 6
    parts = []
    for i, (tick, label) in enumerate(zip(scale.ticks, labels)):
        y = frame.y(tick, scale)
        parts.append(_tag("line", class_="chart-axis" if i == 0 else "chart-grid",
                          x1=frame.left, x2=frame.right, y1=y, y2=y, stroke="currentColor"))
        parts.append(_tag("text", label, class_="chart-label", x=label_x, y=y + FONT * 0.35, text_anchor="end"))
    return _tag("g", *parts, class_="chart-y")


def _x_labels(frame: _Frame, xs: list[float], labels: list[str]) -> Markup:
    """The first and last x labels, and evenly spaced ones between them as the width allows."""
    widest = max((_text_width(t) for t in labels), default=0)
    room = int((frame.right - frame.left) // (widest + 12)) + 1
    parts = []
    for i in _label_indices(len(labels), room):
        half = _text_width(labels[i]) / 2
        x = min(max(xs[i], half + 2), frame.width - half - 2)
        parts.append(_tag("text", labels[i], class_="chart-label", x=x, y=frame.bottom + FONT + 6,
                          text_anchor="middle"))
    return _tag("g", *parts, class_="chart-x")


def _label_indices(count: int, room: int) -> list[int]:
    if count <= 1:
        return list(range(count))
    step = math.ceil((count - 1) / max(room - 1, 1))
    picks = list(range(0, count - 1, step))
    if len(picks) > 1 and count - 1 - picks[-1] < step:
        picks.pop()  # closer to the last label than the room allows
    return [*picks, count - 1]


def _spread(index: int, count: int) -> float:
    """The fraction of the axis for the ``index``-th of ``count`` points: ends included, a lone point centred."""
    return 0.5 if count <= 1 else index / (count - 1)


def _series_group(
    css_class: str, points: list[tuple[float, float | None]], *, dashed: bool, every_dot: bool,
) -> Markup:
    """One path for a series, broken wherever a value is missing; dots where a point stands alone."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if y is None:
            runs.append([])
        else:
            runs[-1].append((x, y))
    runs = [run for run in runs if run]
    d = "".join("M" + "L".join(f"{_num(x)} {_num(y)}" for x, y in run) for run in runs if len(run) > 1)
    children = []
    if d:
        children.append(_tag("path", class_="chart-line" + (" dashed" if dashed else ""), d=d, fill="none",
                             stroke="currentColor", stroke_dasharray=DASH if dashed else None))
    for run in runs:
        if every_dot or len(run) == 1:
            children.extend(_tag("circle", class_="chart-dot", cx=x, cy=y, r=3.0) for x, y in run)
    return _tag("g", *children, class_=f"chart-series series-{_class(css_class)}")


def _wrap(text: str, limit: int) -> list[str]:
    """At most two lines of about ``limit`` characters, broken between words; the rest is cut with an ellipsis."""
    lines = [""]
    for word in _clean(text).split():
        if lines[-1] and len(lines[-1]) + 1 + len(word) > limit:
            lines.append("")
        lines[-1] = f"{lines[-1]} {word}".strip()
    if len(lines) > 2:
        lines = [lines[0], lines[1] + " …"]
    return [line[: limit + 2] for line in lines if line]


def _text_width(text: str, size: int = FONT) -> float:
    """An estimate: there is no font metrics on the server, and labels are short."""
    return len(text) * size * 0.6


# Data -----------------------------------------------------------------------------------------


def _keys(points: Iterable[tuple[str, float | None]]) -> list[str]:
    """Every x key once, in ascending order (a stable sort of the order they first appear in)."""
    return sorted(dict.fromkeys(str(key) for key, _ in points))


def _by_key(points: Iterable[tuple[str, float | None]]) -> dict[str, float | None]:
    return {str(key): _clean_value(value) for key, value in points}


def _x_text(key: str, x_labels: Mapping[str, str] | None, digits: Digits) -> str:
    return digits(x_labels.get(key, key) if x_labels else key)


