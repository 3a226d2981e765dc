"""Safe zip extraction: the only way Shafaf opens an archive it harvested.

A zip from a server we do not control can claim anything in its headers
(docs/reliability.md H7): a 42 KB file that expands to gigabytes, ten thousand
members, names like ``../../x`` or ``/etc/cron.d/x``, symlink entries that
point outside the folder. frictionless and ``ZipFile.extractall`` check none
of that. So before a single byte is written we check the whole table of
contents (member count, the sum of declared sizes, each member's compression
ratio, names, entry types), then extract with streamed copies that enforce
the same caps on the bytes actually produced, because headers can lie.
Every failure is ``HarvestError(Reason.ARCHIVE_REJECTED)`` naming the member,
and whatever was already written is removed.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason

CHUNK = 1 << 16
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or the end record of an empty archive
DRIVE = re.compile(r"^[A-Za-z]:")


@dataclasses.dataclass(frozen=True)
class ArchiveLimits:
    """Caps on one archive; ``max_bytes`` is the run's byte cap (``FetchPolicy.max_bytes``)."""

    max_bytes: int = 200_000_000  # sum of uncompressed member sizes
    max_members: int = 1000
    max_ratio: float = 200.0  # uncompressed / compressed, per member
    ratio_floor: int = 64 * 1024  # members smaller than this are too small for their ratio to matter


def is_zip(path: Path) -> bool:
    """Whether the file starts like a zip archive (by its bytes, not its name)."""
    with path.open("rb") as f:
        return f.read(4) in ZIP_MAGIC


def unsafe_member_name(name: str) -> str | None:
    """Why a member name cannot be written under the extraction folder, or None when it can."""
    if not name or name in (".", "/"):
        return "has an empty name"
    if "\x00" in name or any(ord(c) < 32 for c in name):
        return "has a control character in its name"
    if "\\" in name:
        return "has a backslash in its name"
    if DRIVE.match(name):
        return "names a drive"
    if name.startswith("/"):
        return "has an absolute name"
    if ".." in PurePosixPath(name).parts:
        return "climbs out of the folder with '..'"
    return None


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    """Why an entry is not a plain file or folder (symlinks, devices, encrypted data)."""
    mode = info.external_attr >> 16
    if mode and stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "is a symbolic link" if stat.S_ISLNK(mode) else "is not a regular file"
    if info.flag_bits & 0x1:
        return "is encrypted"
    return None


def check_zip(zf: zipfile.ZipFile, limits: ArchiveLimits, *, label: str = "archive") -> list[zipfile.ZipInfo]:
    """Check the table of contents against ``limits``; return the file members (folders left out)."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise _reject(f"{label} has {len(infos)} members; at most {limits.max_members} are accepted")
    total = 0
    seen: set[str] = set()
    files: list[zipfile.ZipInfo] = []
    for info in infos:
        name = info.filename
        why = unsafe_member_name(name) or _entry_problem(info)
        if why:
            raise _reject(f"{label} member {name!r} {why}")
        key = name.rstrip("/")
        if key in seen:
            raise _reject(f"{label} member {name!r} appears twice")
        seen.add(key)
        if info.is_dir():
            continue
        total += info.file_size
        if total > limits.max_bytes:
            raise _reject(
                f"{label} would expand to more than {limits.max_bytes:,} bytes "
                f"(member {name!r} declares {info.file_size:,})"
            )
        if info.file_size > limits.ratio_floor:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise _reject(
                    f"{label} member {name!r} expands {ratio:,.0f} times "
                    f"({info.compress_size:,} → {info.file_size:,} bytes); at most {limits.max_ratio:g} is accepted"
                )
        files.append(info)
    return files


def extract_zip(archive: Path, dest: Path, limits: ArchiveLimits, *, label: str | None = None) -> list[Path]:
    """Extract ``archive`` into the new folder ``dest`` after checking it; return the files written.

    ``dest`` must not exist yet: it is created here and removed again if the
    archive is rejected half-way, so a rejected archive leaves nothing behind.
    """
    label = label or archive.name
    dest.mkdir(parents=True)
    root = dest.resolve()
    try:
        try:
            zf = zipfile.ZipFile(archive)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as e:
            raise _reject(f"{label} is not a readable zip archive: {e}") from e
        with zf:
            members = check_zip(zf, limits, label=label)
            budget = limits.max_bytes
            written: list[Path] = []
            for info in members:
                target = (root / info.filename).resolve()
                if not target.is_relative_to(root) or target == root:
                    raise _reject(f"{label} member {info.filename!r} would be written outside the run folder")
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with zf.open(info) as reader:
                        budget -= _copy_capped(reader, target, info, budget, label)
                except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as e:
                    raise _reject(f"{label} member {info.filename!r} cannot be read: {e}") from e
                written.append(target)
            return written
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise


def _copy_capped(reader: BinaryIO, target: Path, info: zipfile.ZipInfo, budget: int, label: str) -> int:
    """Copy one member, stopping as soon as it exceeds its declared size or the archive's budget."""
    allowed = min(info.file_size, budget)
    size = 0
    with target.open("xb") as out:  # exclusive: never follows or overwrites an existing entry
        while chunk := reader.read(CHUNK):
            size += len(chunk)
            if size > allowed:
                what = "its declared size" if allowed == info.file_size else "the archive's byte cap"
                raise _reject(f"{label} member {info.filename!r} produced more bytes than {what} ({allowed:,})")
            out.write(chunk)
    return size


def _reject(message: str) -> HarvestError:
    return HarvestError(Reason.ARCHIVE_REJECTED, message)
