"""The CKAN Action API, spoken through ``ckanapi`` but never on its own network.

ckanapi turns CKAN's error envelopes into its exceptions (``NotFound`` and
the rest), but it has no timeout of its own (docs/reliability.md H21), so its
``requests`` session gets one adapter, mounted for every URL, that sends each
request through ``shafaf.fetch``. All API calls of one client share one
deadline and every response is bounded by the byte cap.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from email.message import Message
from typing import Any

import ckanapi
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from shafaf.config.registry import redact_url
from shafaf.core import jsonguard
from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason, http_reason
from shafaf.harvest.net import fetch as guarded
from shafaf.harvest.net.fetch import FetchPolicy

PAGE_SIZE = 100  # CKAN caps rows at 1000 (ckan.search.rows_max)
MAX_PAGES = 2000
API_PATH = "api/3/action/"


# --- the API client ------------------------------------------------------------


class FetchAdapter(BaseAdapter):
    """A requests adapter that sends every request through ``shafaf.fetch``.

    Mounted for every URL prefix of the session ckanapi uses, so no request
    can bypass the deadline, byte cap, scheme and destination checks. All
    requests share ``deadline`` (a ``time.monotonic()`` instant).
    """

    def __init__(self, policy: FetchPolicy, deadline: float):
        super().__init__()
        self.policy = policy
        self.deadline = deadline
        self.last: guarded.Response | None = None

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        self.last = None
        if request.method != "GET":
            raise HarvestError(
                Reason.INTERNAL,
                f"the CKAN client tried a {request.method} request; only GET is allowed",
                url=redact_url(request.url or ""),
            )
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise HarvestError(
                Reason.DEADLINE_EXCEEDED,
                f"the CKAN API calls took longer than {self.policy.deadline_s:g} s in all",
                url=redact_url(request.url or ""),
            )
        policy = dataclasses.replace(self.policy, deadline_s=min(self.policy.deadline_s, remaining))
        got = guarded.fetch_bytes(
            request.url or "", policy=policy, headers={"Accept": "application/json"}, raise_for_status=False
        )
        self.last = got
        _bounded(got)  # ckanapi parses the body with json.loads itself: bound it first
        return _as_requests_response(got, request, self)

    def close(self) -> None:
        pass


def _bounded(got: guarded.Response) -> None:
    """Refuse a JSON body no parser reads safely (``jsonguard``); other bodies are left to ckanapi's refusal."""
    if got.body.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] not in (b"{", b"["):
        return
    try:
        jsonguard.scan(got.body)
    except jsonguard.InvalidJson as e:
        raise HarvestError(Reason.INVALID_JSON, f"the answer {e.problem}", url=got.url, status=got.status) from None


def _as_requests_response(
    got: guarded.Response, request: requests.PreparedRequest, adapter: BaseAdapter
) -> requests.Response:
    response = requests.Response()
    response.status_code = got.status
    # fetch followed (and checked) any redirect; requests must never follow one itself.
    response.headers = CaseInsensitiveDict({k: v for k, v in got.headers.items() if k.lower() != "location"})
    response._content = got.body
    response._content_consumed = True
    response.url = got.url
    response.request = request
    response.connection = adapter
    response.encoding = _charset(got.headers.get("content-type") or got.headers.get("Content-Type")) or "utf-8"
    return response


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset if isinstance(charset, str) else None


class CkanClient:
    """ckanapi's RemoteCKAN on a session whose only transport is the guarded fetch."""

    def __init__(self, url: str, policy: FetchPolicy):
        self.url = url.rstrip("/")
        self.adapter = FetchAdapter(policy, time.monotonic() + policy.deadline_s)
        session = requests.Session()
        session.trust_env = False  # no proxies, .netrc credentials or CA bundles from the environment
        session.adapters.clear()
        session.mount("", self.adapter)  # every scheme and host: nothing reaches requests' own transport
        self.remote = ckanapi.RemoteCKAN(self.url, session=session, get_only=True, user_agent="shafaf (ckanapi)")
        self.remote.base_url = API_PATH

    def action(self, name: str, *, not_found: tuple[Reason, str] | None = None, **params: Any) -> Any:
        """Call one action; every failure becomes a HarvestError naming the action."""
        where = f"CKAN {name} at {redact_url(self.url)}"
        try:
            return self.remote.call_action(name, params)
        except HarvestError as e:
            raise HarvestError(e.reason, f"{where}: {e.message}", url=e.url, status=e.status) from e
        except ckanapi.NotFound as e:
            reason, message = not_found or (Reason.SOURCE_ERROR, f"{where} answered Not Found")
            raise HarvestError(
                reason,
                f"{message} (CKAN said: {_envelope_message(self.adapter.last) or e})",
                url=self._last_url(),
                status=self._last_status(),
            ) from e
        except RecursionError as e:
            raise HarvestError(
                Reason.INVALID_JSON,
                f"{where} answered JSON nested too deeply to read",
                url=self._last_url(),
                status=self._last_status(),
            ) from e
        except (ckanapi.CKANAPIError, ckanapi.ServerIncompatibleError) as e:
            raise self._refusal(name, where) from e
        except requests.RequestException as e:  # a URL requests cannot even prepare
            raise HarvestError(
                Reason.SOURCE_ERROR, f"{where}: cannot make the request: {e}", url=redact_url(self.url)
            ) from e

    def close(self) -> None:
        self.remote.close()

    def _refusal(self, name: str, where: str) -> HarvestError:
        got = self.adapter.last
        url, status = self._last_url(), self._last_status()
        envelope = _envelope(got)
        if envelope is not None:
            kind = envelope.get("__type") or "error"
            return HarvestError(
                Reason.SOURCE_ERROR, f"{where} failed: {kind}: {_envelope_message(got)}", url=url, status=status
            )
        content_type = (
            (got.headers.get("content-type") or got.headers.get("Content-Type") or "no content type")
            if got
            else "nothing"
        )
        if got is not None and got.status >= 400:
            return HarvestError(
                http_reason(got.status),
                f"{where} answered HTTP {got.status} ({content_type}), not a CKAN API response",
                url=url,
                status=status,
            )
        return HarvestError(
            Reason.SOURCE_ERROR,
            f"{where} answered HTTP {status} ({content_type}) with something that is not a CKAN API response",
            url=url,
            status=status,
        )

    def _last_url(self) -> str:
        return self.adapter.last.url if self.adapter.last else redact_url(self.url)

    def _last_status(self) -> int | None:
        return self.adapter.last.status if self.adapter.last else None


def _envelope(got: guarded.Response | None) -> dict[str, Any] | None:
    """The ``error`` object of a CKAN error envelope, if the body is one."""
    if got is None:
        return None
    try:
        parsed = jsonguard.loads(got.body)
    except jsonguard.InvalidJson:
        return None
    if isinstance(parsed, dict) and parsed.get("success") is False and isinstance(parsed.get("error"), dict):
        return parsed["error"]
    return None


def _envelope_message(got: guarded.Response | None) -> str:
    error = _envelope(got) or {}
    message = error.get("message")
    if message is None:  # validation errors carry field -> messages instead
        message = "; ".join(f"{k}: {v}" for k, v in error.items() if k != "__type")
    return str(message)[:500]


# --- listing -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Listing:
    """The datasets of one organization, as package_search returned them."""

    organization: str
    count: int  # what CKAN said it has (on the last page read)
    datasets: tuple[Mapping[str, Any], ...]  # distinct by id, sorted by name then id
    pages: int
    duplicates: int

    @property
    def mismatch(self) -> str | None:
        """A message when the distinct datasets listed do not add up to ``count``."""
        if len(self.datasets) == self.count:
            return None
        extra = f" ({self.duplicates} repeated across pages)" if self.duplicates else ""
        return (
            f"CKAN says organization {self.organization!r} has {self.count} datasets, but {len(self.datasets)} "
            f"distinct ones were listed in {self.pages} pages{extra}; the portal may have changed while it was read"
        )


def organization_name(client: CkanClient, organization: str) -> str:
    """The canonical name of the organization (the registry may give its id); not_found if there is none."""
    result = client.action(
        "organization_show",
        id=organization,
        include_datasets=False,
        include_users=False,
        not_found=(Reason.NOT_FOUND, f"the CKAN portal {redact_url(client.url)} has no organization {organization!r}"),
    )
    name = result.get("name") if isinstance(result, dict) else None
    return name if isinstance(name, str) and name else organization


def list_datasets(
    client: CkanClient, organization: str, *, page_size: int = PAGE_SIZE, max_pages: int = MAX_PAGES
) -> Listing:
    """Every dataset of ``organization``, paging package_search with ``start`` until ``count``."""
    page_size = max(1, min(page_size, 1000))  # CKAN refuses rows above ckan.search.rows_max (1000)
    fq = 'organization:"{}"'.format(organization.replace("\\", "\\\\").replace('"', '\\"'))
    seen: dict[str, Mapping[str, Any]] = {}
    duplicates = pages = start = count = 0
    while pages < max_pages:
        result = client.action("package_search", fq=fq, rows=page_size, start=start, sort="id asc")
        pages += 1
        if (
            not isinstance(result, dict)
            or not isinstance(result.get("count"), int)
            or not isinstance(result.get("results"), list)
        ):
            raise HarvestError(
                Reason.SOURCE_ERROR,
                f"CKAN package_search at {redact_url(client.url)} answered without "
                "a whole-number 'count' and a 'results' list",
                url=client._last_url(),
                status=client._last_status(),
            )
        count = result["count"]
        results = [p for p in result["results"] if isinstance(p, dict)]
        for package in results:
            key = str(package.get("id") or package.get("name") or "")
            if key in seen:
                duplicates += 1
            else:
                seen[key] = package
        start += page_size
        if not results or start >= count:
            break
    ordered = sorted(seen.values(), key=lambda p: (str(p.get("name") or ""), str(p.get("id") or "")))
    return Listing(organization=organization, count=count, datasets=tuple(ordered), pages=pages, duplicates=duplicates)
