"""The one exception hierarchy of Shafaf.

Every failure a user can cause is one of these, carrying what a person needs
to act on it; the command line turns them into a message and a non-zero exit,
never a traceback::

    ShafafError
     ├── RegistryError        agencies.yml is missing, malformed or inconsistent
     ├── UsageError           a command was asked for something that cannot be
     │    └── ScheduleError   a schedule rule is not valid (registry, CLI or the agency API)
     ├── RateLimited          an agency asked for more harvests than the portal allows per hour
     ├── HarvestError         a source could not be captured (carries a Reason)
     ├── StageError           a captured file could not be read, mapped or validated
     ├── PeriodError          a period or date in a file cannot be read without guessing (normalize/periods.py);
     │                        also a ValueError: the row is refused, the file goes on
     ├── PublishError         an agency's package could not be written to shafaf.db
     ├── ExportError          the downloads could not be written; the previous ones stay served (publish/exports.py)
     ├── ActionError          a CKAN API request CKAN would refuse: answered with its status and error
     │                        envelope (datasette_plugins/ckan/)
     ├── ServerBusy           public SQL is queued to its bound: answered 503 with Retry-After
     ├── RequestTooLarge      a request body past the serving bound: answered 413 (security/request_body.py)
     └── BadQuery             public SQL the request made cannot run (datasette_plugins/sql_limits.py);
          │                   also a sqlite3.OperationalError, so Datasette's views answer it with 400
          └── QueryTooLarge   a query passed a serving limit
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shafaf.core.models import Reason


class ShafafError(Exception):
    """Base of every error Shafaf raises on purpose."""


class RegistryError(ShafafError):
    """The registry cannot be used; ``problems`` lists every problem found, with lines."""

    def __init__(self, path: str, problems: list[tuple[int | None, str]]):
        self.path = path
        self.problems = problems
        lines = [f"{path}:{line}: {msg}" if line else f"{path}: {msg}" for line, msg in problems]
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} in the registry:\n" + "\n".join(lines))


class UsageError(ShafafError):
    """A command was given something it cannot work with (an unknown agency, a bad path)."""


class ScheduleError(UsageError):
    """A schedule rule cannot be understood; the message says which part and what is allowed."""


class RateLimited(ShafafError):
    """Too many "harvest now" requests; ``retry_after`` is the seconds until the next one is allowed."""

    def __init__(self, message: str, *, retry_after: int):
        self.retry_after = retry_after
        super().__init__(message)


class _ReasonedError(ShafafError):
    def __init__(self, reason: Reason, message: str):
        self.reason = reason
        self.message = message
        super().__init__(message)


class HarvestError(_ReasonedError):
    """Capturing a source failed; ``reason`` says why in a machine-readable way.

    ``url`` is the address being fetched when it failed (redacted of
    credentials) and ``status`` the last HTTP status received, if any.
    """

    def __init__(self, reason: Reason, message: str, *, url: str | None = None, status: int | None = None):
        super().__init__(reason, message)
        self.url = url
        self.status = status


class StageError(_ReasonedError):
    """A captured file could not be turned into a staged resource at all."""


class PublishError(_ReasonedError):
    """Publishing one agency failed; its previously published rows are untouched."""


class PeriodError(ShafafError, ValueError):
    """The text is not a period (or date) that ``normalize.periods`` can read without guessing."""


class ExportError(ShafafError):
    """The downloads could not be written; the previous ones are still in place and served."""


class ActionError(ShafafError):
    """A request CKAN would refuse: its HTTP status and the ``error`` object of the envelope."""

    def __init__(self, status: int, error: dict[str, Any]):
        super().__init__(error)
        self.status = status
        self.error = error


class ServerBusy(ShafafError):
    """Too much public SQL is running or queued; ``retry_after`` is the seconds to wait (datasette_plugins/sql_pools.py)."""

    def __init__(self, message: str, *, retry_after: int):
        self.retry_after = retry_after
        super().__init__(message)


class RequestTooLarge(ShafafError):
    """A request's body passed the bound the server reads (datasette_plugins/security/request_body.py)."""


class BadQuery(ShafafError, sqlite3.OperationalError):
    """Public SQL that the request made cannot run: the client's fault, not the server's.

    An ``OperationalError`` so that Datasette 0.65's table, row and query
    views answer it as they answer bad SQL: 400 in their error shape.
    """


class QueryTooLarge(BadQuery):
    """A query's value, row, result, memory or one function call passed the serving limits."""
