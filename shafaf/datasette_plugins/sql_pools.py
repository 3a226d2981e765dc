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
  "public SQL") stays on Datasette's pool, with at most
  ``PUBLIC_SQL_WAITING`` queries waiting beyond the running ones. A query
  past that bound is refused at once with ``ServerBusy``, answered 503 with
  ``Retry-After``: every admitted query runs within the time limit, so one
  that is admitted waits at most ``PUBLIC_SQL_WAITING / num_sql_threads``
  time limits (4 s with the settings of ``serve.SETTINGS``).

A query counts until its thread has finished it, not until its request is
gone: a client that disconnects does not free a thread that is still busy.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import ServerBusy

OWN_SQL_THREADS = 2
PUBLIC_SQL_WAITING = 12
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


def own_executor() -> concurrent.futures.ThreadPoolExecutor:
    """The process's pool for our pages (one for every Datasette instance, so tests do not pile up threads)."""
    global _own_executor
    with _own_lock:
        if _own_executor is None:
            _own_executor = concurrent.futures.ThreadPoolExecutor(OWN_SQL_THREADS, thread_name_prefix="shafaf-pages")
        return _own_executor


class SqlPools:
    """Where one database's queries run: our pages' pool, or Datasette's pool with a bound on waiting queries."""

    def __init__(self, public: concurrent.futures.Executor, *, public_threads: int,
                 waiting: int = PUBLIC_SQL_WAITING) -> None:
        self.public = public
        self.bound = public_threads + waiting
        self._admitted = 0
        self._lock = threading.Lock()

    @property
    def admitted(self) -> int:
        """Public queries running or waiting."""
        return self._admitted

    async def run(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        if in_own_pages():
            return await loop.run_in_executor(own_executor(), fn)
        with self._lock:
            if self._admitted >= self.bound:
                raise ServerBusy(f"the server is busy with other SQL queries ({self._admitted} running or waiting); "
                                 f"try again in {RETRY_AFTER_S} seconds", retry_after=RETRY_AFTER_S)
            self._admitted += 1
        try:
            future = self.public.submit(fn)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future, loop=loop)

    def _release(self, _: concurrent.futures.Future[Any] | None) -> None:
        with self._lock:
            self._admitted -= 1
