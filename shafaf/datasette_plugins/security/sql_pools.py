"""Two pools of SQL threads: our pages never wait behind public SQL, and public SQL cannot queue without end.

Datasette runs every query on one pool of ``num_sql_threads`` threads. Ten
queries that each run to the time limit kept its three threads busy for
three seconds and more, and the home page, whose queries are a few
milliseconds, waited behind them (7 s measured). So:

* The handlers of our routes (pages, the CKAN API, feeds, catalogs,
  downloads: everything ``register_routes`` returns) run inside
  ``own_pages``, and ``ServedDatabase.execute_fn`` sends their queries to a
  small pool of their own (``OWN_SQL_THREADS``). Their SQL is ours: short,
  indexed, over precomputed tables.
* Everything else (Datasette's table, row, query, CSV-stream and JSON views:
  "public SQL") stays on Datasette's pool, and a new query is refused at
  once with ``ServerBusy`` (answered 503 with ``Retry-After``) when the
  queue is not draining: its oldest query has waited ``MAX_WAIT_S`` already,
  or ``MAX_WAITING`` queries wait. A queue of fast queries drains in
  milliseconds (twenty concurrent table pages are a burst of twenty
  queries, each a few ms: a bound of twelve refused some of them); a queue
  of queries that run to the time limit does not, and past two seconds
  nothing more joins it. So an admitted query waits at most about
  ``MAX_WAIT_S`` plus a time limit; and ``MAX_WAITING`` bounds the queue
  whatever the timing.

A query waits until a thread takes it, not until its request is gone: a
client that disconnects does not take its query out of a queue that is full.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import contextvars
import functools
import inspect
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from shafaf.core.errors import ServerBusy

OWN_SQL_THREADS = 2
MAX_WAIT_S = 2.0
MAX_WAITING = 64
RETRY_AFTER_S = 2

_in_own_pages: contextvars.ContextVar[bool] = contextvars.ContextVar("shafaf_own_pages", default=False)
_own_executor: concurrent.futures.ThreadPoolExecutor | None = None
_own_lock = threading.Lock()

T = TypeVar("T")


def own_pages(view: Callable[..., Any]) -> Callable[..., Any]:
    """``view`` (a route handler) with its queries on our pages' pool.

    ``functools.wraps`` keeps the signature Datasette reads to pass only the
    arguments the handler declares.
    """

    @functools.wraps(view)
    async def in_own_pool(*args: Any, **kwargs: Any) -> Any:
        token = _in_own_pages.set(True)
        try:
            result = view(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result
        finally:
            _in_own_pages.reset(token)

    return in_own_pool


def in_own_pages() -> bool:
    return _in_own_pages.get()


@contextlib.contextmanager
def public_sql() -> Iterator[None]:
    """Inside one of our routes, SQL the request wrote or shaped (CKAN's ``datastore_search_sql``): run it as
    public SQL, on Datasette's pool with its queue bound and the public limits, as ``?sql=`` would be."""
    token = _in_own_pages.set(False)
    try:
        yield
    finally:
        _in_own_pages.reset(token)


def own_executor() -> concurrent.futures.ThreadPoolExecutor:
    """The process's pool for our pages (one for every Datasette instance, so tests do not pile up threads)."""
    global _own_executor
    with _own_lock:
        if _own_executor is None:
            _own_executor = concurrent.futures.ThreadPoolExecutor(OWN_SQL_THREADS, thread_name_prefix="shafaf-pages")
        return _own_executor


class SqlPools:
    """Where one database's queries run: our pages' pool, or Datasette's pool while its queue drains."""

    def __init__(
        self,
        public: concurrent.futures.Executor,
        *,
        max_wait_s: float = MAX_WAIT_S,
        max_waiting: int = MAX_WAITING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.public = public
        self.max_wait_s = max_wait_s
        self.max_waiting = max_waiting
        self._clock = clock
        self._waiting: collections.OrderedDict[int, float] = collections.OrderedDict()  # id -> when queued
        self._lock = threading.Lock()
        self._ids = itertools.count()

    @property
    def waiting(self) -> int:
        """Public queries queued and not yet started."""
        return len(self._waiting)

    async def run(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        if in_own_pages():
            return await loop.run_in_executor(own_executor(), fn)
        with self._lock:
            now = self._clock()
            oldest = next(iter(self._waiting.values()), now)
            if len(self._waiting) >= self.max_waiting or now - oldest >= self.max_wait_s:
                raise ServerBusy(
                    f"the server is busy with other SQL queries ({len(self._waiting)} waiting, the "
                    f"oldest for {now - oldest:.1f} s); try again in {RETRY_AFTER_S} seconds",
                    retry_after=RETRY_AFTER_S,
                )
            query = next(self._ids)
            self._waiting[query] = now

        def started() -> T:
            self._started(query)
            return fn()

        future = self.public.submit(started)
        future.add_done_callback(lambda _: self._started(query))  # also when it was cancelled before it ran
        return await asyncio.wrap_future(future, loop=loop)

    def _started(self, query: int) -> None:
        with self._lock:
            self._waiting.pop(query, None)
