"""Checked registries kept by the hash of their bytes, so a national registry is checked once, not every command.

Reading a registry of 5,000 sources costs about a second (YAML, then the
pydantic models and every check); the scheduler, ``shafaf status`` and each
harvest read it again and again though it changes a few times a year. Like
Python's hash-based ``.pyc`` files, an entry is named by the SHA-256 of the
file's bytes together with a fingerprint of the code that checked it, so a
changed file or an upgraded (or edited) Shafaf is checked afresh. Only a file
that passed is kept, and only what its text says: the files it points at are
resolved and looked at on every read (``registry._placed``).

Entries live in ``$SHAFAF_CACHE_DIR``, else ``$XDG_CACHE_HOME/shafaf``, else
``~/.cache/shafaf`` (``SHAFAF_CACHE_DIR=off`` turns it off). A cache that
cannot be written, or an entry that cannot be read, costs only the check.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from shafaf.config import registry_codec
from shafaf.config.registry_models import Checked
from shafaf.core import durable

SMALLEST = 32_768  # bytes: a smaller registry is checked in a few milliseconds, faster than an entry is read
KEEP = 16  # entries: the oldest beyond these are removed when one is written
FORMAT = 1


def folder() -> Path | None:
    """Where entries live, or None when the cache is off."""
    chosen = os.environ.get("SHAFAF_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "shafaf" if xdg else Path.home() / ".cache" / "shafaf"


def fetch(content: bytes) -> Checked | None:
    """The checked form of a registry with these bytes, when one was kept by this code."""
    entry = _entry(content)
    if entry is None:
        return None
    try:
        data = json.loads(entry.read_bytes())
        checked = registry_codec.decode(data["checked"]) if data.get("format") == FORMAT else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # absent, torn or from another format: checked again, and written anew
    return checked if isinstance(checked, Checked) else None


def keep(content: bytes, checked: Checked) -> None:
    """Write the checked form of a registry, if it is worth keeping and can be written."""
    entry = _entry(content)
    if entry is None:
        return
    try:
        data = json.dumps({"format": FORMAT, "checked": registry_codec.encode(checked)}, ensure_ascii=False)
        entry.parent.mkdir(parents=True, exist_ok=True)
        durable.write_atomic(entry, data.encode("utf-8"))
        _prune(entry.parent)
    except (OSError, registry_codec.Unencodable):
        return  # not cached: the next read checks the file again


def _entry(content: bytes) -> Path | None:
    place = folder()
    if place is None or len(content) < SMALLEST:
        return None
    key = hashlib.sha256(code_fingerprint().encode() + b"\0" + content).hexdigest()
    return place / f"registry-{key[:32]}.json"


@functools.cache
def code_fingerprint() -> str:
    """The version, and each module's size and modification time: an edited checkout checks afresh."""
    import shafaf

    root = Path(shafaf.__file__).parent
    parts = [shafaf.__version__]
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(dirpath, name))
                parts.append(f"{os.path.relpath(dirpath, root)}/{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _prune(place: Path) -> None:
    entries = sorted(place.glob("registry-*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
