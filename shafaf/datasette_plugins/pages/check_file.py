"""``/validate``, "check my file": the report ``shafaf validate`` gives, for anyone with a browser.

A plain form (it works without JavaScript): a file (CSV, XLSX, JSON, or a
zip of one) or its URL, and the dataset kind (or the file name says it).
The answer is the same report as the command line's, in the page language,
with the JSON report to download (``format=json``, or the link on the page).

Nothing is stored or published. The web plugin never validates nor fetches
(tests/test_layout.py: it may not import ``validate`` or ``harvest``), so
the work is done by a child process, ``shafaf check-file``
(``harvest.file_check``; warm spares in ``check_workers``), in a temporary
folder that is its HOME, TMPDIR and working directory and is removed when
the answer is sent; the child gets no data directory, so it cannot reach
``state.db`` or the published database. The child runs off the event loop
with a deadline (killed, with its process group, when it passes), a memory,
CPU and file-size limit; the body is read as
it arrives and refused past the byte cap (413); each client may check a
limited number of files an hour (429), and only a few checks run at once
(503): the portal keeps serving readers meanwhile.

Settings (``plugins.shafaf.check_file`` in Datasette's metadata): ``max_bytes``,
``max_rows``, ``deadline_s``, ``per_client_per_hour``, ``concurrent``.
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datasette import Response

from shafaf import standard
from shafaf.datasette_plugins import i18n, language
from shafaf.datasette_plugins.common import href, render
from shafaf.datasette_plugins.pages.check_workers import run_check
from shafaf.datasette_plugins.pages.harvest_status import context
from shafaf.datasette_plugins.pages.upload_form import FormRefused, csrf_expected, is_upload, read_form
from shafaf.datasette_plugins.security.rate_limit import Window, client_key

if TYPE_CHECKING:
    from datasette import Request
    from datasette.app import Datasette

DEFAULTS: dict[str, Any] = {
    "max_bytes": 10_000_000,
    "max_rows": 100_000,
    "deadline_s": 30.0,
    "per_client_per_hour": 30,
    "concurrent": 2,
}
FORM_OVERHEAD = 64 * 1024  # the form's other fields and multipart boundaries, beside the file
_windows: dict[int, Window] = {}
_running: dict[int, int] = {}


def settings(datasette: Datasette) -> dict[str, Any]:
    """The page's limits: the defaults, with what the portal's metadata sets."""
    config = (datasette.plugin_config("shafaf") or {}).get("check_file") or {}
    return {key: type(value)(config.get(key, value)) for key, value in DEFAULTS.items()}


def window(datasette: Datasette) -> Window:
    """This server's per-client window (one per Datasette instance)."""
    found = _windows.get(id(datasette))
    if found is None:
        found = _windows[id(datasette)] = Window(settings(datasette)["per_client_per_hour"], 3600.0)
    return found


async def check_page(request: Request, datasette: Datasette) -> Response:
    """GET: the form. POST: check the file sent, answer the report (page or JSON)."""
    lang = language.request_language(request)
    if request.method == "GET":
        return await _page(datasette, request, lang)
    if request.method != "POST":
        return Response.text("use GET or POST", status=405, headers={"Allow": "GET, POST"})
    limits = settings(datasette)
    wait = window(datasette).retry_after(client_key(request.scope))
    if wait:
        return await _page(
            datasette,
            request,
            lang,
            status=429,
            headers={"Retry-After": str(wait)},
            problem=i18n.gettext(
                "You have checked many files in the last hour. Try again in %(minutes)s minutes.", lang
            )
            % {"minutes": i18n.digits(str(max(1, wait // 60)), lang)},
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits["max_bytes"] + FORM_OVERHEAD:
        return await _too_large(datasette, request, lang, limits)
    key = id(datasette)
    if _running.get(key, 0) >= limits["concurrent"]:
        return await _page(
            datasette,
            request,
            lang,
            status=503,
            headers={"Retry-After": "10"},
            problem=i18n.gettext("Other files are being checked. Try again in a few seconds.", lang),
        )
    _running[key] = _running.get(key, 0) + 1
    try:
        with tempfile.TemporaryDirectory(prefix="shafaf-check-") as tmp:
            return await _check(request, datasette, lang, limits, Path(tmp))
    finally:
        _running[key] -= 1


async def _check(request: Request, datasette: Datasette, lang: str, limits: dict[str, Any], tmp: Path) -> Response:
    try:
        form = await read_form(
            request.scope,
            request.receive,
            tmp,
            file_field="file",
            fields=("csrftoken", "dataset", "url", "format"),
            max_bytes=limits["max_bytes"] + FORM_OVERHEAD,
            expected_token=csrf_expected(request.scope, datasette._secret),
        )
    except FormRefused as e:
        if e.status == 403:
            return await _page(datasette, request, lang, status=403, problem=_form_problem(lang))
        if e.status == 413:
            return await _too_large(datasette, request, lang, limits)
        return await _page(datasette, request, lang, status=400, problem=_form_problem(lang))
    kind = form.fields.get("dataset", "").strip()
    url = form.fields.get("url", "").strip()
    if kind and kind not in standard.DATASET_KINDS:
        return await _page(datasette, request, lang, status=400, problem=_form_problem(lang))
    if (form.file is None) == (not url):
        return await _page(
            datasette,
            request,
            lang,
            status=400,
            chosen=kind,
            url=url,
            problem=i18n.gettext("Choose one file, or give one address (not both).", lang),
        )
    if form.file is not None and form.size > limits["max_bytes"]:
        return await _too_large(datasette, request, lang, limits)
    args = ["--max-bytes", str(limits["max_bytes"]), "--max-rows", str(limits["max_rows"])]
    if kind:
        args += ["--dataset", kind]
    if url:
        found = context(datasette)
        args += ["--url", url, "--deadline", str(max(1.0, limits["deadline_s"] - 5))]
        if found is not None and found.registry.portal.allow_private_networks:
            args.append("--allow-private-networks")  # the portal's harvests may: so may its checks
    else:
        args += [str(form.file), "--name", form.file_name or "upload"]
    outcome = await run_check(
        args, tmp, deadline_s=limits["deadline_s"], max_bytes=limits["max_bytes"], spares=limits["concurrent"]
    )
    if isinstance(outcome, str):
        return await _page(
            datasette,
            request,
            lang,
            status=422 if outcome == "usage" else 503,
            chosen=kind,
            url=url,
            problem=_worker_problem(outcome, lang, limits),
        )
    report, views = outcome["report"], outcome["view"]
    if form.fields.get("format") == "json":
        name = (report.get("file") or "file").rsplit(".", 1)[0] or "file"
        return Response(
            json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True),
            status=200,
            content_type="application/json; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.report.json"'},
        )
    data = base64.b64encode(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True).encode()).decode()
    return await _page(
        datasette,
        request,
        lang,
        chosen=kind,
        url=url,
        result=views.get(lang) or views["en"],
        report_href=f"data:application/json;base64,{data}",
        report_name=f"{(report.get('file') or 'file').rsplit('.', 1)[0]}.report.json",
    )


def _form_problem(lang: str) -> str:
    return i18n.gettext("The form could not be read. Reload the page and send it again.", lang)


def _worker_problem(outcome: str, lang: str, limits: dict[str, Any]) -> str:
    if outcome == "usage":
        return i18n.gettext("The file name does not say which dataset it is: choose the dataset kind.", lang)
    if outcome == "deadline":
        return i18n.gettext(
            "The check took longer than %(seconds)s seconds and was stopped. Check a smaller part of the file.", lang
        ) % {"seconds": i18n.digits(str(int(limits["deadline_s"])), lang)}
    return i18n.gettext("The file could not be checked. Try again, or check a smaller file.", lang)


async def _too_large(datasette: Datasette, request: Request, lang: str, limits: dict[str, Any]) -> Response:
    megabytes = i18n.digits(f"{limits['max_bytes'] / 1_000_000:g}", lang)
    return await _page(
        datasette,
        request,
        lang,
        status=413,
        problem=i18n.gettext("The file is larger than %(mb)s MB, the most this page checks.", lang) % {"mb": megabytes},
    )


async def _page(
    datasette: Datasette,
    request: Request,
    lang: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    problem: str | None = None,
    chosen: str = "",
    url: str = "",
    result: dict[str, Any] | None = None,
    report_href: str | None = None,
    report_name: str | None = None,
) -> Response:
    limits = settings(datasette)
    datasets = [
        {"id": kind, "title": (standard.load_schema(kind).get("title_fa" if lang == "fa" else "title") or kind)}
        for kind in standard.DATASET_KINDS
    ]
    response = await render(
        datasette,
        request,
        "shafaf_check_file.html",
        {
            "action": href(datasette, "/validate", lang),
            "datasets": datasets,
            "chosen": chosen,
            "url": url,
            "problem": problem,
            "result": result,
            "report_href": report_href,
            "report_name": report_name,
            "max_mb": i18n.digits(f"{limits['max_bytes'] / 1_000_000:g}", lang),
            "max_rows": i18n.format_number(limits["max_rows"], lang),
        },
        status=status,
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    response.headers["Cache-Control"] = "no-store"
    return response


PATH = "/validate"
ROUTES: list[tuple[str, Any]] = [(r"^/validate\Z", check_page)]


def skip_csrf(scope: dict[str, Any]) -> bool:
    """The upload's CSRF token is checked by ``read_form`` (asgi-csrf cannot read multipart: see ``upload_form``)."""
    return is_upload(scope, PATH)
