"""The registry form of a service-bus source's ``auth``, ``tls`` and ``soap`` keys (docs/registry.md).

Each model checks its mapping and gives the frozen dataclass of
``config.service_bus`` that the harvest uses. Every secret (and every path
to one) is written ``${NAME}`` and read from the environment at request
time: a value written out is refused, and the message never repeats it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BeforeValidator, model_validator

from shafaf.config.field_types import Text, choice, mapping_of, refuse
from shafaf.config.service_bus import ENV_ONLY, SOAP_VERSIONS, ApiKey, Auth, ClientTls, OAuth2, Soap
from shafaf.config.sources.common import Part


def _secret(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str) or not ENV_ONLY.match(value):
        raise refuse(
            "{where} must be written '${NAME}': put the value in an environment variable, never in the registry"
        )
    return value


def _web_address(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise refuse("{where} must start with https://")
    return value


Secret = Annotated[str, BeforeValidator(_secret)]
TokenUrl = Annotated[str, BeforeValidator(_web_address)]


class OAuth2Credentials(Part):
    """Client credentials (RFC 6749 4.4) from ``token_url``."""

    token_url: TokenUrl
    client_id: Secret
    client_secret: Secret
    scope: Text | None = None
    audience: Text | None = None


class ApiKeyPlace(Part):
    """A key sent under a header name or a query parameter."""

    header: Text | None = None
    query: Text | None = None
    value: Secret

    @model_validator(mode="after")
    def _one_place(self) -> ApiKeyPlace:
        if (self.header is None) == (self.query is None):
            raise refuse("{where} needs exactly one of 'header' or 'query' (the name the key is sent under)")
        return self


class AuthSettings(Part):
    """``auth:`` with exactly one of ``oauth2`` or ``api_key``."""

    oauth2: OAuth2Credentials | None = None
    api_key: ApiKeyPlace | None = None

    @model_validator(mode="after")
    def _one_method(self) -> AuthSettings:
        if (self.oauth2 is None) == (self.api_key is None):
            raise refuse("{where} needs exactly one of 'oauth2' or 'api_key'")
        return self

    def auth(self) -> Auth:
        if self.oauth2 is not None:
            o = self.oauth2
            return Auth(oauth2=OAuth2(o.token_url, o.client_id, o.client_secret, o.scope, o.audience))
        k = self.api_key
        assert k is not None
        return Auth(api_key=ApiKey(name=k.header or k.query or "", value=k.value, in_query=k.query is not None))


class TlsSettings(Part):
    """Mutual TLS: certificate and key paths from the environment; a CA bundle reviewed with the registry."""

    client_cert: Secret | None = None
    client_key: Secret | None = None
    client_key_password: Secret | None = None
    ca_bundle: Text | None = None  # a file beside the registry: resolved by the loader

    @model_validator(mode="after")
    def _complete(self) -> TlsSettings:
        if (self.client_cert is None) != (self.client_key is None):
            raise refuse("{where} needs both 'client_cert' and 'client_key'")
        if self.client_cert is None and self.ca_bundle is None:
            raise refuse("{where} sets neither a client certificate nor a 'ca_bundle'")
        return self

    def tls(self) -> ClientTls:
        return ClientTls(
            client_cert=self.client_cert,
            client_key=self.client_key,
            client_key_password=self.client_key_password,
            ca_bundle=None,
        )


class SoapCall(Part):
    """A SOAP call: its action, the body inside ``<Body>`` with ``{name}`` placeholders, their values."""

    action: Text
    body: Text
    params: mapping_of(Text) = {}
    version: choice(SOAP_VERSIONS, "{where} must be 1.1 or 1.2") | None = None

    def soap(self) -> Soap:
        return Soap(
            action=self.action,
            body=self.body,
            params=MappingProxyType(dict(self.params)),
            version=self.version or "1.1",
        )
