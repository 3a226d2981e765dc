"""Copying bytes between open files by the kernel, never through Python's buffers.

A one-agency publish copies what it did not change: the served database
version (``publish.dbfile``) and the unchanged agencies' parts into the
table downloads (``publish.export_parts``). ``os.copy_file_range`` moves
those bytes inside the kernel (a reflink where the file system has them);
where it is refused (another file system, an old kernel, a special file) the
copy falls back to a plain read and write loop.
"""

from __future__ import annotations

import errno
import mmap
import os
from typing import Any

# Refusals, not failures: another file system, no syscall, a pipe or special file, a file opened for appending
# (EBADF; a descriptor that is really bad fails again in the fallback's read or write).
FALLBACK = (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF)
CHUNK = 1 << 20


def copy_fd(src: int, dst: int, length: int) -> int:
    """``length`` bytes from ``src``'s position to ``dst``'s position (both advance); returns the bytes copied.

    Stops short only at the end of ``src``.
    """
    done = 0
    try:
        while done < length:
            copied = os.copy_file_range(src, dst, length - done)
            if copied == 0:
                return done
            done += copied
        return done
    except OSError as e:
        if e.errno not in FALLBACK:
            raise
    while done < length:
        chunk = os.read(src, min(CHUNK, length - done))
        if not chunk:
            break
        _write_all(dst, chunk)
        done += len(chunk)
    return done


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def hash_into(fd: int, digest: Any, length: int) -> None:
    """Feed the first ``length`` bytes of the file open at ``fd`` to ``digest``, mapped rather than read."""
    if length <= 0:
        return
    with mmap.mmap(fd, length, access=mmap.ACCESS_READ) as mapped:
        digest.update(mapped)
