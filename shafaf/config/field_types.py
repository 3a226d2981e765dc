"""The kinds of value ``agencies.yml`` holds, each checked with the words an operator acts on.

Each is an ``Annotated`` type: the JSON Schema sees the plain type and its
bounds, and a before-validator refuses a wrong value with a message. The
message is a template that ``registry_check`` completes from where the value
sits in the file: ``{key}`` (its key), ``{where}`` (``'url' of a source of
agency 'tax'``), ``{owner}`` (``a source of agency 'tax'``) and ``{kind}``
(what was found instead: ``a list``, ``text``).
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from shafaf.config.registry_models import redact_url
from shafaf.config.schedule_limits import Limits, accept_rule
from shafaf.core import urls
from shafaf.core.errors import ScheduleError
from shafaf.core.ids import AGENCY_ID, AGENCY_ID_PATTERN, SOURCE_ID, SOURCE_ID_PATTERN
from shafaf.standard import DATASET_KINDS

ERROR_TYPE = "registry"  # the pydantic error type of every message written here


def refuse(template: str) -> PydanticCustomError:
    """A registry problem; ``template`` may hold ``{key}``, ``{where}``, ``{owner}`` and ``{kind}``."""
    return PydanticCustomError(ERROR_TYPE, template)


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise refuse("{where} must be text, not {kind}")
    return str(value)


def _url(value: Any, *, credentials_ok: bool) -> str:
    text = _text(value)
    if (why := urls.problem(text, credentials_ok=credentials_ok)) is not None:
        raise refuse(
            f"{{key}} {redact_url(text)!r} of {{owner}} must start with https:// or http:// and be a "
            f"whole address: {why}"
        )
    return text


def _email(value: Any) -> str:
    text = _text(value)
    if (why := urls.email_problem(text)) is not None:
        raise refuse(f"{{key}} {text!r} of {{owner}}: {why}")
    return text


def _timezone(value: Any) -> str:
    text = _text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise refuse(f"unknown timezone {text!r}") from None
    return text


def _encoding(value: Any) -> str:
    text = _text(value)
    try:
        codecs.lookup(text)
    except LookupError:
        raise refuse(f"unknown encoding {text!r}") from None
    return text


def _column(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise refuse("'fields.{key}' must name a source column")
    return str(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise refuse("{key} must be true or false")
    return value


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise refuse("{where} must be a mapping of keys to values, not {kind}")
    return {str(k): v for k, v in value.items()}


def _plain(value: Any) -> Any:
    """A YAML list as a plain list (the loader's lists remember their lines, which only the messages need)."""
    return [_plain(v) for v in value] if isinstance(value, list) else value


def _schedule(value: Any, info: ValidationInfo) -> Any:
    limits = (info.context or {}).get("limits") or Limits()
    plain = {str(k): _plain(v) for k, v in value.items()} if isinstance(value, Mapping) else _plain(value)
    try:
        return accept_rule(plain, limits=limits)  # the same JSON in the registry and the agency API
    except ScheduleError as e:
        raise refuse(f"schedule of {{owner}}: {e}") from None


Text = Annotated[str, BeforeValidator(_text)]
Url = Annotated[
    str, BeforeValidator(lambda v: _url(v, credentials_ok=False)), Field(json_schema_extra={"format": "uri"})
]
# A source's own address may carry credentials: it is fetched, and only ever shown redacted.
SourceUrl = Annotated[
    str, BeforeValidator(lambda v: _url(v, credentials_ok=True)), Field(json_schema_extra={"format": "uri"})
]
Email = Annotated[str, BeforeValidator(_email), Field(json_schema_extra={"format": "email"})]
Timezone = Annotated[str, BeforeValidator(_timezone), Field(description="an IANA time zone, such as Asia/Tehran")]
Encoding = Annotated[str, BeforeValidator(_encoding), Field(description="a Python codec name, such as windows-1256")]
Flag = Annotated[bool, BeforeValidator(_flag)]
Plain = Annotated[Any, BeforeValidator(_plain)]  # any YAML value, its lists plain lists
Column = Annotated[str, BeforeValidator(_column), Field(description="a column of the source file")]
Schedule = Annotated[
    Any,
    BeforeValidator(_schedule),
    WithJsonSchema(
        {
            "description": "a cron expression, or a rule: {cron | jalali_day, at, working_days} (docs/registry.md)",
            "oneOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "cron": {"type": "string"},
                        "jalali_day": {"type": "integer", "minimum": 1, "maximum": 31},
                        "at": {"type": "string"},
                        "working_days": {"type": "boolean"},
                    },
                },
            ],
        }
    ),
]


def mapping_of(value_type: Any) -> Any:
    """A mapping with text keys (a YAML key such as ``1`` or ``Y`` is read as text)."""
    return Annotated[dict[str, value_type], BeforeValidator(_mapping)]


def number(kind: type, low: float, high: float, *, about: str = "", name: str = "{key}") -> Any:
    """A whole number (``int``) or any number (``float``) from ``low`` to ``high``."""
    noun = "a whole number" if kind is int else "a number"
    message = f"{name} must be {noun} from {low:g} to {high:g}{about}"

    def check(value: Any) -> Any:
        whole = isinstance(value, int) or (kind is float and isinstance(value, float))
        if isinstance(value, bool) or not whole or not low <= value <= high:
            raise refuse(message)
        return kind(value)

    return Annotated[kind, Field(ge=low, le=high), BeforeValidator(check)]


def count(name: str) -> Any:
    """A whole number from 0 (``pagination.size``)."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise refuse(f"{name} must be a whole number")
        return value

    return Annotated[int, Field(ge=0), BeforeValidator(check)]


def choice(options: tuple[str, ...], message: str = "") -> Any:
    """One of ``options``; ``message`` (default: "{key} must be one of ...") may quote the value as {value}."""
    template = message or f"{{key}} must be one of {', '.join(options)}"

    def check(value: Any) -> str:
        text = _text(value)
        if text not in options:
            raise refuse(template.replace("{value}", repr(text)))
        return text

    return Annotated[Literal[options], BeforeValidator(check)]  # type: ignore[valid-type]


def pattern(regex: Any, bare: str, message: str) -> Any:
    """Text matching ``regex`` (``bare`` is its pattern for the JSON Schema); ``message`` may quote the value as {value}."""

    def check(value: Any) -> str:
        text = _text(value)
        if not regex.match(text):
            raise refuse(message.replace("{value}", repr(text)))
        return text

    return Annotated[str, Field(pattern=f"^{bare}$"), BeforeValidator(check)]


AgencyId = pattern(
    AGENCY_ID,
    AGENCY_ID_PATTERN,
    f"agency id {{value}} must match ^{AGENCY_ID_PATTERN}$ (lowercase letters, digits, hyphens)",
)
SourceId = pattern(SOURCE_ID, SOURCE_ID_PATTERN, f"source id {{value}} must match ^{SOURCE_ID_PATTERN}$")
DatasetKind = choice(DATASET_KINDS, f"unknown dataset kind {{value}}; the standard has {', '.join(DATASET_KINDS)}")
