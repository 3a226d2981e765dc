"""One hop with retries, and the name of each way it can fail.

Retries (connection errors, timeouts before the headers, 429, 5xx) use
exponential backoff with full jitter, or Retry-After capped by
``retry_after_cap_s``; a wait that would not end before the deadline is not
taken. A failure's message never carries a header value. Split from fetch.py
(issue 23).
"""

from __future__ import annotations

import email.utils
import random
import ssl
import time
from datetime import UTC, datetime

import httpx

from shafaf.config.registry import redact_url as redact
from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason
from shafaf.harvest.net import netguard
from shafaf.harvest.net.policy import Clock, FetchPolicy


def send(
    transport: httpx.HTTPTransport,
    url: httpx.URL,
    headers: httpx.Headers,
    policy: FetchPolicy,
    clock: Clock,
    *,
    method: str = "GET",
    content: bytes | None = None,
) -> httpx.Response:
    """One hop with retries; returns the open response (possibly a 429/5xx once retries are spent)."""
    attempt = 0
    while True:
        if clock.left() <= 0:
            raise deadline_error(url, clock)
        request = httpx.Request(
            method, url, headers=headers, content=content, extensions={"timeout": clock.timeout(policy).as_dict()}
        )
        try:
            response = transport.handle_request(request)
            response.request = request
        except netguard.DestinationBlocked as e:
            raise HarvestError(
                Reason.DESTINATION_BLOCKED, f"{redact(str(url))} was not fetched: {e}", url=redact(str(url))
            ) from e
        except netguard.DeadlineReached as e:
            raise deadline_error(url, clock) from e
        except httpx.TransportError as e:
            failure = transport_failure(e, url, clock, attempt)
            if failure.reason in (Reason.TIMEOUT, Reason.CONNECTION_ERROR) and pause(policy, clock, attempt, None):
                attempt += 1
                continue
            raise failure from e
        status = response.status_code
        if (status == 429 or status >= 500) and attempt < policy.retries:
            if pause(policy, clock, attempt, response.headers.get("retry-after")):
                response.close()
                attempt += 1
                continue
        return response


def pause(policy: FetchPolicy, clock: Clock, attempt: int, retry_after: str | None) -> bool:
    """Sleep before the next attempt; False when no attempt is left or it could not finish in time."""
    if attempt >= policy.retries:
        return False
    asked = _retry_after_seconds(retry_after)
    if asked is not None:
        delay = min(asked, policy.retry_after_cap_s)
    else:
        delay = random.uniform(0, policy.backoff_s * 2**attempt)  # full jitter
    if delay >= clock.left() - 0.05:
        return False
    time.sleep(delay)
    return True


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def deadline_error(url: httpx.URL, clock: Clock) -> HarvestError:
    return HarvestError(
        Reason.DEADLINE_EXCEEDED,
        f"{redact(str(url))} did not finish within {clock.seconds:g} s (the portal's fetch_deadline_s); gave up",
        url=redact(str(url)),
    )


def transport_failure(e: httpx.TransportError, url: httpx.URL, clock: Clock, attempt: int) -> HarvestError:
    """Name a failure before the response headers arrived; messages never carry header values."""
    shown = redact(str(url))
    tries = f" after {attempt + 1} attempts" if attempt else ""
    tls = _tls_cause(e)
    if tls is not None:
        detail = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or type(tls).__name__
        return HarvestError(Reason.TLS_ERROR, f"the TLS connection to {shown} failed: {detail}", url=shown)
    if isinstance(e, httpx.TimeoutException):
        if clock.left() <= 0:
            return deadline_error(url, clock)
        return HarvestError(Reason.TIMEOUT, f"{shown} did not answer in time{tries}", url=shown)
    if isinstance(e, httpx.UnsupportedProtocol):
        return HarvestError(Reason.SCHEME_BLOCKED, f"{shown} could not be requested ({type(e).__name__})", url=shown)
    if isinstance(e, httpx.LocalProtocolError):
        return HarvestError(
            Reason.INTERNAL, f"the request for {shown} could not be sent ({type(e).__name__})", url=shown
        )
    if isinstance(e, httpx.RemoteProtocolError):
        return HarvestError(
            Reason.CONNECTION_ERROR, f"{shown} closed the connection or answered garbage{tries}", url=shown
        )
    cause = _root_os_error(e)
    detail = cause.strerror if cause is not None and cause.strerror else type(e).__name__
    return HarvestError(Reason.CONNECTION_ERROR, f"could not connect to {shown}{tries}: {detail}", url=shown)


def _tls_cause(e: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _root_os_error(e: BaseException) -> OSError | None:
    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
