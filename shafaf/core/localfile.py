"""Paths on this machine that a person gave us, checked before anything opens them.

A registry's ``path:``, the argument of ``shafaf validate``, a file named by
a local data package: nobody checked them, and pathlib's answers are not
enough. ``Path.resolve()`` raises ``RuntimeError`` on a symbolic link loop
(a traceback in every command that loads the registry); ``is_file()``
raises on a 5,000-character path and says False for everything from a
dangling link to a FIFO, which the harvest then reported as "does not
exist"; opening a FIFO waits for a writer forever, and ``/dev/zero`` copied
7.7 GB into ``var/raw`` in 25 s.

So here, and nowhere else:

* ``resolve`` makes a path absolute and never raises (a loop stays
  unresolved: checking it names the loop);
* ``problem`` says, without opening or blocking (``stat``/``lstat`` only),
  why a path cannot be read as a regular file, naming what it is: missing,
  a dangling link, a link loop, a path through a file, permission denied,
  a NUL byte, too long, a folder, a FIFO, a device, a socket;
* ``open_regular`` opens with ``O_NONBLOCK`` and checks the opened file
  itself (``fstat``), so a path swapped for a FIFO after the check cannot
  hang; ``copy_capped`` copies within the portal's byte cap and deadline.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import stat
import time
from pathlib import Path
from typing import BinaryIO

from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason

CHUNK = 1 << 20
PATH_MAX = 4096  # Linux: the longest path the kernel accepts, in bytes, with its final NUL
MAX_LINKS = 40  # the kernel's own limit on links followed in one lookup (ELOOP)
SHOWN = 120  # characters of a path shown in a message


@dataclasses.dataclass(frozen=True)
class PathProblem:
    """Why a path cannot be read as a file: a reason for the run record and a sentence naming what it is."""

    reason: Reason
    message: str


def shown(path: str | Path) -> str:
    """A path as a message quotes it: repr (NUL and control bytes visible), long ones cut in the middle."""
    text = repr(str(path))
    return (
        text if len(text) <= SHOWN else f"{text[: SHOWN // 2]}...{text[-SHOWN // 2 :]} ({len(str(path)):,} characters)"
    )


def resolve(base: Path, raw: str) -> Path:
    """``raw`` made absolute against ``base`` and resolved where it can be; never raises.

    A loop, a dangling link, a NUL byte or an over-long name is only made
    absolute, and ``problem`` says what is wrong with it.
    """
    path = Path(raw) if os.path.isabs(raw) else base / raw
    try:
        resolved = path.resolve()
        if resolved.exists():
            return resolved
    except (RuntimeError, OSError, ValueError):
        pass
    return Path(os.path.abspath(path))  # a dangling link stays a link: the message names where it points


def what_is(mode: int) -> str | None:
    """What a non-regular file is, in words that say why it is not read; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe): reading it waits for a writer, possibly forever"
    if stat.S_ISCHR(mode):
        return "a character device (like /dev/zero): it may never end"
    if stat.S_ISBLK(mode):
        return "a block device (a disk)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def problem(path: Path, *, folder_ok: bool = False) -> PathProblem | None:
    """None when ``path`` is a regular file we may read (or a folder, if ``folder_ok``); else why not."""
    text = str(path)
    if "\x00" in text:
        return PathProblem(Reason.UNREADABLE, f"the path {shown(path)} holds a NUL byte, which no file name can")
    if len(os.fsencode(text)) >= PATH_MAX:
        return PathProblem(
            Reason.UNREADABLE, f"the path {shown(path)} is longer than the system's limit of {PATH_MAX - 1:,} bytes"
        )
    try:
        st = os.stat(path)
    except OSError as e:
        return _stat_failure(path, e)
    kind = what_is(st.st_mode)
    if kind is not None and not (folder_ok and stat.S_ISDIR(st.st_mode)):
        return PathProblem(Reason.UNREADABLE, f"{shown(path)} is {kind}")
    if not os.access(path, os.R_OK | (os.X_OK if stat.S_ISDIR(st.st_mode) else 0)):
        return _denied(path)
    return None


def is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder we may list; never raises (a bad path is simply not a folder)."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _stat_failure(path: Path, e: OSError) -> PathProblem:
    if e.errno == errno.ENOENT:
        link = _dangling(path)
        if link is not None:
            return PathProblem(
                Reason.NOT_FOUND, f"{shown(path)} is a symbolic link to {shown(link)}, which does not exist"
            )
        return PathProblem(Reason.NOT_FOUND, f"{shown(path)} does not exist")
    if e.errno == errno.ELOOP:
        return PathProblem(
            Reason.UNREADABLE, f"{shown(path)} is a symbolic link loop ({_chain(path)}): it never reaches a file"
        )
    if e.errno == errno.ENOTDIR:
        through = _file_on_the_way(path)
        where = f": {shown(through)} is a file, not a folder" if through else ""
        return PathProblem(Reason.NOT_FOUND, f"{shown(path)} goes through a file{where}")
    if e.errno in (errno.EACCES, errno.EPERM):
        return _denied(path)
    if e.errno == errno.ENAMETOOLONG:
        return PathProblem(
            Reason.UNREADABLE,
            f"the path {shown(path)} has a name longer than the system allows "
            f"(255 bytes a name, {PATH_MAX - 1:,} in all)",
        )
    return PathProblem(Reason.UNREADABLE, f"{shown(path)} cannot be read: {e.strerror or e}")


def _denied(path: Path) -> PathProblem:
    return PathProblem(
        Reason.UNREADABLE,
        f"permission denied: {shown(path)} cannot be read by the user the portal runs as (uid {os.geteuid()})",
    )


def _dangling(path: Path) -> str | None:
    """Where a dangling symbolic link points, or None when ``path`` is no link."""
    try:
        return os.readlink(path) if stat.S_ISLNK(os.lstat(path).st_mode) else None
    except OSError:
        return None


def _chain(path: Path) -> str:
    """``a -> b -> a``: the links followed until one repeats (at most MAX_LINKS)."""
    seen: list[str] = []
    here = os.path.abspath(path)
    for _ in range(MAX_LINKS):
        if here in seen:
            break
        seen.append(here)
        try:
            here = os.path.normpath(os.path.join(os.path.dirname(here), os.readlink(here)))
        except OSError:
            break  # a loop through a folder further up: the path itself is as far as we can show
    else:
        seen.append("...")
    names = [os.path.basename(p) or p for p in seen]
    if seen and seen[-1] != "..." and here in seen:
        names.append(os.path.basename(here))
    return " -> ".join(names)


def _file_on_the_way(path: Path) -> str | None:
    """The first part of ``path`` that exists and is not a folder."""
    for parent in reversed(Path(os.path.abspath(path)).parents):
        try:
            if not stat.S_ISDIR(os.stat(parent).st_mode):
                return str(parent)
        except OSError:
            return None
    return None


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading without ever blocking; HarvestError (with the precise why) otherwise."""
    found = problem(path)
    if found is not None:
        raise HarvestError(found.reason, found.message)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        found = _stat_failure(path, e)
        raise HarvestError(found.reason, found.message) from None
    try:
        kind = what_is(os.fstat(fd).st_mode)  # what was opened, not what was checked: it may have been swapped
        if kind is not None:
            raise HarvestError(Reason.UNREADABLE, f"{shown(path)} is {kind}")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def copy_capped(reader: BinaryIO, target: Path, *, max_bytes: int, deadline_s: float, label: str) -> tuple[int, str]:
    """Copy ``reader`` into ``target`` within ``max_bytes`` and ``deadline_s``; size and SHA-256 of what was written.

    ``target`` is removed again on any failure, so a refused or failed copy
    leaves no partial capture behind.
    """
    digest = hashlib.sha256()
    size = 0
    ends = time.monotonic() + deadline_s
    try:
        with target.open("wb") as out:
            while chunk := reader.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise HarvestError(
                        Reason.TOO_LARGE,
                        f"{label} is larger than {max_bytes:,} bytes (the portal's fetch_max_bytes); stopped reading",
                    )
                if time.monotonic() > ends:
                    raise HarvestError(
                        Reason.DEADLINE_EXCEEDED,
                        f"{label} was not read within {deadline_s:g} s (the portal's fetch_deadline_s); gave up",
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()
