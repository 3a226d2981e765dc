"""Datasette's column menus in the page's language: its ``table.js`` with our catalogue's words.

Datasette 0.65's ``static/table.js`` (the menu each column heading of a
table page opens: sort, facet, hide, not-blank rows, the column's type, and
the "remove this filter" buttons) writes its words in English inside the
script. Rather than a second copy of its logic, ``/-/shafaf/table.<lang>.js``
serves the installed file with each of those English strings replaced by
its translation (``WORDS``), escaped for where it stands in the script; the
table page loads it in place of Datasette's on pages in a language other
than English (templates/table.html). A string that is no longer in the
installed file raises ``ShafafError`` (a Datasette upgrade fails the tests
rather than leaving English on Persian pages). Served from the same origin
as a file (the CSP allows ``'self'`` scripts, no inline code), cached by the
browser like Datasette's static files.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

import datasette
from datasette import Response

from shafaf.core.errors import ShafafError
from shafaf.datasette_plugins import i18n
from shafaf.datasette_plugins.common import not_found
from shafaf.datasette_plugins.i18n import N_

if TYPE_CHECKING:
    from datasette import Request
    from datasette.app import Datasette

SOURCE = Path(datasette.__file__).parent / "static" / "table.js"
PATH = "/-/shafaf/table.{lang}.js"
# The menu's entries, as Datasette writes them inside the menu's HTML (a template literal in the script).
MENU_WORDS = {
    ">Sort ascending<": N_("Sort ascending"),
    ">Sort descending<": N_("Sort descending"),
    ">Facet by this<": N_("Facet by this"),
    ">Hide this column<": N_("Hide this column"),
    ">Show all columns<": N_("Show all columns"),
    ">Show not-blank rows<": N_("Show not-blank rows"),
}
# Column types as the heading's data-column-type gives them (lower case), in the menu's "Type:" line.
TYPE_WORDS = {
    "text": N_("text"),
    "integer": N_("integer"),
    "real": N_("decimal number"),
    "float": N_("decimal number"),
    "numeric": N_("number"),
    "blob": N_("binary"),
}
TYPE_LINE = "`Type: ${columnType.toUpperCase()}${notNull}`"
NOT_NULL = '" NOT NULL"'
REMOVE_FILTER = '"Remove this filter"'


@functools.cache
def script(lang: str) -> str:
    """``table.js`` in ``lang``; raises ShafafError when one of the strings it replaces is not in the file."""
    text = SOURCE.read_text(encoding="utf-8")

    def replace(text: str, english: str, replacement: str) -> str:
        if text.count(english) != 1:
            raise ShafafError(f"{SOURCE}: {english!r} is not in Datasette's table.js once; update {__name__}")
        return text.replace(english, replacement)

    for english, msgid in MENU_WORDS.items():
        text = replace(text, english, ">" + _in_template(html.escape(i18n.gettext(msgid, lang))) + "<")
    types = json.dumps({k: i18n.gettext(v, lang) for k, v in TYPE_WORDS.items()}, ensure_ascii=False)
    type_line = i18n.gettext("Type: %(type)s", lang).split("%(type)s")
    text = replace(
        text,
        TYPE_LINE,
        f"{json.dumps(type_line[0], ensure_ascii=False)} + ({types}[columnType] || columnType.toUpperCase())"
        f" + notNull + {json.dumps(''.join(type_line[1:]), ensure_ascii=False)}",
    )
    text = replace(text, NOT_NULL, json.dumps(i18n.gettext(", required", lang), ensure_ascii=False))
    text = replace(text, REMOVE_FILTER, json.dumps(i18n.gettext("Remove this filter", lang), ensure_ascii=False))
    return f"/* Datasette's table.js ({SOURCE.name}, Apache 2.0) with Shafaf's words for {lang}. */\n{text}"


def _in_template(text: str) -> str:
    """``text`` as it may stand inside a JavaScript template literal."""
    return text.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")


def script_path(datasette: Datasette, lang: str) -> str:
    """Where a table page of ``lang`` loads its column menus from (Datasette's own file for English)."""
    if lang == "en":
        return datasette.urls.static("table.js")
    return datasette.urls.path(PATH.format(lang=lang)) + "?" + _version(lang)


@functools.cache
def _version(lang: str) -> str:
    return hashlib.sha256(script(lang).encode()).hexdigest()[:12]


async def table_script(request: Request, datasette: Datasette) -> Response:
    """GET ``/-/shafaf/table.<lang>.js``: our 404 for a language the catalogue does not have."""
    lang = request.url_vars["lang"]
    if lang not in i18n.LANGUAGES:
        return await not_found(request, datasette)
    return Response(
        script(lang),
        content_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


ROUTES = [(r"^/-/shafaf/table\.(?P<lang>[a-z]{2})\.js\Z", table_script)]
