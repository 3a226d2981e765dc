"""``/-/agencies.schema.json``: the JSON Schema of ``agencies.yml``, for editors and agencies' own checks.

The same document as docs/agencies.schema.json (``config.agencies_file.json_schema``),
readable from any site (CORS), so an editor can be pointed at a portal's
address to check a registry while it is written.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from datasette import Response

from shafaf.datasette_plugins.catalogs.api_http import JSON, response

if TYPE_CHECKING:
    from datasette import Request
    from datasette.app import Datasette


@functools.cache
def _body() -> str:
    from shafaf.config.agencies_file import json_schema_text  # the models are built on the first request

    return json_schema_text()  # and do not change while the server runs


async def agencies_schema(request: Request, datasette: Datasette) -> Response:
    """The registry's JSON Schema."""
    return response(_body(), JSON)


ROUTES: list[tuple[str, Any]] = [(r"^/-/agencies\.schema\.json$", agencies_schema)]
