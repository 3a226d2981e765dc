"""What a service-bus source asks for beyond a URL: credentials, a client certificate, a SOAP call.

The government service bus (GSB) fronts agencies' services with OAuth2
client credentials, API keys and mutual TLS, and many of its services speak
SOAP. These are read from a ``jsonapi`` source's ``auth``, ``tls`` and
``soap`` keys (docs/registry.md shows each form). Every secret is written in
the registry only as ``${ENV_NAME}``: the harvester reads the environment
when it makes the request, so no secret is in the registry, on disk or in a
message. A value that looks written out is refused with its line.

These are the frozen dataclasses the harvest uses; their registry form is
checked by the models in ``config/sources/service_bus.py``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

ENV_ONLY = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
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
