"""A real HTTP server on 127.0.0.1 that misbehaves on purpose.

Each path is given a *behaviour*: a function that receives the accepted
socket and the parsed request and writes whatever bytes it likes (or none),
so a test can reproduce a hang, a slow drip, a truncated body or a redirect
loop exactly as a broken server would. Plain sockets, not http.server, so no
framework tidies the faults away.

    def test_x(fault_server):
        fault_server.add("/a.csv", respond(200, b"id\\n1\\n", {"Content-Type": "text/csv"}))
        fault_server.add("/flaky", sequence(respond(503, b""), respond(200, b"ok")))
        url = fault_server.url("/a.csv")
        ...
        assert fault_server.requests[0].path == "/a.csv"
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
import struct
import textwrap
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

REASONS = {
    200: "OK",
    206: "Partial Content",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclasses.dataclass
class Request:
    method: str
    target: str  # path with query, as sent
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes


Behaviour = Callable[[socket.socket, Request], None]


def send_head(conn: socket.socket, status: int, headers: Mapping[str, str] | None = None) -> None:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def respond(status: int = 200, body: bytes | str = b"", headers: Mapping[str, str] | None = None) -> Behaviour:
    """A well-formed response with Content-Length (unless the headers say chunked)."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def behaviour(conn: socket.socket, request: Request) -> None:
        head = {"Content-Length": str(len(data)), "Connection": "close", **(headers or {})}
        send_head(conn, status, head)
        if request.method != "HEAD":
            conn.sendall(data)

    return behaviour


def sequence(*behaviours: Behaviour) -> Behaviour:
    """Successive requests get successive behaviours; the last one repeats."""
    lock = threading.Lock()
    calls = iter(range(10**9))

    def behaviour(conn: socket.socket, request: Request) -> None:
        with lock:
            n = next(calls)
        behaviours[min(n, len(behaviours) - 1)](conn, request)

    return behaviour


def redirect(location: str, status: int = 302) -> Behaviour:
    return respond(status, b"", {"Location": location})


def hang(seconds: float = 3600) -> Behaviour:
    """Accept the connection and never answer (until the server stops)."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        wait_while_open(conn, seconds)

    return behaviour


def drip(every: float = 0.2, byte: bytes = b"x", headers: Mapping[str, str] | None = None) -> Behaviour:
    """Slowloris: headers at once, then one byte every ``every`` seconds, forever (no Content-Length)."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        send_head(conn, 200, {"Connection": "close", **(headers or {})})
        while wait_while_open(conn, every):
            conn.sendall(byte)

    return behaviour


def truncated(announced: int = 10_000, sent: int = 5_000, headers: Mapping[str, str] | None = None) -> Behaviour:
    """Content-Length says ``announced`` bytes; ``sent`` arrive, then the connection closes."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        send_head(conn, 200, {"Content-Length": str(announced), "Connection": "close", **(headers or {})})
        conn.sendall(b"a" * sent)

    return behaviour


def chunked_unterminated(
    chunks: Iterable[bytes] = (b"id,name\n", b"1,a\n"), headers: Mapping[str, str] | None = None
) -> Behaviour:
    """A chunked body whose final 0-chunk never comes: the connection just closes."""
    parts = list(chunks)

    def behaviour(conn: socket.socket, request: Request) -> None:
        send_head(conn, 200, {"Transfer-Encoding": "chunked", "Connection": "close", **(headers or {})})
        for part in parts:
            conn.sendall(b"%x\r\n%s\r\n" % (len(part), part))

    return behaviour


def stream(
    make_chunks: Callable[[], Iterable[bytes]],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    chunked: bool = False,
) -> Behaviour:
    """A body produced lazily by a generator (never built in memory), delimited by close or chunked."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        head = {"Connection": "close", **(headers or {})}
        if chunked:
            head["Transfer-Encoding"] = "chunked"
        send_head(conn, status, head)
        for part in make_chunks():
            if not part:
                continue
            conn.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
        if chunked:
            conn.sendall(b"0\r\n\r\n")

    return behaviour


def endless(block: bytes = b"0" * 65536) -> Callable[[], Iterator[bytes]]:
    """Chunks for ``stream``: the same block forever."""

    def chunks() -> Iterator[bytes]:
        while True:
            yield block

    return chunks


def gzip_bomb(decoded_mb: int = 1024) -> Callable[[], Iterator[bytes]]:
    """Chunks for ``stream``: one gzip member of ``decoded_mb`` MB of zeros, about 1 KB per MB.

    After a full flush the deflate state is reset, so every further MB of zeros
    compresses to the same bytes: we compress two MB once and repeat the second.
    """
    mb = 1 << 20
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = c.compress(b"\0" * mb) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(b"\0" * mb) + c.flush(zlib.Z_FULL_FLUSH)

    def chunks() -> Iterator[bytes]:
        yield first
        for _ in range(decoded_mb - 1):
            yield again
        crc = 0
        zeros = b"\0" * mb
        for _ in range(decoded_mb):
            crc = zlib.crc32(zeros, crc)
        yield b"\x03\x00" + struct.pack("<II", crc, (decoded_mb * mb) & 0xFFFFFFFF)  # final empty block + trailer

    return chunks


class FaultServer:
    """A threaded server on 127.0.0.1 dispatching each path to its behaviour."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None, url_host: str | None = None
    ) -> None:
        """``tls``: serve HTTPS with this server context; ``url_host``: the name put in ``url()`` (e.g. localhost)."""
        self.routes: dict[str, Behaviour] = {}
        self.requests: list[Request] = []
        self.accepted = 0  # TCP connections accepted, whether or not a request followed
        self.tls = tls
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(128)
        self.port = self._sock.getsockname()[1]
        self.base_url = f"{'https' if tls else 'http'}://{url_host or host}:{self.port}"
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, behaviour: Behaviour) -> str:
        """Serve ``path`` (without query) with ``behaviour``; returns its URL."""
        self.routes[path] = behaviour
        return self.url(path)

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def close(self) -> None:
        self._sock.close()
        with self._lock:
            for conn in list(self._conns):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()

    # -- internals

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self._conns.add(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                raw = conn
                conn.settimeout(10)
                conn = self.tls.wrap_socket(conn, server_side=True)  # a refused handshake raises SSLError (an OSError)
                with self._lock:
                    self._conns.discard(raw)
                    self._conns.add(conn)
            request = _read_request(conn)
            if request is None:
                return
            self.requests.append(request)
            behaviour = self.routes.get(request.path) or respond(404, b"not found", {"Content-Type": "text/plain"})
            behaviour(conn, request)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass


def wait_while_open(conn: socket.socket, seconds: float) -> bool:
    """Sleep up to ``seconds``; return False early when the client or the server closed the connection."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        conn.settimeout(min(0.05, max(end - time.monotonic(), 0.001)))
        try:
            if conn.recv(1024) == b"":
                return False
        except (TimeoutError, BlockingIOError):
            continue
        except OSError:
            return False
    conn.settimeout(None)
    return True


def _read_request(conn: socket.socket) -> Request | None:
    conn.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    conn.settimeout(None)
    parts = urlsplit(target)
    return Request(
        method, target, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)), headers, rest[:length]
    )


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer()
    try:
        yield server
    finally:
        server.close()


def http_registry(
    root: Path,
    base_url: str,
    *,
    agencies: Iterable[str],
    portal: Mapping[str, object],
    schedule: str | None = None,
    extra: str = "",
) -> Path:
    """A registry of agencies whose one source (services) is ``<base_url>/<agency>.csv`` on this server.

    ``portal`` are the portal settings (written as YAML scalars); ``extra``
    more portal lines as written; ``schedule`` a YAML value for every source.
    """
    when = f"\n    schedule: {schedule}" if schedule is not None else ""
    items = "".join(
        f"- id: {a}\n  name_fa: سازمان {a}\n  name_en: Agency {a}\n  sources:\n"
        f"  - dataset: services\n    kind: http\n    url: {base_url}/{a}.csv{when}\n"
        for a in agencies
    )
    settings = "".join(
        f"  {key}: {str(value).lower() if isinstance(value, bool) else value}\n" for key, value in portal.items()
    )
    root.mkdir(parents=True, exist_ok=True)
    path = root / "agencies.yml"
    path.write_text(
        "portal:\n" + settings + textwrap.indent(extra, "  ") + "agencies:\n" + textwrap.indent(items, "  "),
        encoding="utf-8",
    )
    return path
