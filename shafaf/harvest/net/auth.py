"""Credentials a service bus asks for: OAuth2 client credentials, API keys, a client certificate.

Everything secret is read from the environment when the request is made
(the registry holds only ``${NAME}``) and lives in memory only: an OAuth2
access token is cached per (token endpoint, client, scope) until shortly
before it expires, and a 401 from the API drops it and fetches a new one,
once. ``Credentials.scrub`` removes every secret value (and every token it
obtained) from a message or a URL, so a query-string key whose parameter
name does not look secret (``?sig=``) is still redacted wherever a URL is
shown. The token request goes through the guarded fetch like any other.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from shafaf.config.registry import ENV_REFERENCE, Source
from shafaf.config.service_bus import OAuth2
from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason
from shafaf.harvest.net.fetch import FetchPolicy, parse_json, post, redact

REDACTED = "REDACTED"
EXPIRY_MARGIN_S = 30.0  # a token is renewed this long (or a tenth of its life, if shorter) before it expires

_tokens: dict[tuple[str, str, str, str], tuple[str, float]] = {}  # key -> (access token, monotonic expiry)
_tokens_lock = threading.Lock()


def fill(template: str, *, what: str, source: Source, environ: Mapping[str, str] | None = None) -> str:
    """``template`` with each ``${NAME}`` replaced from the environment; a missing one is ``secret_missing``."""
    env = os.environ if environ is None else environ

    def value_of(match: Any) -> str:
        var = match.group(1)
        value = env.get(var)
        if not value:
            raise HarvestError(
                Reason.SECRET_MISSING,
                f"{what} of source {source.id!r} of agency {source.agency_id!r} needs the "
                f"environment variable {var!r}, which is not set",
                url=redact(source.url or ""),
            )
        return value

    return ENV_REFERENCE.sub(value_of, template)


class Credentials:
    """What one source sends to be let in; made at the start of a run, before any request."""

    def __init__(self, source: Source, *, environ: Mapping[str, str] | None = None):
        self.source = source
        self.headers: dict[str, str] = {
            name: fill(value, what=f"header {name!r}", source=source, environ=environ)
            for name, value in source.headers.items()
        }
        self.params: dict[str, str] = {}
        self.secrets: list[str] = [v for k, v in self.headers.items() if v and v != source.headers[k]]
        self.oauth2: _OAuth2Client | None = None
        auth = source.auth
        if auth is not None and auth.api_key is not None:
            key = fill(auth.api_key.value, what=f"the API key {auth.api_key.name!r}", source=source, environ=environ)
            (self.params if auth.api_key.in_query else self.headers)[auth.api_key.name] = key
            self.secrets.append(key)
        if auth is not None and auth.oauth2 is not None:
            self.oauth2 = _OAuth2Client(auth.oauth2, source, environ)
            self.secrets += [self.oauth2.client_id, self.oauth2.client_secret]
        self.tls_files: dict[str, str] = {}
        if source.tls is not None:
            for field in ("client_cert", "client_key", "client_key_password"):
                template = getattr(source.tls, field)
                if template:
                    value = fill(template, what=f"tls.{field}", source=source, environ=environ)
                    self.tls_files[field] = value
            if "client_key_password" in self.tls_files:
                self.secrets.append(self.tls_files["client_key_password"])
        self.secrets = sorted({s for s in self.secrets if s}, key=len, reverse=True)

    def policy(self, base: FetchPolicy) -> FetchPolicy:
        """``base`` with the source's CA bundle and client certificate."""
        tls = self.source.tls
        if tls is None:
            return base
        return dataclasses.replace(
            base,
            ca_bundle=str(tls.ca_bundle) if tls.ca_bundle is not None else base.ca_bundle,
            client_cert=self.tls_files.get("client_cert"),
            client_key=self.tls_files.get("client_key"),
            client_key_password=self.tls_files.get("client_key_password"),
        )

    def request_headers(self, policy: FetchPolicy) -> dict[str, str]:
        """Headers of the next request, with a bearer token when the source uses OAuth2."""
        if self.oauth2 is None:
            return dict(self.headers)
        token = self.oauth2.token(policy, self)
        return {**self.headers, "Authorization": f"Bearer {token}"}

    def renew(self) -> bool:
        """After a 401: drop the cached token so the next request gets a new one; False when none was used."""
        if self.oauth2 is None:
            return False
        self.oauth2.forget()
        return True

    def scrub(self, text: str) -> str:
        """``text`` with every secret value (and every token obtained) replaced by REDACTED."""
        for secret in self.secrets + (self.oauth2.issued if self.oauth2 else []):
            text = text.replace(secret, REDACTED)
            encoded = quote(secret, safe="")
            if encoded != secret:
                text = text.replace(encoded, REDACTED)
        return text

    def scrub_error(self, error: HarvestError) -> HarvestError:
        """The same error with any secret in its message or URL replaced (defence in depth)."""
        message = self.scrub(error.message)
        url = self.scrub(error.url) if error.url else error.url
        if message == error.message and url == error.url:
            return error
        return HarvestError(error.reason, message, url=url, status=error.status)


class _OAuth2Client:
    """The client credentials grant (RFC 6749 4.4), the id and secret sent by HTTP Basic (2.3.1)."""

    def __init__(self, config: OAuth2, source: Source, environ: Mapping[str, str] | None):
        self.config = config
        self.source = source
        self.client_id = fill(config.client_id, what="auth.oauth2.client_id", source=source, environ=environ)
        self.client_secret = fill(
            config.client_secret, what="auth.oauth2.client_secret", source=source, environ=environ
        )
        self.key = (
            config.token_url,
            self.client_id,
            config.scope or "",
            hashlib.sha256(self.client_secret.encode("utf-8")).hexdigest(),
        )
        self.issued: list[str] = []

    def forget(self) -> None:
        with _tokens_lock:
            _tokens.pop(self.key, None)

    def token(self, policy: FetchPolicy, credentials: Credentials) -> str:
        with _tokens_lock:
            cached = _tokens.get(self.key)
        if cached is not None and cached[1] > time.monotonic():
            if cached[0] not in self.issued:
                self.issued.append(cached[0])
            return cached[0]
        token, lifetime = self._request(policy, credentials)
        self.issued.append(token)
        expires = time.monotonic() + (lifetime - min(EXPIRY_MARGIN_S, lifetime / 10) if lifetime else 3600.0)
        with _tokens_lock:
            _tokens[self.key] = (token, expires)
        return token

    def _request(self, policy: FetchPolicy, credentials: Credentials) -> tuple[str, float | None]:
        where = f"the token endpoint {redact(self.config.token_url)} of source {self.source.id!r} of agency {self.source.agency_id!r}"
        form = {"grant_type": "client_credentials"}
        if self.config.scope:
            form["scope"] = self.config.scope
        if self.config.audience:
            form["audience"] = self.config.audience
        basic = base64.b64encode(
            f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}".encode()
        ).decode()
        headers = {
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        try:
            answer = post(
                self.config.token_url,
                urlencode(form).encode("ascii"),
                policy=policy,
                headers=headers,
                raise_for_status=False,
            )
        except HarvestError as e:
            raise credentials.scrub_error(
                HarvestError(e.reason, f"{where}: {e.message}", url=e.url, status=e.status)
            ) from None
        try:
            body = parse_json(answer.body, what=f"the answer of {where}", url=answer.url, status=answer.status)
        except HarvestError:
            body = None
        if not 200 <= answer.status < 300:
            detail = ""
            if isinstance(body, dict) and isinstance(body.get("error"), str):
                detail = f": {body['error']}"
                if isinstance(body.get("error_description"), str):
                    detail += f" ({body['error_description'][:200]})"
            raise HarvestError(
                Reason.AUTH_FAILED,
                credentials.scrub(f"{where} refused the client credentials with HTTP {answer.status}{detail}"),
                url=answer.url,
                status=answer.status,
            )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or not token.isascii() or not token.isprintable():
            raise HarvestError(
                Reason.AUTH_FAILED,
                f"{where} answered without a usable access_token",
                url=answer.url,
                status=answer.status,
            )
        lifetime = body.get("expires_in")
        if isinstance(lifetime, str) and lifetime.isdigit():
            lifetime = int(lifetime)
        seconds = (
            float(lifetime)
            if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool) and lifetime > 0
            else None
        )
        return token, seconds
