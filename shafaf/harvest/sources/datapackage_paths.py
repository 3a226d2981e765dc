"""Which paths and URLs a Data Package descriptor may name (docs/reliability.md H12), checked WHOLE before
anything it names is fetched: a plain relative path inside the package, or an http(s) URL whose literal
address could be a data host. The rules are in ``path_problem``; the ``datapackage`` harvester applies them."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from frictionless import helpers as fl_helpers

from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason

DESCRIPTOR = "datapackage.json"
RESOURCE_PATH_KEYS = ("path", "schema", "dialect", "image")  # values checked when they are text
PACKAGE_PATH_KEYS = ("image", "profile")
DRIVE = re.compile(r"^[A-Za-z]:")
WINDOWS_VAR = re.compile(r"%[A-Za-z_][A-Za-z0-9_]*%")


def _resource_label(resource: dict[str, Any], index: int) -> str:
    name = resource.get("name")
    return repr(name) if isinstance(name, str) and name else f"#{index + 1}"


def descriptor_paths(descriptor: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Every (where, key, value) of the descriptor that names a file or URL."""
    for key in PACKAGE_PATH_KEYS:
        if isinstance(descriptor.get(key), str):
            yield "", key, descriptor[key]
    yield from (("", k, v) for k, v in _nested_paths(descriptor))
    for index, resource in enumerate(descriptor.get("resources") or []):
        where = f" resource {_resource_label(resource, index)}"
        path = resource.get("path")
        if isinstance(path, list):
            for n, part in enumerate(path):
                yield where, f"path[{n}]", part
        elif path is not None:
            yield where, "path", path
        for key in RESOURCE_PATH_KEYS[1:]:
            if isinstance(resource.get(key), str):
                yield where, key, resource[key]
        yield from ((where, k, v) for k, v in _nested_paths(resource))


def _nested_paths(mapping: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """``licenses[].path`` and ``sources[].path`` of a package or a resource."""
    for key in ("licenses", "sources"):
        items = mapping.get(key)
        if isinstance(items, list):
            for n, item in enumerate(items):
                if isinstance(item, dict) and "path" in item:
                    yield f"{key}[{n}].path", item["path"]


def check_descriptor(descriptor: dict[str, Any], *, allow_private: bool = False) -> None:
    """Raise ``unsafe_path`` for the first path or URL of the descriptor that is not safe (H12)."""
    for where, key, value in descriptor_paths(descriptor):
        why = path_problem(value, allow_private=allow_private)
        if why:
            raise HarvestError(Reason.UNSAFE_PATH, f"{DESCRIPTOR}{where}: {key} {value!r} is not safe ({why})")


def path_problem(value: Any, *, allow_private: bool = False) -> str | None:
    """Why a descriptor path may not be used, or None for a relative path or an http(s) URL."""
    if not isinstance(value, str):
        return f"it is {type(value).__name__}, not text"
    if not value.strip():
        return "it is empty"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "it holds a control character"
    if DRIVE.match(value):
        return "it names a drive"
    scheme = urlsplit(value).scheme.lower()
    if scheme:
        if scheme not in ("http", "https"):
            return f"the scheme {scheme + ':'!r} is not allowed; only http and https"
        return _host_problem(value, allow_private=allow_private)
    for text in dict.fromkeys((value, unquote(value))):
        if "\\" in text:
            return "it holds a backslash"
        if text.startswith("/"):
            return "it is absolute"
        if text.startswith("~"):
            return "it starts with '~' (a home folder)"
        if "$" in text or WINDOWS_VAR.search(text):
            return "it holds a variable"
        if ".." in PurePosixPath(text).parts:
            return "it climbs out of the package with '..'"
    if not fl_helpers.is_safe_path(value):  # frictionless' own rule, in case it knows more than we do
        return f'frictionless: path "{value}" is not safe'
    return None


def _host_problem(url: str, *, allow_private: bool) -> str | None:
    """Why an http(s) URL's host is never a data host, judged without resolving it."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return "it is not a valid URL"
    if not host:
        return "the URL has no host"
    if host == "localhost" and not allow_private:
        return "it points at this machine"
    try:
        address = ipaddress.ip_address(int(host)) if host.isdigit() else ipaddress.ip_address(host)
    except ValueError:
        return None  # a name: fetch checks the address it resolves to, if we ever fetch it
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_link_local or address.is_unspecified or address.is_multicast or address.is_reserved:
        return f"{address} is not a data host"
    if (address.is_loopback or address.is_private) and not allow_private:
        return f"{address} is a private address"
    return None
