"""What a service-bus source asks for beyond a URL: credentials, a client certificate, a SOAP call.

The government service bus (GSB) fronts agencies' services with OAuth2
client credentials, API keys and mutual TLS, and many of its services speak
SOAP. These are read from a ``jsonapi`` source's ``auth``, ``tls`` and
``soap`` keys (docs/registry.md shows each form). Every secret is written in
the registry only as ``${ENV_NAME}``: the harvester reads the environment
when it makes the request, so no secret is in the registry, on disk or in a
message. A value that looks written out is refused with its line.

The checker passed in is the registry's (``problem(line, message)``,
``line_of(mapping, key)``); this module only turns mappings into frozen
dataclasses and collects problems.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Protocol

from shafaf.core import localfile

ENV_ONLY = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
OAUTH2_KEYS = {"token_url", "client_id", "client_secret", "scope", "audience"}
API_KEY_KEYS = {"header", "query", "value"}
TLS_KEYS = {"client_cert", "client_key", "client_key_password", "ca_bundle"}
SOAP_KEYS = {"action", "body", "params", "version"}
SOAP_VERSIONS = ("1.1", "1.2")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclasses.dataclass(frozen=True)
class OAuth2:
    """Client credentials (RFC 6749 4.4): the id and secret are ``${NAME}`` templates."""

    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None
    audience: str | None = None


@dataclasses.dataclass(frozen=True)
class ApiKey:
    """A key sent in a header or a query parameter; ``value`` is a ``${NAME}`` template."""

    name: str
    value: str
    in_query: bool = False


@dataclasses.dataclass(frozen=True)
class Auth:
    oauth2: OAuth2 | None = None
    api_key: ApiKey | None = None


@dataclasses.dataclass(frozen=True)
class ClientTls:
    """Mutual TLS: certificate and key paths from the environment; a CA bundle reviewed with the registry."""

    client_cert: str | None = None  # ${NAME}: the variable holds the path
    client_key: str | None = None
    client_key_password: str | None = None
    ca_bundle: Path | None = None  # a file beside the registry, reviewed with it


@dataclasses.dataclass(frozen=True)
class Soap:
    """A SOAP call: the action, the body inside ``<Body>`` with ``{name}`` placeholders, their values."""

    action: str
    body: str
    params: Mapping[str, str] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    version: str = "1.1"


class Checker(Protocol):
    base: Path

    def problem(self, line: int | None, message: str) -> None: ...

    def line_of(self, mapping: Any, key: Any = None) -> int | None: ...


def read_auth(checker: Checker, raw: Any, what: str, line: int | None) -> Auth | None:
    """``auth:`` with exactly one of ``oauth2`` or ``api_key``."""
    data = _mapping(checker, raw, f"'auth' of {what}", line)
    if data is None:
        return None
    _unknown(checker, data, {"oauth2", "api_key"}, f"'auth' of {what}")
    if len([k for k in ("oauth2", "api_key") if k in data]) != 1:
        checker.problem(checker.line_of(data) or line, f"'auth' of {what} needs exactly one of 'oauth2' or 'api_key'")
        return None
    if "oauth2" in data:
        o = _mapping(checker, data["oauth2"], f"'auth.oauth2' of {what}", checker.line_of(data, "oauth2"))
        if o is None:
            return None
        _unknown(checker, o, OAUTH2_KEYS, f"'auth.oauth2' of {what}")
        token_url = _text(checker, o, "token_url", what, required=True)
        client_id = _secret(checker, o, "client_id", what, required=True)
        client_secret = _secret(checker, o, "client_secret", what, required=True)
        if token_url is not None and not token_url.startswith(("https://", "http://")):
            checker.problem(checker.line_of(o, "token_url"), f"'auth.oauth2.token_url' of {what} must start with https://")
            return None
        if None in (token_url, client_id, client_secret):
            return None
        return Auth(oauth2=OAuth2(token_url, client_id, client_secret,  # type: ignore[arg-type]
                                  _text(checker, o, "scope", what), _text(checker, o, "audience", what)))
    k = _mapping(checker, data["api_key"], f"'auth.api_key' of {what}", checker.line_of(data, "api_key"))
    if k is None:
        return None
    _unknown(checker, k, API_KEY_KEYS, f"'auth.api_key' of {what}")
    places = [p for p in ("header", "query") if p in k]
    value = _secret(checker, k, "value", what, required=True)
    if len(places) != 1:
        checker.problem(checker.line_of(k) or line, f"'auth.api_key' of {what} needs exactly one of 'header' or 'query' "
                                                    f"(the name the key is sent under)")
        return None
    name = _text(checker, k, places[0], what, required=True)
    if name is None or value is None:
        return None
    return Auth(api_key=ApiKey(name=name, value=value, in_query=places[0] == "query"))


def read_tls(checker: Checker, raw: Any, what: str, line: int | None) -> ClientTls | None:
    data = _mapping(checker, raw, f"'tls' of {what}", line)
    if data is None:
        return None
    _unknown(checker, data, TLS_KEYS, f"'tls' of {what}")
    cert = _secret(checker, data, "client_cert", what)
    key = _secret(checker, data, "client_key", what)
    password = _secret(checker, data, "client_key_password", what)
    if (cert is None) != (key is None):
        checker.problem(checker.line_of(data) or line, f"'tls' of {what} needs both 'client_cert' and 'client_key'")
        return None
    bundle = _text(checker, data, "ca_bundle", what)
    ca_bundle = localfile.resolve(checker.base, bundle) if bundle is not None else None
    if cert is None and ca_bundle is None:
        checker.problem(checker.line_of(data) or line, f"'tls' of {what} sets neither a client certificate nor a 'ca_bundle'")
        return None
    return ClientTls(client_cert=cert, client_key=key, client_key_password=password, ca_bundle=ca_bundle)


def read_soap(checker: Checker, raw: Any, what: str, line: int | None, *, paging_params: tuple[str, ...] = ()) -> Soap | None:
    """``soap:``; each ``{name}`` in the body must be a param, or the pagination's parameter."""
    data = _mapping(checker, raw, f"'soap' of {what}", line)
    if data is None:
        return None
    _unknown(checker, data, SOAP_KEYS, f"'soap' of {what}")
    action = _text(checker, data, "action", what, required=True)
    body = _text(checker, data, "body", what, required=True)
    version = str(data.get("version") or "1.1")
    if version not in SOAP_VERSIONS:
        checker.problem(checker.line_of(data, "version"), f"'soap.version' of {what} must be 1.1 or 1.2")
        return None
    params: dict[str, str] = {}
    raw_params = data.get("params")
    if raw_params is not None:
        p = _mapping(checker, raw_params, f"'soap.params' of {what}", checker.line_of(data, "params"))
        for name, value in (p or {}).items():
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                checker.problem(checker.line_of(p, name), f"'soap.params.{name}' of {what} must be text")
                continue
            params[str(name)] = str(value)
    if action is None or body is None:
        return None
    unfilled = sorted(set(PLACEHOLDER.findall(body)) - set(params) - set(paging_params))
    if unfilled:
        checker.problem(checker.line_of(data, "body"), f"'soap.body' of {what} has placeholders with no value: "
                                                       f"{', '.join(unfilled)} (give them in 'soap.params')")
        return None
    return Soap(action=action, body=body, params=MappingProxyType(params), version=version)


# --- small readers ---------------------------------------------------------------


def _mapping(checker: Checker, raw: Any, what: str, line: int | None) -> Mapping[str, Any] | None:
    if not isinstance(raw, dict):
        checker.problem(line, f"{what} must be a mapping")
        return None
    return raw


def _unknown(checker: Checker, data: Mapping[str, Any], allowed: set[str], what: str) -> None:
    for key in data:
        if key not in allowed:
            checker.problem(checker.line_of(data, key), f"unknown key {key!r} in {what}; expected one of {', '.join(sorted(allowed))}")


def _text(checker: Checker, data: Mapping[str, Any], key: str, what: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            checker.problem(checker.line_of(data) , f"{what} needs {key!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        checker.problem(checker.line_of(data, key), f"{key!r} of {what} must be text")
        return None
    return str(value)


def _secret(checker: Checker, data: Mapping[str, Any], key: str, what: str, *, required: bool = False) -> str | None:
    """A value that must be ``${NAME}``: a secret (or a path to one) written out is refused."""
    value = _text(checker, data, key, what, required=required)
    if value is not None and not ENV_ONLY.match(value):
        checker.problem(checker.line_of(data, key), f"{key!r} of {what} must be written '${{NAME}}': put the value in an "
                                                    f"environment variable, never in the registry")
        return None
    return value
