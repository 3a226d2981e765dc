"""What every page handler shares: rendering in the request's language, links, names, safe URLs.

Harvested values are passed to templates as they are stored: templates print
them through autoescape, and the only thing done to them here is choosing the
name in the page language and deciding whether a URL may become a link.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf.core import urls
from shafaf.core.catalogue import LANGUAGE_NAMES
from shafaf.core.ids import AGENCY_ID_PATTERN  # noqa: F401  (the routes' agency segment)
from shafaf.datasette_plugins import i18n, labels, language

if TYPE_CHECKING:  # datasette.app imports the plugins: importing it here would be circular
    from datasette.app import Datasette

DATABASE = "shafaf"

# Ids as the registry and the standard define them; anything else is a 404 before any query.
SERVICE_ID_PATTERN = r"[A-Za-z0-9._-]{1,64}"

STYLESHEETS: tuple[str, ...] = ("fonts.css", "shafaf.css", "charts.css")


def page_vars(request: Request | None, datasette: Datasette) -> dict[str, Any]:
    """The header's and footer's variables, for our pages and Datasette's alike."""
    lang = language.request_language(request) if request is not None else i18n.DEFAULT_LANGUAGE
    other = "en" if lang == "fa" else "fa"
    words = i18n.template_vars(lang)
    return {
        **words,
        "portal_title": portal_title(datasette, lang),
        "home_href": href(datasette, "/", lang),
        "quality_href": href(datasette, "/quality", lang),
        "duplicates_href": href(datasette, "/duplicates", lang),
        "availability_href": href(datasette, "/availability", lang),
        "downloads_href": datasette.urls.path("/downloads/"),
        "api_href": href(datasette, "/api", lang),
        "database_href": datasette.urls.path(f"/{DATABASE}"),  # also before startup has checked the database
        "stylesheets": [datasette.urls.static_plugins("shafaf", name) for name in STYLESHEETS],
        "switch_lang": other,
        "switch_href": language.switch_query(request, other) if request is not None else f"?lang={other}",
        "switch_label": LANGUAGE_NAMES[other],
        **labels.table_helpers(lang),
    }


def portal_title(datasette: Datasette, lang: str) -> str:
    """The portal's name in the page language (the registry's ``title_en`` on English pages), else ours."""
    own = (datasette.plugin_config("shafaf") or {}).get(f"title_{lang}")
    return own or datasette.metadata("title") or i18n.gettext("Shafaf", lang)


def bilingual(text: str | None, lang: str) -> str | None:
    """One language of a registry text written as ``فارسی (English)`` (the demo's parent ministries).

    The registry has one ``parent`` field; agencies write both names in it. A
    Persian page shows the Persian part and an English page the English one,
    so neither page mixes scripts (which a phone's bidi turns into
    "Ministry of) وزارت کشور (Interior"). Any other text is returned whole.
    """
    if not text:
        return text
    match = _BILINGUAL.match(text)
    if not match:
        return text
    return match["fa"] if lang == "fa" else match["en"]


_BILINGUAL = re.compile(
    r"^\s*(?P<fa>[^()A-Za-z]*[\u0600-\u06FF][^()A-Za-z]*?)\s*\((?P<en>[^()\u0600-\u06FF]*[A-Za-z][^()\u0600-\u06FF]*)\)\s*$"
)


async def render(
    datasette: Datasette, request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> Response:
    """``template`` with ``context``; the language and header come from the ``extra_template_vars`` hook."""
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status)


async def not_found(request: Request, datasette: Datasette) -> Response:
    """Our 404 page; it never repeats the path or id that was asked for."""
    return await render(datasette, request, "shafaf_404.html", {}, status=404)


def href(datasette: Datasette, path: str, lang: str) -> str:
    """A link to one of our pages that keeps the page language (Persian, the default, needs no parameter)."""
    url = datasette.urls.path(path)
    return url if lang == i18n.DEFAULT_LANGUAGE else f"{url}?{urllib.parse.urlencode({'lang': lang})}"


def agency_href(datasette: Datasette, agency_id: str, lang: str) -> str:
    return href(datasette, f"/agencies/{urllib.parse.quote(agency_id)}", lang)


def service_href(datasette: Datasette, agency_id: str, service_id: str, lang: str) -> str:
    path = f"/agencies/{urllib.parse.quote(agency_id)}/services/{urllib.parse.quote(service_id, safe='')}"
    return href(datasette, path, lang)


def table_href(datasette: Datasette, table: str, *, format: str | None = None, **filters: Any) -> str:
    """Datasette's page (or .csv/.json) of a public table with exact-match filters."""
    params = {key: value for key, value in filters.items() if value is not None}
    if format == "csv":
        params["_stream"] = "on"  # every matching row, not just the first page
    query = urllib.parse.urlencode(params)
    url = datasette.urls.table(DATABASE, table, format=format)
    return f"{url}?{query}" if query else url


def sql_href(datasette: Datasette, sql: str, **params: Any) -> str:
    """Datasette's SQL page with ``sql`` and its named parameters filled in, ready to edit and run."""
    return f"{datasette.urls.database(DATABASE)}?{urllib.parse.urlencode({'sql': sql, **params})}"


def name(row: dict[str, Any], lang: str, *, id_key: str = "id") -> str:
    """The name in the page language, else in the other one, else the id."""
    first, second = ("name_fa", "name_en") if lang == "fa" else ("name_en", "name_fa")
    return row.get(first) or row.get(second) or row[id_key]


def http_url(value: str | None) -> str | None:
    """``value`` when it is an http(s) URL that may become a link; None otherwise.

    Anything else (``javascript:``, ``data:``, relative paths, a URL with a
    space or no host) is never linked: the one rule of ``urls.problem``.
    """
    return urls.published(value)
