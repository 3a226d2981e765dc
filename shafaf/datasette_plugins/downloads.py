"""``/downloads/``: the full exports ``shafaf.exports`` writes, served as static files.

Why not Datasette's CSV: it stops at ``max_csv_mb`` and streams slowly
(docs/reliability.md S3); these files are complete and checksummed.

Strict by design (S7, S9): a path is served only when it is listed in the
current ``manifest.json`` (or is the manifest or ``SHA256SUMS`` itself),
matches ``shafaf.exports.FILE_PATTERN`` with no ``.``-led segment, and its
realpath is a regular file inside the downloads directory; anything else,
including ``..``, ``%2e%2e``, backslashes and NUL, is our 404. The directory
is derived from the served database's path: ``<data-dir>/downloads`` beside
``<data-dir>/shafaf.db`` (the DataDir layout).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datasette import Request, Response

from shafaf.core.datadir import DataDir
from shafaf.datasette_plugins import common, i18n, labels, language
from shafaf.datasette_plugins.i18n import N_
from shafaf.datasette_plugins.pages import queries
from shafaf.publish import exports

if TYPE_CHECKING:
    from datasette.app import Datasette

DATABASE = "shafaf"
CHUNK = 1 << 16
CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".zip": "application/zip",
}
# Listings are shown inline; every data file is an attachment.
LISTINGS = {exports.MANIFEST: "application/json; charset=utf-8", exports.CHECKSUMS: "text/plain; charset=utf-8"}
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}

# What a file holds, beside its table's or agency's name.
FORMATS: dict[str, str] = {"csv": N_("CSV"), "safe_csv": N_("CSV for spreadsheets"), "json": N_("JSON")}


def downloads_dir(datasette: Datasette) -> Path | None:
    """``<data-dir>/downloads`` of the served ``shafaf`` database, or None when it is not a file."""
    db = datasette.databases.get(DATABASE)
    if db is None or not getattr(db, "path", None):
        return None
    # abspath, not resolve: shafaf.db is a link to var/db/<version>.db, and downloads/ sits beside the link.
    return DataDir(Path(os.path.abspath(db.path)).parent).downloads


async def index(request: Request, datasette: Datasette) -> Response:
    """``/downloads/``: every file of the manifest in the portal's frame and language (``shafaf_downloads.html``)."""
    lang = language.request_language(request)
    root = downloads_dir(datasette)
    manifest = _manifest(root) if root else None
    names = {a["id"]: common.name(a, lang) for a in await queries.agency_summaries(datasette.get_database(DATABASE))}
    files = [_file(datasette, f, names, lang) for f in (manifest or {}).get("files", []) if _listed_name(f.get("file"))]
    response = await common.render(
        datasette,
        request,
        "shafaf_downloads.html",
        dict(
            files=files,
            tables=[f for f in files if f["file"].startswith(exports.TABLES_DIR + "/")],
            agencies=[f for f in files if f["file"].startswith(exports.AGENCIES_DIR + "/")],
            generated_at=(manifest or {}).get("generated_at"),
            checksums_href=datasette.urls.path(f"/downloads/{exports.CHECKSUMS}"),
            manifest_href=datasette.urls.path(f"/downloads/{exports.MANIFEST}"),
        ),
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def _file(datasette: Datasette, entry: dict[str, Any], agency_names: dict[str, str], lang: str) -> dict[str, Any]:
    """A manifest entry with its link, and what it holds in words: the table's title or the agency's name."""
    table, agency = entry.get("table"), entry.get("agency")
    title = labels.dataset(table, lang) if table and not agency else agency_names.get(agency or "")
    fmt = FORMATS.get(entry.get("format") or "")
    return dict(
        entry,
        href=datasette.urls.path(f"/downloads/{entry['file']}"),
        title=title,
        format_label=i18n.gettext(fmt, lang) if fmt and table else None,
    )


async def download(request: Request, datasette: Datasette) -> Response:
    """``/downloads/<path>``: one listed file, streamed, or our 404."""
    root = downloads_dir(datasette)
    path = resolve(root, request.url_vars["path"]) if root else None
    if path is None:
        return await common.not_found(request, datasette)
    name = request.url_vars["path"]
    if name in LISTINGS:
        content_type, disposition = LISTINGS[name], "inline"
    else:
        content_type = CONTENT_TYPES.get(os.path.splitext(name)[1], "application/octet-stream")
        disposition = f'attachment; filename="{name.rsplit("/", 1)[-1]}"'
    return FileResponse(
        path,
        content_type=content_type,
        headers={**SECURITY_HEADERS, "content-disposition": disposition},
        head=request.method == "HEAD",
    )


def resolve(root: Path, name: str) -> Path | None:
    """The file ``name`` names inside ``root`` when it may be served, else None (see the module docstring)."""
    if name not in LISTINGS:
        if not _listed_name(name):
            return None
        manifest = _manifest(root)
        if manifest is None or name not in {f.get("file") for f in manifest.get("files", [])}:
            return None
    base = os.path.realpath(root)
    real = os.path.realpath(os.path.join(base, name))
    if not real.startswith(base + os.sep) or not os.path.isfile(real):
        return None
    return Path(real)


def _listed_name(name: Any) -> bool:
    """A name ``shafaf.exports`` could have written: the file pattern, and no ``.``-led segment."""
    return (
        isinstance(name, str)
        and exports.FILE_PATTERN.match(name) is not None
        and not any(part.startswith(".") for part in name.split("/"))
    )


_manifest_cache: dict[str, tuple[tuple[int, int, int], dict[str, Any] | None]] = {}


def _manifest(root: Path) -> dict[str, Any] | None:
    """The downloads' manifest, re-read only when the file changes (it is replaced after every export)."""
    path = root / exports.MANIFEST
    try:
        st = path.stat()
    except OSError:
        return None
    key = (st.st_ino, st.st_mtime_ns, st.st_size)
    cached = _manifest_cache.get(str(path))
    if cached and cached[0] == key:
        return cached[1]
    try:
        manifest = exports.read_manifest(root)
    except (OSError, ValueError):
        return None
    _manifest_cache[str(path)] = (key, manifest)
    return manifest


class FileResponse(Response):
    """A file streamed in 64 KB chunks.

    Unlike Datasette's ``asgi_send_file`` (stat, then open by name), the file
    is opened first and its length taken from the open handle, so an export
    replacing it mid-request cannot make Content-Length and body disagree.
    """

    def __init__(self, path: Path, *, content_type: str, headers: dict[str, str], head: bool = False):
        super().__init__(None, status=200, headers=headers, content_type=content_type)
        self.path = path
        self.head = head

    async def asgi_send(self, send: Any) -> None:
        try:
            f = await asyncio.to_thread(open, self.path, "rb")
        except OSError:  # replaced and removed between the check and the open
            await Response.text("Not found", status=404, headers=dict(SECURITY_HEADERS)).asgi_send(send)
            return
        try:
            size = os.fstat(f.fileno()).st_size
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
            headers += [
                (b"content-type", self.content_type.encode("latin-1")),
                (b"content-length", str(size).encode("ascii")),
            ]
            headers += [(b"set-cookie", c.encode("latin-1")) for c in self._set_cookie_headers]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            left = 0 if self.head else size
            while left > 0:
                chunk = await asyncio.to_thread(f.read, min(CHUNK, left))
                if not chunk:  # truncated under us: end the body short rather than hang
                    break
                left -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
            if left != 0 or self.head or size == 0:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            f.close()


ROUTES: list[tuple[str, Any]] = [(r"^/downloads/?\Z", index), (r"^/downloads/(?P<path>.+)\Z", download)]
