"""The officer's console as a page (``console``): the template's values, and the redirect after an action.

Split from ``console`` by what it owns: what the page shows (the sources,
the forms' targets, a problem or a notice) and where an action sends the
browser afterwards (303 to the console with ``?done=``, so a reload does
not repeat it).
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from typing import TYPE_CHECKING, Any

from datasette import Response

from shafaf.datasette_plugins import i18n
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


@dataclasses.dataclass(frozen=True)
class Visit:
    """One request to an agency's console: what every answer to it is drawn from."""

    datasette: Datasette
    request: Request
    lang: str
    found: Any  # harvest_status.context(): the registry and state.db; None when agencies cannot ask
    agency: Any  # the registry's Agency; None when there is none

    def gettext(self, message: str) -> str:
        return i18n.gettext(message, self.lang)


def done(visit: Visit, what: str) -> Response:
    """303 to the console with ``?done=<what>``: the notice it shows, and a reload that repeats nothing."""
    url = href(visit.datasette, session.console_path(visit.agency.id), visit.lang)
    return Response.redirect(f"{url}{'&' if '?' in url else '?'}done={what}", status=303)


async def page(
    visit: Visit,
    *,
    signed_in: bool = False,
    status: int = 200,
    headers: dict[str, str] | None = None,
    problem: str | None = None,
    notice: str | None = None,
    preview: dict[str, Any] | None = None,
) -> Response:
    """The console (signed in: every source with its forms), never cached: it shows a session's data."""
    datasette, request, lang, found, agency = visit.datasette, visit.request, visit.lang, visit.found, visit.agency
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


async def refused(
    visit: Visit, status: int, problem: str, *, signed_in: bool = True, headers: dict[str, str] | None = None
) -> Response:
    """The console again, answering ``status`` with ``problem`` (translated): what could not be done, and why."""
    return await page(visit, signed_in=signed_in, status=status, headers=headers, problem=problem)
