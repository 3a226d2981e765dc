"""A deadline for a request's headers, so idle or dripping connections cannot hold the server's sockets.

uvicorn (0.55) waits for a request's headers for ever: 3,000 connections that each
sent half a request line were all still open on the server after 8 s, each holding a
file descriptor, and its keep-alive timer is cancelled by any byte, so a drip of one
byte a second keeps a connection after its first response too. ``shafaf serve``
runs uvicorn with ``GuardedH11Protocol``: from the moment a connection opens, and
again after each response, the next request's headers must be complete within
``HEADER_DEADLINE_S``, or the connection is answered 408 and closed (nginx's
``client_header_timeout`` does the same; deploy/nginx.conf sets it for replicas).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_DEADLINE_S = 10.0  # a phone on a poor network sends its headers in well under a second
_TIMEOUT_ANSWER = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose next request's headers are late."""

    header_deadline_s = HEADER_DEADLINE_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(waiting_after=None)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not self._waiting_after:  # a new request's headers are complete: its cycle began
            self._disarm()

    def on_response_complete(self) -> None:
        finished = self.cycle
        super().on_response_complete()
        if self.cycle is finished and not self.transport.is_closing():  # no pipelined request took over
            self._arm(waiting_after=finished)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, *, waiting_after: Any) -> None:
        self._disarm()
        self._waiting_after = waiting_after
        self._header_timer: asyncio.TimerHandle | None = self.loop.call_later(self.header_deadline_s, self._late)

    def _disarm(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
        self._header_timer = None
        self._waiting_after = self.cycle

    def _late(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.write(_TIMEOUT_ANSWER)
            self.transport.close()
