"""The SVG of the charts: one element builder that escapes every attribute value and text child.

Split from ``charts`` (issue 18). Harvested names (labels, titles) pass
through ``tag`` and can never become markup; coordinates are written in
ASCII digits, which are SVG syntax, not text for the reader.
"""

from __future__ import annotations

import hashlib
import re

from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"

# Characters that would break the XML (C0 controls, lone surrogates, non-characters) or let a
# label reorder the text around it (bidi embeddings, overrides and isolates). ZWNJ, which
# Persian words need, and the plain LRM/RLM marks are kept.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_CLASS_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def svg(kind: str, title: str, description: str, rtl: bool, width: int, height: int, parts: list[Markup]) -> Markup:
    """The ``<svg>`` element, named by its title and described by its description.

    The ids come from a hash of everything drawn, so the same chart is the
    same bytes on every request (cacheable) and different charts on one page
    get different ids.
    """
    body = Markup("").join(parts)
    digest = hashlib.sha256("\0".join((kind, clean(title), clean(description), body)).encode()).hexdigest()
    ident = f"chart-{digest[:12]}"
    return tag(
        "svg",
        tag("title", title, id=f"{ident}-title"),
        tag("desc", description, id=f"{ident}-desc"),
        body,
        xmlns=SVG_NS,
        class_=f"chart {kind}",
        viewBox=f"0 0 {width} {height}",
        preserveAspectRatio="xMidYMid meet",
        direction="rtl" if rtl else "ltr",
        role="img",
        aria_labelledby=f"{ident}-title {ident}-desc",
    )


def tag(name: str, *children: str, **attributes: object) -> Markup:
    """An element; attribute values and text children are escaped, ``Markup`` children kept as built.

    ``class_`` is written ``class``, and ``text_anchor`` ``text-anchor``; None attributes are left out.
    """
    attrs = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{escape(num(v) if isinstance(v, float) else clean(v))}"'
        for key, v in attributes.items()
        if v is not None
    )
    inner = "".join(child if isinstance(child, Markup) else escape(clean(child)) for child in children)
    return Markup(f"<{name}{attrs}>{inner}</{name}>" if inner else f"<{name}{attrs}/>")


def num(value: float) -> str:
    """A coordinate, always in ASCII digits (it is SVG syntax, not text for the reader)."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def clean(text: object) -> str:
    return _UNSAFE.sub("", str(text))


def css_class(name: str) -> str:
    return _CLASS_UNSAFE.sub("_", str(name)) or "other"
