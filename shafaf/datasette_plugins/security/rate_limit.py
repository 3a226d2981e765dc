"""Per-client limits on the web process's costly or guessable forms: file checks and token sign-ins.

A sliding window per key (the client's address, or an agency), held in
memory: the forms it guards cost a child process or a guess at a secret,
and one process serves the portal. A proxy in front of the portal must pass
the client's address to Datasette (``--forwarded-allow-ips`` of uvicorn) or
every client shares one window; docs/operations.md says so.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import threading
import time
from typing import Any


@dataclasses.dataclass
class Window:
    """At most ``limit`` events per ``seconds`` per key."""

    limit: int
    seconds: float
    _events: dict[str, collections.deque[float]] = dataclasses.field(default_factory=dict)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def retry_after(self, key: str, *, now: float | None = None) -> int:
        """0 when ``key`` may go on (and the event is counted), else the seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.setdefault(key, collections.deque())
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) >= self.limit:
                return max(1, math.ceil(events[0] + self.seconds - now))
            events.append(now)
            if len(self._events) > 10_000:  # forget idle clients rather than grow without bound
                for stale in [k for k, v in self._events.items() if not v or v[-1] <= now - self.seconds]:
                    del self._events[stale]
            return 0

    def clear(self) -> None:
        with self._lock:
            self._events.clear()


def client_key(scope: dict[str, Any]) -> str:
    """The client's address as the server saw it (a proxy must forward it; see the module docstring)."""
    client = scope.get("client") or ("unknown", 0)
    return str(client[0])
