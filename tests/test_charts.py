"""The SVG charts: well-formed, named for screen readers, mirrored in rtl, gapped on None, and never markup from data."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markupsafe import Markup

from shafaf.datasette_plugins.pages import charts
from shafaf.datasette_plugins.pages.charts import Segment, Series, bar_chart, line_chart, sparkline

NS = {"svg": charts.SVG_NS}
CSS = Path(charts.__file__).parents[1] / "static" / "charts.css"
HOSTILE = '<script>alert("x")</script> ]]> it\'s \u202eevil\u202c & <b>'
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def persian(text: str) -> str:
    return text.translate(PERSIAN)


def parse(markup: Markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{{{charts.SVG_NS}}}svg"
    return root


def shares(rtl: bool = False, **options) -> Markup:
    required = Series("Required", [("1401", 0.2), ("1402", 0.4), ("1403", 0.6)], "required", dashed=True)
    actual = Series("Actual", [("1401", 0.1), ("1402", 0.3), ("1403", 0.5)], "actual")
    return line_chart(
        [required, actual],
        title="Smart services",
        description="Required and actual share",
        rtl=rtl,
        y_min=0.0,
        y_max=1.0,
        **options,
    )


def path_points(group: ET.Element) -> list[list[tuple[float, float]]]:
    """The runs of (x, y) in a series group's path: one list per ``M``."""
    path = group.find("svg:path", NS)
    if path is None:
        return []
    return [[tuple(map(float, pair.split())) for pair in run.split("L")] for run in path.get("d").split("M") if run]


def series_group(root: ET.Element, css_class: str) -> ET.Element:
    return next(
        g
        for g in root.iter(f"{{{charts.SVG_NS}}}g")
        if f"series-{css_class}" in g.get("class", "").split() and "chart-series" in g.get("class", "").split()
    )


def texts(root: ET.Element, group_class: str) -> list[ET.Element]:
    group = next(g for g in root.iter(f"{{{charts.SVG_NS}}}g") if g.get("class") == group_class)
    return group.findall("svg:text", NS)


def test_line_chart_is_an_image_named_by_its_title_and_description():
    root = parse(shares())
    assert root.get("role") == "img"
    assert root.get("viewBox") == f"0 0 {charts.WIDTH} {charts.HEIGHT}"
    assert root.get("preserveAspectRatio")
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"svg:title[@id='{title_id}']", NS).text == "Smart services"
    assert root.find(f"svg:desc[@id='{desc_id}']", NS).text == "Required and actual share"


def test_output_is_deterministic_and_ids_differ_between_charts():
    assert shares() == shares()
    other = line_chart([Series("A", [("1401", 1.0)], "actual")], title="Other", description="", rtl=False)
    assert parse(shares()).get("aria-labelledby") != parse(other).get("aria-labelledby")


def test_styled_only_by_classes():
    for markup in (
        shares(),
        bar_chart([Segment("Online", "online")], {"2025-01": [3.0]}, title="t", description="d", rtl=True),
        sparkline([("a", 1.0), ("b", 2.0)], label="l", rtl=False),
    ):
        root = parse(markup)
        assert all("style" not in element.attrib for element in root.iter())
        assert "chart" in root.get("class").split()


def test_series_classes_and_dashed_line():
    root = parse(shares())
    required, actual = series_group(root, "required"), series_group(root, "actual")
    assert required.find("svg:path", NS).get("stroke-dasharray")
    assert actual.find("svg:path", NS).get("stroke-dasharray") is None
    swatches = {
        item.get("class"): item.find("svg:line", NS)
        for item in root.iterfind(".//svg:g", NS)
        if "chart-legend-item" in item.get("class", "")
    }
    assert swatches["chart-legend-item series-required"].get("stroke-dasharray")
    assert swatches["chart-legend-item series-actual"].get("stroke-dasharray") is None


def test_share_ticks_are_quarters_printed_by_y_format():
    root = parse(shares(y_format=lambda v: f"{v * 100:.0f}%"))
    assert [t.text for t in texts(root, "chart-y")] == ["0%", "25%", "50%", "75%", "100%"]


@pytest.mark.parametrize(
    ("raw", "step"),
    [
        (0.25, 0.25),
        (0.3, 0.5),
        (2.5, 5),
        (1.7, 2),
        (25, 25),
        (30, 50),
        (0.025, 0.05),
        (7, 10),
        (2.5e8, 2.5e8),
        (0.0009, 0.001),
    ],
)
def test_nice_steps(raw, step):
    assert math.isclose(charts.nice_step(raw), step)


def test_rtl_puts_the_earliest_point_at_the_right():
    for rtl in (False, True):
        root = parse(shares(rtl=rtl))
        (run,) = path_points(series_group(root, "actual"))
        xs = [x for x, _ in run]
        assert xs == sorted(xs, reverse=rtl)
        labels = texts(root, "chart-x")
        by_x = [t.text for t in sorted(labels, key=lambda t: float(t.get("x")))]
        assert by_x == (["1403", "1402", "1401"] if rtl else ["1401", "1402", "1403"])
        y_label_x = float(texts(root, "chart-y")[0].get("x"))
        assert (y_label_x > max(xs)) if rtl else (y_label_x < min(xs))
        assert root.get("direction") == ("rtl" if rtl else "ltr")


def test_rtl_legend_follows_reading_direction():
    for rtl in (False, True):
        root = parse(shares(rtl=rtl))
        first, second = (float(t.get("x")) for t in texts_in_legend(root))
        assert (first > second) if rtl else (first < second)


def texts_in_legend(root: ET.Element) -> list[ET.Element]:
    return [t for t in root.iter(f"{{{charts.SVG_NS}}}text") if t.get("class") == "chart-legend-label"]


def test_none_breaks_the_line_instead_of_dropping_to_zero():
    points = [
        ("2025-01", 5.0),
        ("2025-02", 6.0),
        ("2025-03", None),
        ("2025-04", 7.0),
        ("2025-05", 8.0),
        ("2025-06", None),
        ("2025-07", 9.0),
    ]
    root = parse(
        line_chart([Series("Applications", points, "applications")], title="t", description="d", rtl=False, y_min=0.0)
    )
    group = series_group(root, "applications")
    runs = path_points(group)
    assert [len(run) for run in runs] == [2, 2]
    baseline = float(texts(root, "chart-y")[0].get("y"))
    assert all(y < baseline - 5 for run in runs for _, y in run)
    # the lone last point is still shown, as a dot
    assert len(group.findall("svg:circle", NS)) == 5


def test_keys_are_the_union_of_the_series_sorted():
    a = Series("A", [("2025-03", 1.0), ("2025-01", 2.0)], "online")
    b = Series("B", [("2025-02", 3.0)], "phone")
    root = parse(line_chart([a, b], title="t", description="d", rtl=False))
    assert [t.text for t in texts(root, "chart-x")] == ["2025-01", "2025-02", "2025-03"]


def test_x_labels_give_the_printed_text():
    root = parse(shares(x_labels={"1401": "FY 1401"}))
    assert [t.text for t in texts(root, "chart-x")][0] == "FY 1401"


def test_digits_are_applied_to_keys_and_default_ticks():
    series = Series("Applications", [("2025-01", 1200.0), ("2025-02", 3400.0)], "applications")
    root = parse(line_chart([series], title="t", description="d", rtl=True, digits=persian, y_min=0.0))
    labels = [t.text for t in texts(root, "chart-x") + texts(root, "chart-y")]
    assert "۲۰۲۵-۰۱" in labels and "۲۰۲۵-۰۲" in labels
    assert "۰" in labels
    assert not any(re.search("[0-9]", label) for label in labels)


@pytest.mark.parametrize(
    "values",
    [
        [("1401", 0.5)],  # a single point
        [("1401", 3.0), ("1402", 3.0), ("1403", 3.0)],  # all equal
        [("1401", 0.0), ("1402", 0.0)],  # all zero
        [("1401", None), ("1402", None)],  # nothing at all
        [("1401", -5.0), ("1402", 10.0)],  # negative
        [("1401", 1e9), ("1402", 1.5e9)],  # huge
        [("1401", math.nan), ("1402", math.inf), ("1403", 1.0)],
        [("1401", -1e308), ("1402", 1e308), ("1403", 1e99)],
        [("1401", 5e-324), ("1402", 1e-323)],
        [],
    ],
)
def test_awkward_data_still_draws(values):
    for y_min in (None, 0.0):
        markup = line_chart([Series("S", values, "actual")], title="t", description="d", rtl=True, y_min=y_min)
        root = parse(markup)
        assert not re.search(r"nan|inf", str(markup), re.IGNORECASE)
        ticks = [t.text for t in texts(root, "chart-y")]
        assert len(ticks) >= 2 and len(set(ticks)) == len(ticks)


def test_huge_values_get_round_ticks():
    root = parse(
        line_chart([Series("S", [("1401", 0.0), ("1402", 1e9)], "applications")], title="t", description="d", rtl=False)
    )
    assert [t.text for t in texts(root, "chart-y")] == [
        "0",
        "250,000,000",
        "500,000,000",
        "750,000,000",
        "1,000,000,000",
    ]


def test_hostile_text_is_escaped_everywhere():
    line = line_chart(
        [Series(HOSTILE, [(HOSTILE, 1.0), ("1402", 2.0)], 'x" onload="alert(1)')],
        title=HOSTILE,
        description=HOSTILE,
        rtl=True,
        x_labels={"1402": HOSTILE},
    )
    bars = bar_chart([Segment(HOSTILE, "<b>")], {HOSTILE: [1.0]}, title=HOSTILE, description=HOSTILE, rtl=False)
    spark = sparkline([(HOSTILE, 1.0)], label=HOSTILE, rtl=False)
    for markup in (line, bars, spark):
        raw = str(markup)
        assert "<script" not in raw and "<b>" not in raw and "]]>" not in raw
        assert "\u202e" not in raw and "\u202c" not in raw
        root = parse(markup)
        assert {element.tag.split("}")[1] for element in root.iter()} <= {
            "svg",
            "title",
            "desc",
            "g",
            "text",
            "line",
            "path",
            "circle",
            "rect",
        }
        assert all(not name.startswith("on") for element in root.iter() for name in element.attrib)
    root = parse(line)
    assert root.find("svg:title", NS).text == HOSTILE.replace("\u202e", "").replace("\u202c", "")
    assert '"' not in series_group(root, "x__onload__alert_1_").get("class")


def test_bar_chart_stacks_segments_and_mirrors_in_rtl():
    segments = [Segment("Online", "online"), Segment("In person", "in_person"), Segment("Phone", "phone")]
    values = {"2025-02": [10.0, 5.0, None], "2025-01": [20.0, None, 5.0]}
    for rtl in (False, True):
        root = parse(bar_chart(segments, values, title="Channels", description="d", rtl=rtl, digits=persian))
        online = series_group(root, "online").findall("svg:rect", NS)
        in_person = series_group(root, "in_person").findall("svg:rect", NS)
        assert len(online) == 2 and len(in_person) == 1 and len(series_group(root, "phone")) == 1
        january, february = (float(r.get("x")) for r in online)
        assert (january > february) if rtl else (january < february)
        # the in-person part sits on top of February's online part
        feb_online = online[1]
        assert math.isclose(
            float(in_person[0].get("y")) + float(in_person[0].get("height")), float(feb_online.get("y")), abs_tol=0.11
        )
        assert [t.text for t in texts(root, "chart-x")] == ["۲۰۲۵-۰۱", "۲۰۲۵-۰۲"]
        first, second, _ = (float(t.get("x")) for t in texts_in_legend(root))
        assert (first > second) if rtl else (first < second)


def test_bar_chart_with_nothing_to_stack():
    for values in ({}, {"2025-01": [None, None]}, {"2025-01": [-4.0, 0.0]}):
        parse(bar_chart([Segment("A", "online"), Segment("B", "other")], values, title="t", description="d", rtl=True))


def test_sparkline_is_a_labelled_image_with_its_last_point_marked():
    points = [("2025-01", 1.0), ("2025-02", 3.0), ("2025-03", 2.0), ("2025-04", None)]
    for rtl in (False, True):
        root = parse(sparkline(points, label="Satisfaction", rtl=rtl))
        assert root.get("role") == "img" and root.get("aria-label") == "Satisfaction"
        (run,) = path_points(series_group(root, "trend"))
        last = next(c for c in root.iter(f"{{{charts.SVG_NS}}}circle") if "chart-last" in c.get("class"))
        assert float(last.get("cx")) == run[-1][0]
        assert float(last.get("cx")) == (min if rtl else max)(x for x, _ in run)


@pytest.mark.parametrize("points", [[], [("2025-01", None)], [("2025-01", None), ("2025-02", None)]])
def test_sparkline_with_nothing_to_draw_is_empty(points):
    result = sparkline(points, label="Nothing", rtl=True)
    assert isinstance(result, Markup) and result == ""


def test_sparkline_of_one_value_or_a_flat_trend():
    for points in ([("2025-01", 4.0)], [("2025-01", 4.0), ("2025-02", 4.0)]):
        parse(sparkline(points, label="Flat", rtl=False))


def test_channel_class():
    assert [charts.channel_class(c) for c in ("online", "in_person", "phone", "kiosk", None)] == [
        "online",
        "in_person",
        "phone",
        "other",
        "other",
    ]


REQUIRED_CLASSES = (
    "actual",
    "required",
    "online",
    "in_person",
    "phone",
    "other",
    "applications",
    "satisfaction",
    "takeup",
    "completed",
    "within_standard",
    "days",
    "trend",
)


def test_stylesheet_colours_every_series_with_enough_contrast():
    css = CSS.read_text(encoding="utf-8")
    colours = dict(re.findall(r"\.series-([a-z_]+) \{ --series: (#[0-9a-f]{6}); \}", css))
    assert set(REQUIRED_CLASSES) <= set(colours)
    for name, colour in colours.items():
        assert contrast(colour, "#ffffff") >= 4.5, name
    assert "stroke-dasharray" in css and ".chart-grid" in css and ".chart-axis" in css


def contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_axes_have_titles_and_the_viewbox_fits_a_phone():
    """At a 360 px screen's 320 px column, FONT units render at 11 CSS px or more (issue 18)."""
    root = parse(
        line_chart(
            [Series("A", [("2024-01", 1.0), ("2024-02", 2.0)], "actual")],
            title="T",
            description="",
            rtl=True,
            y_title="روز",
            x_title="ماه",
        )
    )
    titles = [t.text for t in root.iter(f"{{{charts.SVG_NS}}}text") if t.get("class") == "chart-axis-title"]
    assert titles == ["روز", "ماه"]
    assert charts.FONT * 320 / charts.WIDTH >= 11
