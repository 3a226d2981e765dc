"""Read a ``multipart/form-data`` POST as it arrives: small text fields, and at most one file, capped.

The file's bytes go straight to a file in the folder the caller gives (a
temporary one), never into memory; the body stops being read the moment it
passes ``max_bytes``, and the caller answers 413. Field values are capped
too, and the form may have only the fields it names. Parsing is
``python-multipart``'s.

CSRF: asgi-csrf 0.11 cannot read a multipart body with python-multipart
0.0.26 or later (it passes ``FileClass``, which the parser no longer takes:
simonw/asgi-csrf#38, open; every such POST with a cookie is a 500), and the
versions before 0.0.26 carry CVE-2026-40347. So the upload page is exempt
from asgi-csrf (``skip_csrf``) and ``read_form`` makes asgi-csrf's own check
on the same token: a request with cookies must send, before any file, a
``csrftoken`` field equal to Datasette's signed ``ds_csrftoken`` cookie
(``expected_token``); otherwise 403, and no byte of the file is written.
"""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Awaitable, Callable
from http.cookies import CookieError
from pathlib import Path
from typing import Any

import asgi_csrf
from itsdangerous import BadSignature, URLSafeSerializer
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

COOKIE = "ds_csrftoken"  # Datasette's name for asgi-csrf's cookie
FIELD_MAX = 4096  # bytes of one text field
PARTS_MAX = 16


class FormRefused(Exception):
    """The body cannot be read as the form: ``status`` (400 or 413) and what to tell the person."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclasses.dataclass
class Form:
    fields: dict[str, str]
    file: Path | None  # where the file's bytes were written (None when no file was sent, or it was empty)
    file_name: str | None  # the name the browser gave it
    size: int = 0


async def read_form(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    folder: Path,
    *,
    file_field: str,
    fields: tuple[str, ...],
    max_bytes: int,
    expected_token: str | None = None,
) -> Form:
    """The form of the request; FormRefused for another content type, a malformed body or one past a cap.

    ``expected_token``: the CSRF token the form must carry before its file (None: the request has no
    cookie to forge, as asgi-csrf decides; "" refuses every form).
    """
    headers = {k.lower(): v for k, v in scope.get("headers", [])}
    content_type, params = parse_options_header(headers.get(b"content-type", b""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise FormRefused(400, "send the form as multipart/form-data")
    parts: list[dict[str, Any]] = []
    target = folder / "upload.bin"
    out = None
    state: dict[str, Any] = {"header": b"", "value": b"", "size": 0}

    def on_part_begin() -> None:
        parts.append({"headers": {}, "data": bytearray(), "file": False})
        if len(parts) > PARTS_MAX:
            raise FormRefused(400, "the form has too many parts")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        parts[-1]["headers"][state["header"].lower()] = state["value"]
        state["header"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        nonlocal out
        part = parts[-1]
        _, disposition = parse_options_header(part["headers"].get(b"content-disposition", b""))
        part["name"] = disposition.get(b"name", b"").decode("utf-8", "replace")
        if part["name"] == file_field and b"filename" in disposition:
            if expected_token is not None and not _token_matches(parts, expected_token):
                raise FormRefused(403, "the form's CSRF token is missing or wrong: reload the page and send it again")
            if out is not None:
                raise FormRefused(400, "send one file at a time")
            part["file"] = True
            part["filename"] = disposition[b"filename"].decode("utf-8", "replace")
            out = target.open("wb")
        elif part["name"] not in fields and part["name"] != file_field:  # a file input left empty may come as a field
            raise FormRefused(400, "the form has a field this page does not take")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part = parts[-1]
        state["size"] += end - start
        if state["size"] > max_bytes:
            raise FormRefused(413, f"the file is larger than {max_bytes:,} bytes")
        if part["file"]:
            out.write(data[start:end])
        else:
            part["data"] += data[start:end]
            if len(part["data"]) > FIELD_MAX:
                raise FormRefused(400, "a field of the form is too long")

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
        },
    )
    try:
        more = True
        while more:
            message = await receive()
            if message.get("type") != "http.request":
                raise FormRefused(400, "the request ended before its body")
            parser.write(message.get("body", b""))
            more = message.get("more_body", False)
        parser.finalize()
    except MultipartParseError as e:
        raise FormRefused(400, f"the form cannot be read ({type(e).__name__})") from e
    finally:
        if out is not None:
            out.close()
    values: dict[str, str] = {}
    file_name = None
    for part in parts:
        if part["file"]:
            file_name = part["filename"]
        elif part.get("name"):
            try:
                values[part["name"]] = bytes(part["data"]).decode("utf-8")
            except UnicodeDecodeError as e:
                raise FormRefused(400, "a field of the form is not UTF-8 text") from e
    if expected_token is not None and not _token_matches(parts, expected_token):
        raise FormRefused(403, "the form's CSRF token is missing or wrong: reload the page and send it again")
    size = target.stat().st_size if out is not None else 0
    return Form(fields=values, file=target if size else None, file_name=file_name, size=size)


def _token_matches(parts: list[dict[str, Any]], expected: str) -> bool:
    sent = next((bytes(p["data"]) for p in parts if p.get("name") == "csrftoken" and not p["file"]), b"")
    return bool(expected) and hmac.compare_digest(sent, expected.encode("utf-8"))


def csrf_expected(scope: dict[str, Any], secret: str) -> str | None:
    """The token a form must carry, as asgi-csrf decides it: None without cookies, "" for an unsigned cookie."""
    headers = dict(scope.get("headers") or [])
    if not headers.get(b"cookie"):
        return None
    try:
        cookie = asgi_csrf.cookies_from_scope(scope).get(COOKIE, "")
        URLSafeSerializer(secret).loads(cookie, asgi_csrf.DEFAULT_SIGNING_NAMESPACE)
    except (BadSignature, CookieError, UnicodeDecodeError):
        return ""
    return cookie


def is_upload(scope: dict[str, Any], path: str) -> bool:
    """A multipart POST to ``path``: what ``skip_csrf`` leaves to ``read_form``."""
    if scope.get("type") != "http" or scope.get("method") != "POST" or scope.get("path") != path:
        return False
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
    return content_type.split(b";", 1)[0].strip().lower() == b"multipart/form-data"


def only_uploads_here(app: Any, path: str) -> Any:
    """``app``, answering 415 to a multipart POST anywhere but ``path`` (asgi-csrf#38 would make it a 500)."""

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("method") == "POST" and scope.get("path") != path:
            content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
            if content_type.split(b";", 1)[0].strip().lower() == b"multipart/form-data":
                await send(
                    {
                        "type": "http.response.start",
                        "status": 415,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send({"type": "http.response.body", "body": b"this address takes no multipart/form-data\n"})
                return
        await app(scope, receive, send)

    return guarded
