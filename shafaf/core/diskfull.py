"""Is a failed write the portal's full disk? One answer for harvest and publish (docs/reliability.md P2).

A full disk is never the agency's fault, and must not be recorded as if
their file were unreadable. It shows as ``ENOSPC`` (no space), ``EDQUOT``
(a quota) or ``EFBIG`` (a file size limit, ``RLIMIT_FSIZE``), raised by
our own writes or wrapped by a library (frictionless, csv, zipfile) in its
own exception, so the whole cause chain is searched. SQLite says less: a
write refused outright is ``SQLITE_IOERR_WRITE`` ("disk I/O error") and
only a short write is ``SQLITE_FULL``; so an I/O error counts as a full
disk when there is no room (``no_room``). ``publish.as_publish_error``
asks the same question (``is_disk_full(e, folder)``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from shafaf.core.errors import HarvestError, StageError
from shafaf.core.models import Reason

FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
ROOM_MARGIN = 64 * 1024 * 1024  # less free space than this where a write failed: the disk is (nearly) full
MAX_CHAIN = 20  # causes followed; a loop of causes is not followed forever


def is_disk_full(e: BaseException, folder: Path | None = None) -> bool:
    """Whether ``e`` (or an exception it was raised from) is a write that found no room."""
    seen = 0
    cause: BaseException | None = e
    while cause is not None and seen < MAX_CHAIN:
        if getattr(cause, "errno", None) in FULL_ERRNOS:
            return True
        if isinstance(cause, sqlite3.Error):
            name = getattr(cause, "sqlite_errorname", "") or ""
            if name == "SQLITE_FULL" or "full" in str(cause).lower():
                return True
            if name.startswith("SQLITE_IOERR") and no_room(folder):
                return True
        seen += 1
        cause = cause.__cause__ or cause.__context__
    return False


def no_room(folder: Path | None, margin: int = ROOM_MARGIN) -> bool:
    """Little free space where ``folder`` lives, or a file size limit on this process."""
    if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
        return True
    try:
        stats = os.statvfs(folder or ".")
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < margin


def describe(e: BaseException) -> str:
    """The system's own words for the failure, for the end of a message: ``OSError: [Errno 28] No space left on device``."""
    cause: BaseException | None = e
    for _ in range(MAX_CHAIN):
        if cause is None:
            break
        if getattr(cause, "errno", None) in FULL_ERRNOS or isinstance(cause, sqlite3.Error):
            return f"{type(cause).__name__}: {cause}"
        cause = cause.__cause__ or cause.__context__
    return f"{type(e).__name__}: {e}"


def harvest_message(doing: str, e: BaseException) -> str:
    """What a harvest run records when the portal's disk filled up while it was ``doing`` something."""
    return (
        f"the portal's disk is full: no room while {doing} ({describe(e)}). This is not a problem of the "
        f"agency's file: the operator must free space on the portal's data disk; the partial capture was "
        f"removed and the last good data stays staged and published"
    )


@contextlib.contextmanager
def harvest_guard(
    doing: str,
    folder: Path,
    *,
    error: type[HarvestError] | type[StageError] = HarvestError,
    cleanup: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Turn a full disk while ``doing`` a harvest step into ``error(DISK_FULL)``, after ``cleanup``; else re-raise."""
    try:
        yield
    except (OSError, sqlite3.Error) as e:
        if not is_disk_full(e, folder):
            raise
        if cleanup is not None:
            with contextlib.suppress(OSError):
                cleanup()
        raise error(Reason.DISK_FULL, harvest_message(doing, e)) from e
