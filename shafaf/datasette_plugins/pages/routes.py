"""The transparency pages' routes.

The home page is ``league``, an agency's page ``agency_page``, a service's page ``service_page`` and the
reported-against-measured list ``discrepancies_page``.

Handlers declare only the arguments they use (``request, datasette``), read
the published ``shafaf`` database through ``queries`` (precomputed
``agency_scorecard`` and ``indicators`` rows) and render the plugin's
templates. Charts are drawn by ``charts`` from the same rows the tables
beside them print.
"""

from __future__ import annotations

from typing import Any

from shafaf.datasette_plugins.common import AGENCY_ID_PATTERN, SERVICE_ID_PATTERN, not_found
from shafaf.datasette_plugins.pages import page_cache
from shafaf.datasette_plugins.pages.agency import agency
from shafaf.datasette_plugins.pages.availability import availability
from shafaf.datasette_plugins.pages.discrepancies import discrepancies
from shafaf.datasette_plugins.pages.league import home
from shafaf.datasette_plugins.pages.service import service

# Routes, most specific first. The last one answers every other /agencies/...
# path with our 404 instead of Datasette's %-to-~ redirect; paths ending in "/"
# are left to Datasette, which redirects them to the path without it.
# ``\Z`` rather than ``$``, which would also match before a trailing newline.
ROUTES: list[tuple[str, Any]] = [
    (r"^/\Z", page_cache.kept(home)),
    (rf"^/agencies/(?P<agency_id>{AGENCY_ID_PATTERN})\Z", page_cache.kept(agency)),
    (r"^/discrepancies\Z", page_cache.kept(discrepancies)),
    (r"^/availability\Z", page_cache.kept(availability)),
    (
        rf"^/agencies/(?P<agency_id>{AGENCY_ID_PATTERN})/services/(?P<service_id>{SERVICE_ID_PATTERN})\Z",
        page_cache.kept(service),
    ),
    (r"^/agencies/.*[^/]\Z", not_found),
]
