"""The frame of a chart: the plot area left by its title, legend and axis titles; the axes, labels and lines.

Split from ``charts`` (which draws the line and bar charts and sparklines on
it) by what it owns: where things go in the viewBox. Right to left is done
by computing x positions (``Frame.x``), never by a transform, which would
mirror the text too. Every element is built by ``chart_svg.tag``, which
escapes attribute values and text.
"""

from __future__ import annotations

import dataclasses
import math

from markupsafe import Markup

from shafaf.datasette_plugins.pages.chart_scale import Scale
from shafaf.datasette_plugins.pages.chart_svg import clean as _clean
from shafaf.datasette_plugins.pages.chart_svg import css_class as _class
from shafaf.datasette_plugins.pages.chart_svg import num as _num
from shafaf.datasette_plugins.pages.chart_svg import tag as _tag

FONT = 12  # label size in viewBox units; charts.css uses the same sizes
TITLE_FONT = 14
PAD = 8
SWATCH = 18
DASH = "6 4"


@dataclasses.dataclass(frozen=True)
class Frame:
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

    def y(self, value: float, scale: Scale) -> float:
        return self.bottom - (value - scale.lo) / (scale.hi - scale.lo) * (self.bottom - self.top)


def plot_frame(
    width: int,
    height: int,
    rtl: bool,
    title: str,
    legend: list[tuple[str, str, bool]],
    tick_labels: list[str],
    *,
    swatch: str,
    axis_titles: tuple[str | None, str | None] = (None, None),
) -> tuple[Frame, Markup]:
    """The plot area left after the title, the legend, the axis titles, the y labels and the x labels.

    Returns it with the title, the legend and the axis titles drawn. The y
    axis's title (its unit) stands above the y labels on the reading-start
    side; the x axis's title is centred under the x labels.
    """
    lines = wrap(title, int((width - 2 * PAD) / (TITLE_FONT * 0.6)))
    head = [
        _tag(
            "text",
            line,
            class_="chart-title",
            x=float(width - PAD if rtl else PAD),
            y=float(PAD + TITLE_FONT * (i + 1) + 4 * i),
            text_anchor="start",
        )
        for i, line in enumerate(lines)
    ]
    legend_top = PAD + len(lines) * (TITLE_FONT + 4) + 6
    legend_markup, legend_bottom = draw_legend(legend, width, rtl, legend_top, swatch)
    y_title, x_title = axis_titles
    top = legend_bottom + FONT
    if y_title:
        head.append(
            _tag(
                "text",
                y_title,
                class_="chart-axis-title",
                x=float(width - PAD if rtl else PAD),
                y=float(top),
                text_anchor="start",
            )
        )
        top += FONT + 4
    bottom = height - PAD - FONT - 6
    if x_title:
        head.append(
            _tag("text", x_title, class_="chart-axis-title", x=width / 2, y=float(height - PAD), text_anchor="middle")
        )
        bottom -= FONT + 6
    y_room = max((text_width(t) for t in tick_labels), default=0) + 10
    left, right = (PAD + 4, width - PAD - y_room) if rtl else (PAD + y_room, width - PAD - 4)
    frame = Frame(width, rtl, left, right, top, bottom)
    return frame, Markup("").join([*head, legend_markup])


def draw_legend(
    items: list[tuple[str, str, bool]], width: int, rtl: bool, top: float, swatch: str
) -> tuple[Markup, float]:
    """Swatch and label for each item, laid out in reading order and wrapped onto more rows when needed."""
    entries, row, cursor = [], 0, 0.0
    for label, css_class, dashed in items:
        size = SWATCH + 6 + text_width(label)
        if cursor and cursor + size > width - 2 * PAD:
            row, cursor = row + 1, 0.0
        start = width - PAD - cursor if rtl else PAD + cursor  # the item's reading-start edge
        near, far = (start - SWATCH, start) if rtl else (start, start + SWATCH)
        middle = top + row * (FONT + 8) + FONT / 2
        if swatch == "bar":
            mark = _tag("rect", class_="chart-swatch chart-bar", x=near, y=middle - 5, width=float(SWATCH), height=10.0)
        else:
            mark = _tag(
                "line",
                class_="chart-swatch chart-line" + (" dashed" if dashed else ""),
                x1=near,
                x2=far,
                y1=middle,
                y2=middle,
                stroke="currentColor",
                stroke_dasharray=DASH if dashed else None,
            )
        text_x = start - SWATCH - 6 if rtl else start + SWATCH + 6
        text = _tag("text", label, class_="chart-legend-label", x=text_x, y=middle + FONT * 0.35, text_anchor="start")
        entries.append(_tag("g", mark, text, class_=f"chart-legend-item series-{_class(css_class)}"))
        cursor += size + 16
    rows = row + 1 if items else 0
    return _tag("g", *entries, class_="chart-legend"), top + rows * (FONT + 8)


def draw_y_axis(frame: Frame, scale: Scale, labels: list[str]) -> Markup:
    """A gridline per tick (the lowest is the axis) with its label on the reading-start side."""
    label_x = frame.right + 6 if frame.rtl else frame.left - 6
    parts = []
    for i, (tick, label) in enumerate(zip(scale.ticks, labels)):
        y = frame.y(tick, scale)
        parts.append(
            _tag(
                "line",
                class_="chart-axis" if i == 0 else "chart-grid",
                x1=frame.left,
                x2=frame.right,
                y1=y,
                y2=y,
                stroke="currentColor",
            )
        )
        parts.append(_tag("text", label, class_="chart-label", x=label_x, y=y + FONT * 0.35, text_anchor="end"))
    return _tag("g", *parts, class_="chart-y")


def draw_x_labels(frame: Frame, xs: list[float], labels: list[str]) -> Markup:
    """The first and last x labels, and evenly spaced ones between them as the width allows."""
    widest = max((text_width(t) for t in labels), default=0)
    room = int((frame.right - frame.left) // (widest + 12)) + 1
    parts = []
    for i in label_indices(len(labels), room):
        half = text_width(labels[i]) / 2
        x = min(max(xs[i], half + 2), frame.width - half - 2)
        parts.append(
            _tag("text", labels[i], class_="chart-label", x=x, y=frame.bottom + FONT + 6, text_anchor="middle")
        )
    return _tag("g", *parts, class_="chart-x")


def label_indices(count: int, room: int) -> list[int]:
    if count <= 1:
        return list(range(count))
    step = math.ceil((count - 1) / max(room - 1, 1))
    picks = list(range(0, count - 1, step))
    if len(picks) > 1 and count - 1 - picks[-1] < step:
        picks.pop()  # closer to the last label than the room allows
    return [*picks, count - 1]


def spread(index: int, count: int) -> float:
    """The fraction of the axis for the ``index``-th of ``count`` points: ends included, a lone point centred."""
    return 0.5 if count <= 1 else index / (count - 1)


def series_group(css_class: str, points: list[tuple[float, float | None]], *, dashed: bool, every_dot: bool) -> Markup:
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
        children.append(
            _tag(
                "path",
                class_="chart-line" + (" dashed" if dashed else ""),
                d=d,
                fill="none",
                stroke="currentColor",
                stroke_dasharray=DASH if dashed else None,
            )
        )
    for run in runs:
        if every_dot or len(run) == 1:
            children.extend(_tag("circle", class_="chart-dot", cx=x, cy=y, r=3.0) for x, y in run)
    return _tag("g", *children, class_=f"chart-series series-{_class(css_class)}")


def wrap(text: str, limit: int) -> list[str]:
    """At most two lines of about ``limit`` characters, broken between words; the rest is cut with an ellipsis."""
    lines = [""]
    for word in _clean(text).split():
        if lines[-1] and len(lines[-1]) + 1 + len(word) > limit:
            lines.append("")
        lines[-1] = f"{lines[-1]} {word}".strip()
    if len(lines) > 2:
        lines = [lines[0], lines[1] + " …"]
    return [line[: limit + 2] for line in lines if line]


def text_width(text: str, size: int = FONT) -> float:
    """An estimate: there is no font metrics on the server, and labels are short."""
    return len(text) * size * 0.6
