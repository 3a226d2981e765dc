"""Checking CKAN action parameters, and the errors CKAN answers with.

Parameters arrive as query-string text (GET, ckanapi's ``get_only``) or as
JSON values (ckanapi's POST body), so each reader accepts both: ``"10"`` and
``10`` are the same ``rows``. Anything that does not fit raises
``ActionError``, which ``ckan_api`` turns into CKAN's envelope: a 409
``Validation Error`` naming the parameter, or a 404 ``Not Found Error``;
never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from shafaf.core.errors import ActionError

MAX_ROWS = 1000  # CKAN's ckan.search.rows_max: larger values are capped, as CKAN does
MAX_TEXT = 1000  # a parameter longer than this is refused rather than searched

_TRUE = {"true", "1", "yes", "on", "y", "t"}
_FALSE = {"false", "0", "no", "off", "n", "f", ""}


def validation_error(field: str, message: str) -> ActionError:
    return ActionError(409, {"__type": "Validation Error", field: [message]})


def not_found(message: str = "Not found") -> ActionError:
    return ActionError(404, {"__type": "Not Found Error", "message": message})


def bad_request(message: str) -> ActionError:
    return ActionError(400, {"__type": "Bad Request", "message": f"Bad request - {message}"})


def natural(params: Mapping[str, Any], name: str, default: int, *, maximum: int | None = None) -> int:
    """A whole number >= 0 (CKAN's natural_number_validator); above ``maximum`` it is capped."""
    value = params.get(name, default)
    if isinstance(value, bool) or value is None:
        raise validation_error(name, "Invalid integer")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.lstrip("+").isdigit() or len(text) > 12:
            raise validation_error(name, "Invalid integer")
        value = int(text)
    if not isinstance(value, int):
        raise validation_error(name, "Invalid integer")
    if value < 0:
        raise validation_error(name, "Must be a natural number")
    return min(value, maximum) if maximum is not None else value


def boolean(params: Mapping[str, Any], name: str, default: bool) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise validation_error(name, "Value must be a boolean (true or false)")


def text(params: Mapping[str, Any], name: str, default: str = "") -> str:
    value = params.get(name, default)
    if value is None:
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise validation_error(name, "Must be a string")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise validation_error(name, f"Must be a string of at most {MAX_TEXT} characters, without NUL")
    return value


def required_id(params: Mapping[str, Any], name: str = "id") -> str:
    value = text(params, name).strip()
    if not value:
        raise validation_error(name, "Missing value")
    return value


def text_list(params: Mapping[str, Any], name: str, default: list[str] | None = None) -> list[str]:
    """A list of strings: a JSON list, or its JSON text (CKAN's ``facet.field='["tags"]'``), or one string."""
    value = params.get(name, default if default is not None else [])
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError:
                raise validation_error(name, "Must be a JSON list of strings") from None
        else:
            value = [stripped] if stripped else []
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= MAX_TEXT for v in value):
        raise validation_error(name, "Must be a list of strings")
    if len(value) > 100:
        raise validation_error(name, "At most 100 values")
    return value


def list_sort(params: Mapping[str, Any], allowed: Sequence[str]) -> tuple[str, bool]:
    """CKAN's ``sort`` of the *_list actions (``"title desc"``): the field, and whether it runs descending."""
    sort = text(params, "sort", "name asc") or "name asc"
    words = sort.split()
    fields = f"{', '.join(allowed[:-1])} or {allowed[-1]}"
    if not words or len(words) > 2 or words[0] not in allowed or (len(words) == 2 and words[1] not in ("asc", "desc")):
        raise validation_error("sort", f"Cannot sort by {sort!r}: use {fields}, then asc or desc")
    return words[0], len(words) == 2 and words[1] == "desc"
