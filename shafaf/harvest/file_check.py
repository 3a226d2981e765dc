"""Check one file a person sends (an upload, or the file at a URL) exactly as a harvested file is checked.

What the "check my file" page (``/validate``) runs, in a child process of
its own (``shafaf check-file``): nothing here writes outside the folder it is
given, opens ``state.db`` or the published database, or keeps anything. The
file meets the same guards as a harvest: the URL goes through the guarded
fetch (deadline, byte cap after decompression, scheme allow-list, destination
check at every hop); a zip is opened only through ``archives`` (member count,
declared and actual sizes, ratio, names), an XLSX (a zip itself) has its
table of contents checked the same way; the readers decode, refuse mojibake
and deep JSON as they do for harvests. On top, a cap in bytes and in rows,
because a public page is not a harvest: a file past either is refused whole
with ``too_large``, in both languages, like any refused file.

The result is ``{"report": <Report.to_dict()>, "view": {"en": ..., "fa": ...}}``:
the JSON report ``shafaf validate --json`` prints, and the same facts laid
out for the page (``validate.report_view``).
"""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from shafaf.core.errors import HarvestError, UsageError
from shafaf.core.models import Reason
from shafaf.harvest import archives
from shafaf.harvest.net.fetch import FetchPolicy, fetch, redact
from shafaf.validate.folder import DATA_FORMATS, dataset_of, validate_safely
from shafaf.validate.report import Report
from shafaf.validate.report_text import fetch_error_dict
from shafaf.validate.report_view import fetch_error_view, view

XLSX_EXPANSION = 20  # an XLSX may expand to this many times the byte cap (its XML is verbose)


@dataclasses.dataclass(frozen=True)
class CheckLimits:
    """What one check accepts: bytes as sent (and after decompression), and rows of data."""

    max_bytes: int = 10_000_000
    max_rows: int = 100_000


def safe_name(name: str) -> str:
    """A file name that can be written in the check's folder: letters, digits, ``._-``; never hidden or empty."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in last).lstrip(".")
    return cleaned[:120] or "upload"


def check_file(
    path: Path, *, name: str | None = None, kind: str | None = None, limits: CheckLimits = CheckLimits()
) -> dict[str, Any]:
    """Validate the file at ``path`` (named ``name`` by the person who sent it) within ``limits``.

    UsageError when neither ``kind`` nor the name says which dataset it is.
    """
    name = safe_name(name or path.name)
    if path.stat().st_size > limits.max_bytes:
        return _refused(
            name,
            kind or dataset_of(name) or "",
            Reason.TOO_LARGE,
            f"{name} is {path.stat().st_size:,} bytes; this check accepts at most {limits.max_bytes:,}",
        )
    if name.lower().endswith(".zip") or (Path(name).suffix.lower() != ".xlsx" and archives.is_zip(path)):
        try:
            path, name = _unzipped(path, name, limits)
        except HarvestError as e:
            return _refused(name, kind or "", Reason(e.reason), e.message)
    kind = kind or dataset_of(name)
    if kind is None:
        raise UsageError(
            f"the name {name!r} does not say which dataset it is: choose the dataset, "
            f"or name the file after it, e.g. services.csv"
        )
    fmt = DATA_FORMATS.get(Path(name).suffix.lower(), "csv")
    if fmt == "xlsx":
        why = _xlsx_problem(path, name, limits)
        if why:
            return _refused(name, kind, *why)
    lines = _csv_lines(path) if fmt == "csv" else 0
    if lines > limits.max_rows + 1:  # the header, then at most max_rows rows (a quoted newline counts too)
        return _refused(
            name,
            kind,
            Reason.TOO_LARGE,
            f"{name} has {lines - 1:,} lines of data; this check accepts at most {limits.max_rows:,} rows",
        )
    report = validate_safely(path, kind, format=fmt)
    report.file = name
    if report.rows_read > limits.max_rows:
        return _refused(
            name,
            kind,
            Reason.TOO_LARGE,
            f"{name} has {report.rows_read:,} rows; this check accepts at most {limits.max_rows:,}",
        )
    return _result(report)


def check_url(
    url: str,
    folder: Path,
    *,
    kind: str | None = None,
    limits: CheckLimits = CheckLimits(),
    policy: FetchPolicy = FetchPolicy(),
) -> dict[str, Any]:
    """Fetch ``url`` into ``folder`` through the guarded fetch (capped at ``limits.max_bytes``), then check it."""
    shown = redact(url)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"{shown}: only http:// and https:// addresses with a host can be checked")
    name = safe_name(unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) or "download")
    if kind is None and dataset_of(name) is None:
        raise UsageError(f"the address {shown} does not say which dataset it is: choose the dataset")
    fmt = DATA_FORMATS.get(Path(name).suffix.lower())
    dest = folder / name
    try:
        fetch(
            url,
            dest,
            policy=dataclasses.replace(policy, max_bytes=min(policy.max_bytes, limits.max_bytes)),
            expect=fmt if fmt != "xlsx" else None,
        )
    except HarvestError as e:
        where = e.url or shown
        return {
            "report": fetch_error_dict(where, str(e.reason), e.message),
            "view": {lang: fetch_error_view(where, str(e.reason), e.message, lang) for lang in ("en", "fa")},
        }
    result = check_file(dest, name=name, kind=kind, limits=limits)
    result["report"]["url"] = shown
    return result


def _result(report: Report) -> dict[str, Any]:
    return {"report": report.to_dict(), "view": {lang: view(report, lang) for lang in ("en", "fa")}}


def _refused(name: str, kind: str, reason: Reason, message: str) -> dict[str, Any]:
    report = Report(file=name, dataset=kind)
    report.fail(str(reason), message)
    return _result(report)


def _unzipped(archive: Path, name: str, limits: CheckLimits) -> tuple[Path, str]:
    """The one data file of an uploaded zip, extracted through ``archives`` (every harvest's caps)."""
    files = archives.extract_zip(
        archive,
        archive.with_name(archive.name + ".unzipped"),
        archives.ArchiveLimits(max_bytes=limits.max_bytes),
        label=name,
    )
    data = [f for f in files if f.suffix.lower() in DATA_FORMATS]
    if len(data) != 1:
        raise HarvestError(
            Reason.ARCHIVE_REJECTED,
            f"{name} holds {len(data)} data files (CSV, XLSX or JSON); a zip sent for checking must hold exactly one",
        )
    return data[0], safe_name(data[0].name)


def _xlsx_problem(path: Path, name: str, limits: CheckLimits) -> tuple[Reason, str] | None:
    """Why an XLSX cannot be opened safely (its zip's table of contents), or None."""
    try:
        with zipfile.ZipFile(path) as zf:
            archives.check_zip(zf, archives.ArchiveLimits(max_bytes=limits.max_bytes * XLSX_EXPANSION), label=name)
    except HarvestError as e:
        return Reason.ARCHIVE_REJECTED, e.message
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as e:
        return Reason.UNREADABLE, f"{name} is not a readable XLSX workbook: {e}"
    return None


def _csv_lines(path: Path) -> int:
    """Lines in the file (newlines, and a last line without one): an upper bound of its rows."""
    newlines, returns, last = 0, 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            newlines += chunk.count(b"\n")
            returns += chunk.count(b"\r")
            last = chunk[-1:]
    return (newlines or returns) + (last not in (b"\n", b"\r", b""))
