"""The registry's frozen dataclasses as tagged JSON, and back, for the checked-registry cache.

Only the registry's own classes are rebuilt (a closed list, so a cache file
can name nothing else), and each value keeps its exact type: a tuple stays a
tuple, a read-only mapping stays a ``MappingProxyType``, a path a ``Path``.
A value of any other type cannot be written (``Unencodable``): that registry
is simply not cached.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import MappingProxyType
from typing import Any

from shafaf.config.registry_models import Agency, Checked, License, Place, Portal, SmartPlan, Source, Unpivot
from shafaf.config.schedule import Rule
from shafaf.config.schedule_limits import Limits
from shafaf.config.service_bus import ApiKey, Auth, ClientTls, OAuth2, Soap

CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Agency,
        Checked,
        Place,
        License,
        Portal,
        SmartPlan,
        Source,
        Unpivot,
        Rule,
        Limits,
        ApiKey,
        Auth,
        ClientTls,
        OAuth2,
        Soap,
    )
}
_DEFAULTS: dict[type, dict[str, Any]] = {}


class Unencodable(TypeError):
    """A value the codec does not write (a date from YAML in a value map, say): the registry is not cached."""


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data; a dataclass writes only the fields that differ from their defaults."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    cls = type(value)
    if dataclasses.is_dataclass(value) and CLASSES.get(cls.__name__) is cls:
        out: dict[str, Any] = {"@": cls.__name__}
        for name, default in _defaults(cls).items():
            field = getattr(value, name)
            if default is _REQUIRED or field != default or type(field) is not type(default):
                out[name] = encode(field)
        return out
    if cls is tuple:
        return {"@tuple": [encode(v) for v in value]}
    if cls is list:
        return [encode(v) for v in value]
    if cls is MappingProxyType or cls is dict:
        return {"@map" if cls is MappingProxyType else "@dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, Path):
        return {"@path": str(value)}
    if cls is dt.time:
        return {"@time": value.isoformat()}
    if cls is dt.timedelta:
        return {"@timedelta": [value.days, value.seconds, value.microseconds]}
    raise Unencodable(f"{cls.__name__} is not written to the registry cache")


def decode(data: Any) -> Any:
    """The value ``encode`` wrote; ValueError (or KeyError, TypeError) for anything it did not write."""
    if data is None or isinstance(data, (str, bool, int, float)):
        return data
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict) or len(data) < 1:
        raise ValueError("not a value the registry cache writes")
    if "@" in data:
        cls = CLASSES[data["@"]]
        return cls(**{k: decode(v) for k, v in data.items() if k != "@"})
    (tag, inner), *rest = data.items()
    if rest:
        raise ValueError("not a value the registry cache writes")
    if tag == "@tuple":
        return tuple(decode(v) for v in inner)
    if tag in ("@map", "@dict"):
        mapping = {decode(k): decode(v) for k, v in inner}
        return MappingProxyType(mapping) if tag == "@map" else mapping
    if tag == "@path":
        return Path(inner)
    if tag == "@time":
        return dt.time.fromisoformat(inner)
    if tag == "@timedelta":
        return dt.timedelta(days=inner[0], seconds=inner[1], microseconds=inner[2])
    raise ValueError(f"unknown tag {tag!r} in the registry cache")


_REQUIRED = object()


def _defaults(cls: type) -> dict[str, Any]:
    """Each field's default (``_REQUIRED`` when it has none), computed once a class."""
    if cls not in _DEFAULTS:
        found: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            if field.default is not dataclasses.MISSING:
                found[field.name] = field.default
            elif field.default_factory is not dataclasses.MISSING:
                found[field.name] = field.default_factory()
            else:
                found[field.name] = _REQUIRED
        _DEFAULTS[cls] = found
    return _DEFAULTS[cls]
