"""Where a harvester may connect: the address policy and the httpcore backend enforcing it.

The check runs inside the network backend, on the very address the socket
then connects to: we resolve the host ourselves, check every candidate and
connect to the checked IP. There is no second resolution, so there is no
DNS-rebinding window between "checked" and "connected", and every redirect
hop (each a new connection) is checked the same way. TLS still verifies the
certificate against the host name, because httpcore passes the URL's host to
``start_tls`` as server_hostname, not the IP we connected to.

The backend also clamps every connect, read and write to the fetch's total
deadline, which httpx's per-operation timeouts cannot express.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpcore

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

# Refused unless the portal allows private networks (tests, an intranet portal).
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "ff00::/8",
    )
)
# Refused always: the cloud metadata service (169.254.169.254) lives here.
LINK_LOCAL = tuple(ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fe80::/10"))
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class DestinationBlocked(Exception):
    """Raised from inside the backend; fetch turns it into ``destination_blocked``."""

    def __init__(self, host: str, address: str, why: str):
        self.host, self.address, self.why = host, address, why
        where = f"{address} is" if host == address else f"{host} resolves to {address},"
        super().__init__(f"{where} {why}")


class DeadlineReached(Exception):
    """The fetch's total deadline passed while connecting, reading or writing."""


def _embedded_v4(ip: IP) -> IP:
    """The IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4), else ``ip`` itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip.sixtofour:
            return ip.sixtofour
        if ip in NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):  # ::a.b.c.d (deprecated "compatible")
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def refusal(address: str, allow_private: bool) -> str | None:
    """Why connecting to ``address`` is refused, or None when it is allowed."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    for candidate in {ip, _embedded_v4(ip)}:
        if any(candidate in net for net in LINK_LOCAL):
            return "a link-local address, where cloud metadata services live"
        if allow_private:
            continue
        if any(candidate in net for net in PRIVATE_NETWORKS):
            return "a loopback, private, shared or multicast address"
        if not candidate.is_global:
            return "not a public internet address"
    return None


def resolve(host: str, port: int, timeout: float | None) -> list[tuple[Any, ...]]:
    """getaddrinfo with a timeout (it has none of its own), run in a daemon thread."""
    result: list[Any] = []

    def work() -> None:
        try:
            result.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as e:
            result.append(e)

    thread = threading.Thread(target=work, daemon=True, name=f"resolve {host}")
    thread.start()
    thread.join(timeout)
    if not result:
        raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout:.1f} s")
    if isinstance(result[0], OSError):
        raise httpcore.ConnectError(f"cannot resolve {host}: {result[0]}") from result[0]
    return result[0]


class _Deadline:
    def __init__(self, at: float):
        self.at = at

    def clamp(self, timeout: float | None) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise DeadlineReached()
        return left if timeout is None else min(timeout, left)


class GuardedStream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline):
        self._inner, self._deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return GuardedStream(
            self._inner.start_tls(ssl_context, server_hostname, self._deadline.clamp(timeout)), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """Resolves, checks and connects to the checked IP; one instance per fetch (it holds the deadline)."""

    def __init__(self, *, allow_private: bool, deadline_at: float):
        self.allow_private = allow_private
        self.deadline = _Deadline(deadline_at)
        self.connected: list[str] = []  # addresses actually connected to, for messages and tests

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        host = host.strip("[]")
        infos = resolve(host, port, self.deadline.clamp(timeout))
        # A name with any forbidden answer is refused outright, not only that answer:
        # a public host has no business resolving to our internal network.
        for info in infos:
            address = info[4][0]
            why = refusal(address, self.allow_private)
            if why:
                raise DestinationBlocked(host, address, why)
        last: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in dict.fromkeys(info[4][0] for info in infos):
            try:
                # A literal IP: the parent's create_connection does no DNS lookup of its own.
                stream = super().connect_tcp(address, port, self.deadline.clamp(timeout), local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                last = e
                continue
            self.connected.append(address)
            return GuardedStream(stream, self.deadline)
        raise last
