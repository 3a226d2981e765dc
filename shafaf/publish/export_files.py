"""The files of the downloads: what the manifest lists, and the writers every download shares.

``ExportedFile``/``Manifest`` are what ``manifest.json`` holds; ``Sink``
hashes and counts bytes as they are written; ``csv_writer`` is RFC 4180
(CRLF, minimal quoting); ``JsonRows`` writes a JSON array one object per
line. Rows are fetched ``BATCH`` at a time, so memory does not grow with a
table.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from shafaf.core.durable import fsync_dir

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
TABLES_DIR = "tables"
AGENCIES_DIR = "agencies"
FORMAT_VERSION = 1

# The only names the downloads hold, and so the only ones the plugin serves besides MANIFEST and CHECKSUMS.
FILE_PATTERN = re.compile(r"[a-z0-9_.-]+(?:/[a-z0-9_.-]+)?\Z")
TEMP_FILE = re.compile(r"\..+\.tmp\Z")

BATCH = 500  # rows fetched, written and flushed at a time: what bounds memory
NUMERIC = ("INTEGER", "REAL")


@dataclasses.dataclass(frozen=True)
class ExportedFile:
    """One written file, as ``manifest.json`` lists it."""

    file: str  # relative to the downloads directory, with '/'
    format: str  # csv, safe_csv, json, datapackage_zip, sha256sums
    bytes: int
    sha256: str
    rows: int | None
    table: str | None
    agency: str | None
    generated_at: str


@dataclasses.dataclass(frozen=True)
class Manifest:
    generated_at: str
    files: tuple[ExportedFile, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "generated_at": self.generated_at,
            "files": [dataclasses.asdict(f) for f in self.files],
        }


def read_manifest(downloads_dir: Path) -> dict[str, Any] | None:
    """The current manifest, or None before the first export."""
    try:
        return json.loads((Path(downloads_dir) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


class Sink:
    """Where csv and json writers write: text collects in memory for one batch of rows, then
    ``flush`` encodes it to UTF-8, hashes and counts it and writes it to ``raw``."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.text = io.StringIO()
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def flush(self) -> None:
        data = self.text.getvalue().encode("utf-8")
        self.text.seek(0)
        self.text.truncate()
        self.write(data)

    def write(self, data: bytes) -> None:
        self.sha256.update(data)
        self.bytes += len(data)
        self.raw.write(data)


def csv_writer(sink: Sink) -> Any:
    """RFC 4180: CRLF line ends, fields quoted only when they hold a comma, quote or line break."""
    return csv.writer(sink.text, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def batches(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> Iterator[list[tuple[Any, ...]]]:
    """The query's rows, BATCH at a time: memory stays flat however long the table is."""
    cursor = conn.execute(sql, params)
    while batch := cursor.fetchmany(BATCH):
        yield batch


class JsonRows:
    """Objects of a JSON array, one per line, separated by ``,\\n``; non-finite floats (which JSON lacks) become null.

    A batch of objects is encoded in one call; the separator between two
    top-level objects, ``}, {"``, cannot occur inside a value (every quote in
    a JSON string is escaped and values are scalars), so it marks the lines.
    The brackets around them are the caller's (``json_array``), so parts can
    be joined into one array.
    """

    def __init__(self, sink: Sink, names: list[str]):
        self.sink = sink
        self.names = names
        self.encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": ")).encode
        self.first = True

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        names = self.names
        objects = [dict(zip(names, row)) for row in rows]
        try:
            text = self.encode(objects)
        except ValueError:
            text = self.encode(
                [
                    {n: None if isinstance(v, float) and not math.isfinite(v) else v for n, v in o.items()}
                    for o in objects
                ]
            )
        self.sink.text.write(("" if self.first else ",\n") + text[1:-1].replace('}, {"', '},\n{"'))
        self.first = False


def json_array_start(empty: bool) -> bytes:
    """The bytes before the objects of a JSON array download (``[`` and, with objects, a line break)."""
    return b"[" if empty else b"[\n"


def json_array_end(empty: bool) -> bytes:
    return b"]\n" if empty else b"\n]\n"


def hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_bytes(path: Path, data: bytes) -> None:
    """A small file written and synced (inside a version being built, never a served name)."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_checksums(folder: Path, files: list[ExportedFile], generated_at: str) -> ExportedFile:
    """``SHA256SUMS`` in ``sha256sum -c`` format."""
    text = "".join(f"{f.sha256}  {f.file}\n" for f in sorted(files, key=lambda f: f.file))
    data = text.encode("utf-8")
    write_bytes(folder / CHECKSUMS, data)
    return ExportedFile(
        CHECKSUMS, "sha256sums", len(data), hashlib.sha256(data).hexdigest(), None, None, None, generated_at
    )


def write_manifest(folder: Path, manifest: Manifest) -> None:
    write_bytes(
        folder / MANIFEST, (json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    )
    fsync_dir(folder)
