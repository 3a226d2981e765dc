"""The TLS side of the transport: one verifying context per CA bundle and client certificate.

Never "no verification": a source trusts the certifi bundle or a reviewed
per-agency CA file (RELIABILITY H20). A service bus that asks for a client
certificate gets one whose paths came from the environment (``auth``). A
context is built once per (files, their modification times): loading a
bundle is slow, and a certificate renewed in place is picked up.
"""

from __future__ import annotations

import functools
import os
import ssl

import certifi
import httpcore
import httpx

from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason
from shafaf.harvest.net import netguard
from shafaf.harvest.net.policy import FetchPolicy


def transport(policy: FetchPolicy, backend: netguard.GuardedBackend) -> httpx.HTTPTransport:
    """An httpx transport whose connections all go through ``backend``; env proxies and netrc are ignored.

    We send through the transport, not httpx.Client: the client parses every
    redirect Location even when not following it (and raises on odd ones),
    while we want to check each hop ourselves.
    """
    context = tls_context(policy)
    made = httpx.HTTPTransport(verify=context, trust_env=False)
    # httpx 0.28 has no public way to choose the network backend (encode/httpx#3180), so we
    # swap the pool for one built with httpcore's public constructor. Fail closed if that
    # attribute ever changes: a silently unused guard would be worse than no fetch.
    if not isinstance(getattr(made, "_pool", None), httpcore.ConnectionPool):
        raise RuntimeError(
            "this httpx version keeps its connection pool elsewhere; the destination guard cannot be installed"
        )
    made._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=backend, max_connections=4)
    return made


def tls_context(policy: FetchPolicy) -> ssl.SSLContext:
    """The verifying context of ``policy``; an unreadable CA bundle or client certificate is ``tls_error``."""
    files = [f for f in (policy.ca_bundle, policy.client_cert, policy.client_key) if f]
    try:
        stamps = tuple(os.stat(f).st_mtime_ns for f in files)
    except OSError as e:
        raise HarvestError(Reason.TLS_ERROR, f"the TLS file {e.filename} cannot be read: {e.strerror}") from None
    try:
        return _context(policy.ca_bundle, policy.client_cert, policy.client_key, policy.client_key_password, stamps)
    except ssl.SSLError as e:
        what = "client certificate or key" if policy.client_cert else "CA bundle"
        raise HarvestError(
            Reason.TLS_ERROR, f"the {what} could not be loaded ({e.reason or type(e).__name__})"
        ) from None
    except OSError as e:
        raise HarvestError(Reason.TLS_ERROR, f"the TLS file {e.filename or ''} cannot be read: {e.strerror}") from None


@functools.lru_cache(maxsize=16)
def _context(
    ca_bundle: str | None, cert: str | None, key: str | None, password: str | None, stamps: tuple[int, ...]
) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_bundle or certifi.where())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert:
        context.load_cert_chain(cert, key, password=password or None)
    return context
