"""The ``datapackage`` source kind: one resource of a remote Frictionless Data Package.

``source.url`` names a ``datapackage.json`` (or a ``.zip`` holding one). The
descriptor is fetched through our guarded fetch and checked WHOLE before
anything else is fetched (docs/reliability.md H12): every ``path`` of every
resource, string ``schema``/``dialect``, ``image``, ``licenses[].path`` and
``sources[].path`` must be a plain relative path or an http(s) URL.
frictionless itself never sees the descriptor: it treats any http(s) path as
safe and would fetch schemas and data with its own session, around our
deadline, byte cap and destination checks.

Decisions recorded here:

- Remote ``schema``/``dialect`` URLs are accepted by the path rules but NEVER
  fetched: rows are validated against Shafaf's own standard. A URL on a
  literal address that is never a data host (link-local such as the cloud
  metadata service 169.254.169.254, unspecified, multicast; loopback and
  private ones unless the policy allows private networks) is rejected
  anyway, since no honest package points there.
- A multi-part resource (``path`` is a list) is CSV only: per the Data
  Package spec, parts after the first continue the table without a header,
  so the raw parts are concatenated byte-wise into one file (a newline is
  added between parts when a part does not end with one, and a UTF-8 BOM at
  the start of a later part is dropped). The parts are kept as received too.
- Inline ``data`` (objects, or arrays whose first row is the header) is
  written to a CSV with the same cell rules as the JSON API harvester.
- A zipped package (URL ending in ``.zip`` or a body that is a zip) and a
  zipped resource are opened only through ``shafaf.archives``.
- No conditional request: an unchanged descriptor says nothing about the
  files it names, so every run fetches the resource and change detection
  relies on the content hash.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit

from shafaf.config.registry import Source
from shafaf.core.errors import HarvestError
from shafaf.core.formats import FORMAT_BY_SUFFIX
from shafaf.core.models import Reason
from shafaf.harvest import archives
from shafaf.harvest.net.fetch import FetchPolicy, fetch, parse_json, redact
from shafaf.harvest.sources import records as rec
from shafaf.harvest.sources.base import CHUNK, Capture, HarvestContext, file_digest
from shafaf.harvest.sources.datapackage_paths import DESCRIPTOR, check_descriptor, path_problem

__all__ = ["DESCRIPTOR", "DataPackageHarvester", "check_descriptor", "path_problem"]  # the last two: their old home

PACKAGE_ZIP = "package.zip"
PACKAGE_DIR = "package"
FORMATS = {"csv": "csv", "tsv": "csv", "txt": "csv", "xlsx": "xlsx", "json": "json"}
MEDIATYPES = {
    "text/csv": "csv",
    "application/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/json": "json",
}
NOT_SLUG = re.compile(r"[^A-Za-z0-9_-]+")
UTF8_BOM = b"\xef\xbb\xbf"


class DataPackageHarvester:
    kind = "datapackage"

    def capture(self, source: Source, dest: Path, ctx: HarvestContext | None = None) -> Capture:
        ctx = ctx or HarvestContext()
        if not source.url:
            raise HarvestError(Reason.NOT_FOUND, f"source {source.id!r} of agency {source.agency_id!r} has no url")
        package = _get_package(source.url, dest, ctx.policy)
        descriptor = load_descriptor(dest / DESCRIPTOR, package.label)
        check_descriptor(descriptor, allow_private=ctx.policy.allow_private_networks)  # before any further fetch
        wanted = source.resource or source.dataset
        resource = pick_resource(descriptor, wanted, package.label)
        return _capture_resource(source, resource, wanted, package, dest, ctx.policy)


# --- the descriptor -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Package:
    """Where the descriptor came from: a remote URL, or a folder extracted from a zip."""

    url: str  # as configured: relative paths of a remote package resolve against it
    label: str  # the redacted URL, for messages and run records
    folder: Path | None = None  # the descriptor's folder inside the extracted zip
    root: Path | None = None  # the extraction folder: nothing outside it is ever read
    status: int | None = None


def _get_package(url: str, dest: Path, policy: FetchPolicy) -> _Package:
    """Fetch the descriptor (or the zip holding it) into ``dest``; keep it as ``datapackage.json``."""
    label = redact(url)
    if urlsplit(url).path.lower().endswith(".zip"):
        got = fetch(url, dest / PACKAGE_ZIP, policy=policy)
        return _unzip_package(url, label, dest, policy, got.status)
    got = fetch(url, dest / DESCRIPTOR, policy=policy, expect="json")  # an HTML page fails here; a zip passes
    if archives.is_zip(dest / DESCRIPTOR):
        (dest / DESCRIPTOR).rename(dest / PACKAGE_ZIP)
        return _unzip_package(url, label, dest, policy, got.status)
    return _Package(url, label, status=got.status)


def _unzip_package(url: str, label: str, dest: Path, policy: FetchPolicy, status: int | None) -> _Package:
    root = dest / PACKAGE_DIR
    files = archives.extract_zip(
        dest / PACKAGE_ZIP, root, archives.ArchiveLimits(max_bytes=policy.max_bytes), label=label
    )
    candidates = sorted((f for f in files if f.name == DESCRIPTOR), key=lambda f: (len(f.parts), str(f)))
    if not candidates:
        raise HarvestError(Reason.NOT_FOUND, f"{label} holds no {DESCRIPTOR}", url=label)
    shutil.copyfile(candidates[0], dest / DESCRIPTOR)
    return _Package(url, label, folder=candidates[0].parent, root=root.resolve(), status=status)


def load_descriptor(path: Path, label: str) -> dict[str, Any]:
    """Parse the descriptor strictly: UTF-8 JSON (no NaN), an object with a list of resource objects."""
    raw = path.read_bytes()
    if raw[:1024].removeprefix(UTF8_BOM).lstrip().lower().startswith((b"<!doctype", b"<html", b"<head", b"<body")):
        raise HarvestError(Reason.UNEXPECTED_CONTENT_TYPE, f"{label} sent an HTML page, not a {DESCRIPTOR}", url=label)
    data = parse_json(raw, what=f"{DESCRIPTOR} at {label}", url=label)
    if not isinstance(data, dict):
        raise HarvestError(Reason.STRUCTURE, f"{DESCRIPTOR} at {label} is not a JSON object", url=label)
    resources = data.get("resources")
    if not isinstance(resources, list) or not resources:
        raise HarvestError(Reason.NO_RESOURCES, f"{DESCRIPTOR} at {label} lists no resources", url=label)
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            raise HarvestError(
                Reason.STRUCTURE, f"{DESCRIPTOR} at {label}: resource #{index + 1} is not an object", url=label
            )
    return data


def pick_resource(descriptor: dict[str, Any], name: str, label: str) -> dict[str, Any]:
    resources = descriptor["resources"]
    for resource in resources:
        if resource.get("name") == name:
            return resource
    names = ", ".join(repr(r.get("name")) for r in resources if isinstance(r.get("name"), str)) or "none named"
    raise HarvestError(
        Reason.NO_RESOURCES, f"{DESCRIPTOR} at {label} has no resource {name!r}; it has {names}", url=label
    )


# --- the resource -------------------------------------------------------------


def resource_format(source: Source, resource: dict[str, Any], name: str) -> str:
    """The format to stage: the registry's, else the resource's format, media type or path suffix."""
    if source.format:
        return source.format
    declared = resource.get("format")
    if isinstance(declared, str) and declared:
        if declared.lower() in FORMATS:
            return FORMATS[declared.lower()]
        raise HarvestError(
            Reason.UNEXPECTED_CONTENT_TYPE,
            f"resource {name!r} has format {declared!r}; Shafaf reads csv, xlsx and json",
        )
    mediatype = resource.get("mediatype")
    if isinstance(mediatype, str) and mediatype.split(";")[0].strip().lower() in MEDIATYPES:
        return MEDIATYPES[mediatype.split(";")[0].strip().lower()]
    path = resource.get("path")
    first = path[0] if isinstance(path, list) and path else path
    if isinstance(first, str):
        suffix = PurePosixPath(urlsplit(first).path).suffix.lower()
        return FORMAT_BY_SUFFIX.get(suffix, "csv")
    return "csv"


def _capture_resource(
    source: Source, resource: dict[str, Any], name: str, package: _Package, dest: Path, policy: FetchPolicy
) -> Capture:
    fmt = resource_format(source, resource, name)
    slug = NOT_SLUG.sub("-", name).strip("-") or "resource"
    target = dest / f"resource-{slug}.{'csv' if fmt == 'csv' else fmt}"
    path = resource.get("path")
    if path is None:
        if "data" not in resource:
            raise HarvestError(Reason.STRUCTURE, f"resource {name!r} of {package.label} has neither path nor data")
        size, sha256 = write_inline(resource["data"], target, name)
        return Capture(
            path=target,
            bytes=size,
            sha256=sha256,
            format="csv",
            url=package.label,
            status=package.status,
            encoding="utf-8",
        )
    parts = path if isinstance(path, list) else [path]
    if not parts:
        raise HarvestError(Reason.STRUCTURE, f"resource {name!r} of {package.label} has an empty path list")
    if len(parts) > 1 and fmt != "csv":
        raise HarvestError(Reason.STRUCTURE, f"resource {name!r} is in {len(parts)} parts; only CSV resources may be")
    zipped = resource.get("compression") == "zip"
    files: list[Path] = []
    first_url, first_status = package.label, package.status
    for n, part in enumerate(parts, start=1):
        stem = target if len(parts) == 1 else dest / f"resource-{slug}.part-{n}{target.suffix}"
        file, url, status = _get_part(part, stem, fmt, zipped, package, policy)
        if n == 1:
            first_url, first_status = url, status
        files.append(file)
    if len(files) == 1 and files[0] == target:
        size, sha256 = file_digest(target)
    else:
        size, sha256 = concatenate(files, target)
    return Capture(path=target, bytes=size, sha256=sha256, format=fmt, url=first_url, status=first_status)


def _get_part(
    part: str, stem: Path, fmt: str, zipped: bool, package: _Package, policy: FetchPolicy
) -> tuple[Path, str, int | None]:
    """Fetch (or take from the extracted zip) one part; a zipped part is unzipped.

    Returns the file, the (redacted) URL it came from and the HTTP status.
    """
    remote = bool(urlsplit(part).scheme) or package.root is None
    zipped = zipped or urlsplit(part).path.lower().endswith(".zip")
    if remote:
        url = part if urlsplit(part).scheme else urljoin(package.url, part)
        raw = stem.with_name(stem.name + ".zip") if zipped else stem
        got = fetch(url, raw, policy=policy, expect=None if zipped else fmt)
        file, label, url, status = raw, got.url, got.url, got.status
    else:
        assert package.folder is not None and package.root is not None
        file = (package.folder / part).resolve()
        label, url, status = f"{package.label}: {part}", package.label, package.status
        if not file.is_relative_to(package.root):
            raise HarvestError(Reason.UNSAFE_PATH, f"{label} resolves outside the package")
        if not file.is_file():
            raise HarvestError(Reason.NOT_FOUND, f"{label} is not in the archive", url=package.label)
    if fmt != "xlsx" and archives.is_zip(file):  # an xlsx is a zip itself
        file = _unzip_single(file, stem, label, policy)
    elif not remote:
        shutil.copyfile(file, stem)
        file = stem
    return file, url, status


def _unzip_single(archive: Path, stem: Path, label: str, policy: FetchPolicy) -> Path:
    """The one file of a zipped resource, extracted safely."""
    folder = stem.with_name(stem.name + ".unzipped")
    files = archives.extract_zip(archive, folder, archives.ArchiveLimits(max_bytes=policy.max_bytes), label=label)
    if len(files) != 1:
        raise HarvestError(
            Reason.ARCHIVE_REJECTED, f"{label} holds {len(files)} files; a zipped resource must hold exactly one"
        )
    return files[0]


def concatenate(parts: list[Path], target: Path) -> tuple[int, str]:
    """Join CSV parts byte-wise (later parts have no header); returns the size and SHA-256 written."""
    digest = hashlib.sha256()
    size = 0
    last = b"\n"
    with target.open("wb") as out:
        for n, part in enumerate(parts):
            with part.open("rb") as reader:
                first = True
                while chunk := reader.read(CHUNK):
                    if first and n > 0:
                        chunk = chunk.removeprefix(UTF8_BOM)
                        if last not in (b"\n", b"\r") and chunk:
                            chunk = b"\n" + chunk
                    first = False
                    if chunk:
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        last = chunk[-1:]
    return size, digest.hexdigest()


def write_inline(data: Any, target: Path, name: str) -> tuple[int, str]:
    """Write a resource's inline ``data`` as CSV: objects (keys are columns) or arrays (first row is the header)."""
    if not isinstance(data, list) or not data:
        raise HarvestError(
            Reason.NO_RESOURCES if data == [] else Reason.STRUCTURE,
            f"inline data of resource {name!r} is {'empty' if data == [] else 'not a list of rows'}",
        )
    with rec.open_csv(target) as out:
        if all(isinstance(row, dict) for row in data):
            columns = list(rec.union_keys(data))
            rec.write_header(out, columns)
            rec.write_rows(out, columns, data)
        elif all(isinstance(row, list) for row in data):
            rec.write_arrays(out, data)
        else:
            raise HarvestError(Reason.STRUCTURE, f"inline data of resource {name!r} mixes objects with other rows")
    return file_digest(target)
