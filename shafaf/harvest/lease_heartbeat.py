"""The heartbeat of a run's lease: renewed while the run works, freed once it has its outcome (``state.leases``)."""

from __future__ import annotations

import sqlite3
import threading

from shafaf.state.store import StateStore


class Heartbeat:
    """Renews a run's lease every third of its length (monotonic waits) until the run ends, then frees it."""

    def __init__(self, state: StateStore, run_id: str, *, lease_s: float):
        self.state, self.run_id, self.lease_s = state, run_id, lease_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        try:
            self.state.release(self.run_id)  # only once the run has its outcome (StateStore.release)
        except sqlite3.Error:
            pass  # the lease lapses with this process, and the next opening of state.db aborts the run

    def _beat(self) -> None:
        while not self._done.wait(self.lease_s / 3):
            try:
                self.state.renew(self.run_id, lease_s=self.lease_s)
            except sqlite3.Error:
                pass  # a busy state.db: the next beat tries again, well inside the lease
