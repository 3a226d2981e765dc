"""The officer's console as a page (``console``): the template's values, and the redirect after an action.

Split from ``console`` by what it owns: what the page shows (the sources,
the forms' targets, a problem or a notice) and where an action sends the
browser afterwards (303 to the console with ``?done=``, so a reload does
not repeat it).
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from datasette import Response

from shafaf.datasette_plugins.common import href, render
from shafaf.datasette_plugins.i18n import N_
from shafaf.datasette_plugins.pages import console_session as session
from shafaf.datasette_plugins.pages.console_view import sources

if TYPE_CHECKING:
    from datasette import Request
    from datasette.app import Datasette

DONE = {  # ?done= after an action: what the page says happened
    "signed-in": N_("You are signed in."),
    "signed-out": N_("You are signed out. Every session of this token has ended."),
    "harvest": N_("Harvest asked for. The scheduler starts it shortly; it appears under the last runs."),
    "schedule": N_("The schedule is saved."),
    "reset": N_("The schedule is back to the registry's."),
}


def done(datasette: Datasette, agency_id: str, lang: str, what: str) -> Response:
    """303 to the console with ``?done=<what>``: the notice it shows, and a reload that repeats nothing."""
    url = href(datasette, session.console_path(agency_id), lang)
    return Response.redirect(f"{url}{'&' if '?' in url else '?'}done={what}", status=303)


async def page(
    datasette: Datasette,
    request: Request,
    lang: str,
    found: Any,
    agency: Any,
    *,
    signed_in: bool = False,
    status: int = 200,
    headers: dict[str, str] | None = None,
    problem: str | None = None,
    notice: str | None = None,
    preview: dict[str, Any] | None = None,
) -> Response:
    """The console (signed in: every source with its forms), never cached: it shows a session's data."""
    shown = await sources(datasette, found, agency, lang) if signed_in and agency is not None else []
    agency_id = agency.id if agency is not None else ""
    response = await render(
        datasette,
        request,
        "shafaf_console.html",
        {
            "agency": {"id": agency_id, "name": (agency.name_fa if lang == "fa" else agency.name_en) or agency_id}
            if agency is not None
            else None,
            "signed_in": signed_in,
            "sources": shown,
            "may_accept": bool(found and found.registry.portal.agencies_may_accept_shrink),
            "problem": problem,
            "notice": notice,
            "preview": preview,
            "action": href(datasette, session.console_path(agency_id), lang) if agency_id else "",
            "agency_href": href(datasette, f"/agencies/{urllib.parse.quote(agency_id)}", lang) if agency_id else "",
            "feed_href": datasette.urls.path(f"/agencies/{urllib.parse.quote(agency_id)}/feed.atom")
            if agency_id
            else "",
            "check_href": href(datasette, "/validate", lang),
        },
        status=status,
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    response.headers["Cache-Control"] = "no-store"
    return response
