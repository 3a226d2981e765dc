"""The kernel copy (``shafaf.core.filecopy``): what the database copy and the joined downloads rely on."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from shafaf.core.filecopy import copy_fd, hash_into


def _copy(src: Path, dst: Path, length: int) -> int:
    with open(src, "rb") as s, open(dst, "ab") as d:
        return copy_fd(s.fileno(), d.fileno(), length)


def test_copies_after_what_is_already_there(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    data = os.urandom(3 * (1 << 20) + 17)
    src.write_bytes(data)
    dst.write_bytes(b"header\r\n")
    assert _copy(src, dst, len(data)) == len(data)
    assert dst.read_bytes() == b"header\r\n" + data


def test_stops_short_at_the_end_of_the_source(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.write_bytes(b"abc")
    assert _copy(src, dst, 10) == 3
    assert dst.read_bytes() == b"abc"


def test_falls_back_where_the_kernel_refuses(tmp_path: Path) -> None:
    """A pipe is a source copy_file_range refuses (EINVAL): the same bytes arrive by read and write."""
    dst = tmp_path / "dst"
    data = os.urandom(50_000)
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, data)
        os.close(write_end)
        write_end = -1
        with open(dst, "wb") as d:
            assert copy_fd(read_end, d.fileno(), len(data)) == len(data)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    assert dst.read_bytes() == data


def test_hash_of_a_mapped_file_and_of_an_empty_one(tmp_path: Path) -> None:
    path = tmp_path / "part"
    for data in (b"", b"x", os.urandom(1 << 20)):
        path.write_bytes(data)
        digest = hashlib.sha256(b"prefix")
        with open(path, "rb") as f:
            hash_into(f.fileno(), digest, len(data))
        assert digest.hexdigest() == hashlib.sha256(b"prefix" + data).hexdigest()
