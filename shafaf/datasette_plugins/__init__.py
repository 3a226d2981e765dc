"""Shafaf's Datasette plugin: the hooks, and nothing else.

Registered through the ``datasette`` entry point in setup.py. The pages live
in ``pages``, their SQL in ``queries``, their words and number formats in
``i18n``; templates in ``templates/`` and the stylesheet in ``static/``
(served by Datasette at ``/-/static-plugins/shafaf/``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datasette import hookimpl

from ..errors import ShafafError
from . import i18n, pages, search, security
from .downloads import ROUTES as DOWNLOAD_ROUTES
from .search import prepare_connection  # noqa: F401  hook: shafaf_search_form() in SQL

if TYPE_CHECKING:
    from datasette.app import Datasette
    from jinja2 import Environment


@hookimpl
def startup(datasette: Datasette) -> None:
    """Refuse to serve without the published database the pages read."""
    if pages.DATABASE not in datasette.databases:
        raise ShafafError(
            f"Shafaf's Datasette plugin needs the published database {pages.DATABASE!r} "
            f"(<data-dir>/{pages.DATABASE}.db); start Datasette with that file, "
            f"or use `shafaf serve`."
        )


@hookimpl
def asgi_wrapper(datasette: Datasette) -> Any:
    """One wrapper (pluggy finds one ``asgi_wrapper`` per plugin module): security outermost, then search.

    ``security`` sees every response, its own 404s included; ``search`` rewrites ``?_search=``.
    """
    return lambda app: security.wrap(search.wrap(app), datasette)


@hookimpl
def prepare_jinja2_environment(env: Environment) -> None:
    env.filters.update(i18n.JINJA_FILTERS)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [*DOWNLOAD_ROUTES, *pages.ROUTES]
