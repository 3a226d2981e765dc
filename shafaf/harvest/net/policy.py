"""What one fetch may do: its limits (``FetchPolicy``), what the last fetch saw (``Validators``), its clock.

Split from fetch.py (issue 23) so that the harvesters, the transport and the
body reader share one definition of the limits without importing each other.
"""

from __future__ import annotations

import dataclasses
import time

import httpx

from shafaf.config.registry import Portal

MB = 1_000_000


@dataclasses.dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch; made from the portal's settings."""

    deadline_s: float = 120.0  # total wall-clock per fetch, retries and redirects included
    max_bytes: int = 200 * MB  # decoded (after decompression) bytes
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    retries: int = 3  # extra attempts on connection errors, 429 and 5xx
    backoff_s: float = 0.5  # base of the exponential backoff, with full jitter
    retry_after_cap_s: float = 30.0
    max_redirects: int = 5
    allow_private_networks: bool = False  # link-local (169.254/16, fe80::/10) stays refused even when True
    allowed_schemes: tuple[str, ...] = ("https", "http")
    ca_bundle: str | None = (
        None  # a reviewed per-agency CA file; None means the certifi bundle. Never "no verification".
    )
    # A client certificate (mutual TLS, service buses): the paths come from the environment at run time
    # (``auth.client_tls``); the key's password is only ever in memory.
    client_cert: str | None = None
    client_key: str | None = None
    client_key_password: str | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def from_portal(cls, portal: Portal) -> FetchPolicy:
        return cls(
            deadline_s=portal.fetch_deadline_s,
            max_bytes=portal.fetch_max_bytes,
            connect_timeout_s=portal.fetch_connect_timeout_s,
            read_timeout_s=portal.fetch_read_timeout_s,
            retries=portal.fetch_retries,
            allow_private_networks=portal.allow_private_networks,
        )


@dataclasses.dataclass(frozen=True)
class Validators:
    """What the last successful fetch of a URL answered, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None


class Clock:
    """The fetch's total deadline, on the monotonic clock."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def timeout(self, policy: FetchPolicy) -> httpx.Timeout:
        left = max(self.left(), 0.001)
        read = min(policy.read_timeout_s, left)
        return httpx.Timeout(connect=min(policy.connect_timeout_s, left), read=read, write=read, pool=read)
