"""Shafaf's Datasette plugin: the hooks, and nothing else.

Registered through the ``datasette`` entry point in setup.py. The pages live
in ``pages`` (home, agency, service) and ``lists`` (duplicates, data quality,
search), what they share in ``common``, their SQL in ``queries``, their words,
numbers and dates in ``i18n`` (the one catalogue, ``shafaf/core/locale/``), the
request's language in ``language``, charts in ``charts``; what makes the
portal harvestable (the CKAN Action API, DCAT catalogs, Atom feeds, sitemap
and ``/api``) in ``harvestable``, all built on ``catalog``; templates in
``templates/`` (``base.html`` puts Datasette's own pages in the same frame)
and stylesheets and the font in ``static/`` (served by Datasette at
``/-/static-plugins/shafaf/``). What keeps public SQL and bad requests from
taking the server down: ``sql_limits`` (every connection and result),
``sql_pools`` (our pages' own SQL threads), ``exceptions`` (every error
answer) and ``params`` (Datasette's parameters checked before it reads them).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from datasette import hookimpl

from shafaf.core.errors import ShafafError
from shafaf.datasette_plugins import caching, cell_values, common, language, sql_truncation, table_menu
from shafaf.datasette_plugins.agency_api import ROUTES as AGENCY_API_ROUTES
from shafaf.datasette_plugins.agency_api import skip_csrf as _skip_csrf
from shafaf.datasette_plugins.catalogs.routes import (
    ROUTES as HARVESTABLE_ROUTES,  # CKAN API, DCAT, feeds, sitemap, /api
)
from shafaf.datasette_plugins.downloads import ROUTES as DOWNLOAD_ROUTES
from shafaf.datasette_plugins.i18n import JINJA_FILTERS
from shafaf.datasette_plugins.labels import code_words_filter, reason_filter
from shafaf.datasette_plugins.pages import console_session, lists, search
from shafaf.datasette_plugins.pages import routes as pages
from shafaf.datasette_plugins.pages.check_file import PATH as CHECK_FILE_PATH
from shafaf.datasette_plugins.pages.check_file import ROUTES as CHECK_FILE_ROUTES  # /validate, issue 22
from shafaf.datasette_plugins.pages.check_file import skip_csrf as _upload_skips_csrf
from shafaf.datasette_plugins.pages.console import console as _console
from shafaf.datasette_plugins.pages.upload_form import is_upload, only_uploads_here
from shafaf.datasette_plugins.security import exceptions, params, request_body, sql_limits
from shafaf.datasette_plugins.security import headers as security
from shafaf.datasette_plugins.security.redacted import ROUTES as REDACTED_ROUTES  # /-/metadata without server paths
from shafaf.datasette_plugins.security.sql_pools import own_pages
from shafaf.standard.search_index import register_function as register_search_function

if TYPE_CHECKING:
    from datasette.app import Datasette
    from jinja2 import Environment


@hookimpl
def startup(datasette: Datasette) -> None:
    """Refuse to serve without the published database the pages read; answer errors ourselves (``exceptions``)."""
    exceptions.replace_default_handler()
    if common.DATABASE not in datasette.databases:
        raise ShafafError(
            f"Shafaf's Datasette plugin needs the published database {common.DATABASE!r} "
            f"(<data-dir>/{common.DATABASE}.db); start Datasette with that file, "
            f"or use `shafaf serve`."
        )


@hookimpl
def asgi_wrapper(datasette: Datasette) -> Any:
    """One wrapper (pluggy finds one ``asgi_wrapper`` per plugin module).

    ``request_body`` outermost (no body past a megabyte is read, but the upload page's files, which it caps itself),
    then ``language`` (it takes ``lang`` out of the query string and puts
    the choice in the scope), then ``security``, which sees every response,
    its own 404s included, then ``caching`` (entity tags, 304s), then ``search``, which rewrites ``?_search=``,
    then ``params``, which refuses malformed parameters of Datasette's, then ``sql_truncation``, which says
    in a query CSV's headers that it was cut at ``max_returned_rows``; multipart bodies only at /validate.
    """
    return lambda app: request_body.bounded(
        language.wrap(
            security.wrap(
                caching.wrap(
                    search.wrap(
                        params.wrap(sql_truncation.wrap(only_uploads_here(app, CHECK_FILE_PATH), datasette), datasette)
                    ),
                    datasette,
                ),
                datasette,
            )
        ),
        streams_its_own=lambda scope: is_upload(scope, CHECK_FILE_PATH),
    )


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Every connection the server opens: the serving limits, and ``shafaf_search_form()`` for SQL by hand.

    (One ``prepare_connection`` per plugin module: pluggy registers this one.)
    """
    sql_limits.guard_connection(conn)
    register_search_function(conn)


@hookimpl
def handle_exception(datasette: Datasette, request: Any, exception: Exception) -> Any:
    """Every error answer, in place of Datasette's (see ``exceptions``)."""

    async def inner() -> Any:
        return await exceptions.error_response(datasette, request, exception)

    return inner


@hookimpl
def prepare_jinja2_environment(env: Environment, datasette: Datasette) -> None:
    """Jinja's i18n extension: ``{% trans %}`` and ``_()`` find the request's catalogue in the context.

    The globals are the default language's, for the pages Datasette renders
    without ``extra_template_vars`` (its error pages).
    """
    env.add_extension("jinja2.ext.i18n")
    env.filters.update(JINJA_FILTERS)
    env.filters["shafaf_code_words"] = code_words_filter
    env.filters["shafaf_reason"] = reason_filter
    env.globals["shafaf_table_script"] = lambda lang: table_menu.script_path(datasette, lang)
    env.globals.update(common.page_vars(None, datasette))


@hookimpl
def extra_template_vars(request: Any, datasette: Datasette) -> dict[str, Any]:
    """The language, its words and the portal's header, on every page (Datasette's own included)."""
    return common.page_vars(request, datasette)


@hookimpl
def render_cell(value: Any, column: str) -> Any:
    """Cells of Datasette's HTML pages: Persian digits and Jalali dates on Persian pages (``cell_values``)."""
    return cell_values.render(value, language.current_language(), column)


@hookimpl
def actor_from_request(datasette: Datasette, request: Any) -> Any:
    """The agency officer's console session, as Datasette's actor (``pages/console_session``)."""
    return console_session.actor_from_request(datasette, request)


@hookimpl
def skip_csrf(scope: dict[str, Any]) -> bool | None:
    """The agency API authenticates by Bearer token, not cookie (see ``agency_api``); the upload form checks
    its own token (asgi-csrf cannot read multipart bodies: ``pages/upload_form``)."""
    return True if _skip_csrf(scope) or _upload_skips_csrf(scope) else None


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    """Our routes; their queries run on our pages' own SQL threads, never behind public SQL (``sql_pools``)."""
    console = [(rf"^/agencies/(?P<agency_id>{common.AGENCY_ID_PATTERN})/console\Z", _console)]  # before pages' 404
    routes = [
        *REDACTED_ROUTES,
        *table_menu.ROUTES,
        *DOWNLOAD_ROUTES,
        *HARVESTABLE_ROUTES,
        *console,
        *pages.ROUTES,
        *lists.ROUTES,
        *AGENCY_API_ROUTES,
        *CHECK_FILE_ROUTES,
    ]
    return [(pattern, own_pages(view)) for pattern, view in routes]
