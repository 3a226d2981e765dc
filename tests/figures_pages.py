"""Reading the figures off a served page, and judging each against the oracle's.

Every ``<data class="figure">`` is parsed with html.parser: its exact ``value``, its id, unit and
``data-covers``, its visible text (Persian digits and separators read here, not by the portal's
formatter), and the table row or list item it sits in (for the verdicts beside it: ``data-met``,
``data-reason``, a flagged discrepancy).
"""

from __future__ import annotations

import dataclasses
import math
import re
from html.parser import HTMLParser
from typing import Any

from figures_oracle import Expected

FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
FA_TO_ASCII = str.maketrans({**{d: str(n) for n, d in enumerate(FA_DIGITS)}, "٬": ",", "٫": ".", "٪": "%"})
NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})*(\.\d+)?%?$")
WORDS = {"yes": 1.0, "no": 0.0, "بله": 1.0, "خیر": 0.0}
MISSING = ("—", "–", "")
BOUNDED = {"share": (0.0, 1.0), "score": (0.0, 100.0), "percent": (0.0, 100.0)}


@dataclasses.dataclass
class Shown:
    id: str
    value: str
    unit: str | None
    better: str | None
    covers: str | None
    text: str = ""
    container: dict[str, str] | None = None  # the attributes of the enclosing <tr> or <li>
    container_index: int = -1


@dataclasses.dataclass
class Page:
    figures: list[Shown]
    containers: list[dict[str, Any]]  # each <tr>/<li>: its attributes, its table's class, its figures, data-met cells


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.figures: list[Shown] = []
        self.containers: list[dict[str, Any]] = []
        self.stack: list[int] = []
        self.tables: list[str] = []
        self.current: Shown | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.tables.append(a.get("class", ""))
        elif tag in ("tr", "li"):
            self.containers.append(
                {
                    "tag": tag,
                    "attrs": a,
                    "figures": [],
                    "met": [],
                    "text": "",
                    "table": self.tables[-1] if self.tables else None,
                }
            )
            self.stack.append(len(self.containers) - 1)
        elif tag == "td" and "data-met" in a and self.stack:
            self.containers[self.stack[-1]]["met"].append(a["data-met"])
        elif tag == "data" and "figure" in a.get("class", "").split():
            index = self.stack[-1] if self.stack else -1
            self.current = Shown(
                a.get("data-figure", ""),
                a.get("value", ""),
                a.get("data-unit"),
                a.get("data-better"),
                a.get("data-covers"),
                container=self.containers[index]["attrs"] if index >= 0 else None,
                container_index=index,
            )
            if index >= 0:
                self.containers[index]["figures"].append(self.current.id)

    def handle_endtag(self, tag: str) -> None:
        if tag == "data" and self.current is not None:
            self.figures.append(self.current)
            self.current = None
        elif tag in ("tr", "li") and self.stack:
            self.stack.pop()
        elif tag == "table" and self.tables:
            self.tables.pop()

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            self.current.text += data
        for index in self.stack[-1:]:
            self.containers[index]["text"] += data


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return Page(parser.figures, parser.containers)


def read_text(text: str, lang: str) -> tuple[float | None, int, bool]:
    """(the number a reader sees, its decimals, whether it is a percentage); raises ValueError on a malformed one."""
    text = text.strip()
    if text in MISSING:
        return None, 0, False
    if text in WORDS:
        return WORDS[text], 0, False
    if lang == "fa" and re.search(r"[0-9]", text):
        raise ValueError(f"ASCII digits on a Persian page: {text!r}")
    if lang != "fa" and re.search(f"[{FA_DIGITS}٬٫٪]", text):
        raise ValueError(f"Persian digits on an English page: {text!r}")
    plain = text.translate(FA_TO_ASCII).replace("\u2212", "-")
    if not NUMBER.match(plain):
        raise ValueError(f"not a number as the pages write one: {text!r}")
    percent = plain.endswith("%")
    digits = plain.rstrip("%").replace(",", "")
    places = len(digits.split(".")[1]) if "." in digits else 0
    return float(digits), places, percent


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def judge(shown: Shown, expected: Expected, lang: str) -> list[str]:
    """What is wrong with one figure on a page: value, unit, text, period covered, and its bounds."""
    problems = []
    value = None if shown.value == "" else float(shown.value)
    if (value is None) != (expected.value is None) or (value is not None and not close(value, expected.value)):
        problems.append(f"value {shown.value!r}, expected {expected.value!r}")
    if expected.unit is not None and shown.unit != expected.unit:
        problems.append(f"unit {shown.unit!r}, expected {expected.unit!r}")
    if expected.judge_better and shown.better != expected.better:
        problems.append(f"better {shown.better!r}, expected {expected.better!r}")
    if shown.covers != expected.covers:
        problems.append(f"covers {shown.covers!r}, expected {expected.covers!r}")
    try:
        seen, places, percent = read_text(shown.text, lang)
    except ValueError as e:
        return problems + [str(e)]
    if (seen is None) != (expected.value is None):
        problems.append(f"text {shown.text!r} for a value of {expected.value!r}")
    elif seen is not None:
        wanted = expected.value * (100 if expected.unit == "share" else 1)
        if expected.unit == "share" and not percent:
            problems.append(f"text {shown.text!r}: a share is written as a percentage")
        if seen == 0 and shown.text.strip().startswith(("-", "\u2212")):
            problems.append(f"text {shown.text!r}: a negative zero")
        if abs(seen - wanted) > 0.5 * 10**-places + 1e-9:
            problems.append(f"text {shown.text!r} reads {seen}, expected {wanted!r} at {places} decimals")
    if value is not None and shown.unit in BOUNDED and not shown.id.endswith(":difference"):
        low, high = BOUNDED[shown.unit]
        if not low - 1e-12 <= value <= high + 1e-12:
            problems.append(f"{value} outside {low}..{high} ({shown.unit})")
        if seen is not None and not (0 <= seen <= 100):
            problems.append(f"text {shown.text!r} outside 0..100")
    return problems
