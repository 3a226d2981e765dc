"""Service-bus credentials against real loopback servers: OAuth2, API keys, client certificates (issue 23)."""

from __future__ import annotations

import csv
import io
import sqlite3
import time
from pathlib import Path

import pytest
from faultserver import FaultServer, Request, respond
from service_bus import (
    CLIENT_ID,
    CLIENT_SECRET,
    JSON,
    TokenServer,
    assert_no_secret,
    bus_registry,
    make_pki,
    server_context,
)

from shafaf.config import registry
from shafaf.config.registry import Source
from shafaf.config.service_bus import ApiKey, Auth, ClientTls, OAuth2
from shafaf.core.datadir import DataDir
from shafaf.core.errors import HarvestError, RegistryError
from shafaf.core.models import Outcome, Reason
from shafaf.harvest.net.fetch import FetchPolicy
from shafaf.harvest.runner import harvest
from shafaf.harvest.sources.base import HarvestContext
from shafaf.harvest.sources.jsonapi import JsonApiHarvester
from shafaf.publish.writer import publish

POLICY = FetchPolicy(
    deadline_s=5, connect_timeout_s=1, read_timeout_s=2, retries=0, backoff_s=0.01, allow_private_networks=True
)
CTX = HarvestContext(policy=POLICY)
RECORDS = [{"service_id": f"S{n}", "name_fa": f"خدمت {n}", "name_en": f"Service {n}"} for n in range(1, 7)]
API_KEY = "k3y-5ecr3t-a9f0e1"


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    monkeypatch.setenv("GSB_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("GSB_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("GSB_API_KEY", API_KEY)


def oauth_source(url: str, token_url: str, **kwargs) -> Source:
    auth = Auth(oauth2=OAuth2(token_url, "${GSB_CLIENT_ID}", "${GSB_CLIENT_SECRET}", scope="services.read"))
    return Source(id="gsb", dataset="services", kind="jsonapi", agency_id="alpha", url=url, auth=auth, **kwargs)


def paged(request: Request) -> tuple[int, object]:
    page = int(request.query.get("page", "1"))
    return 200, {"items": RECORDS[(page - 1) * 2 : page * 2]}


def capture(src: Source, dest: Path):
    dest.mkdir(parents=True, exist_ok=True)
    return JsonApiHarvester().capture(src, dest, CTX)


def failure(src: Source, dest: Path, *secrets: str) -> HarvestError:
    with pytest.raises(HarvestError) as info:
        capture(src, dest)
    for secret in secrets:
        assert secret not in str(info.value) and secret not in (info.value.url or "")
    return info.value


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


# --- OAuth2 client credentials -------------------------------------------------------------


def test_one_token_serves_every_page_and_is_sent_as_a_bearer(fault_server, tmp_path):
    tokens = TokenServer()
    token_url = fault_server.add("/oauth/token", tokens.token_behaviour())
    url = fault_server.add("/api/services", tokens.api(paged))
    got = capture(oauth_source(url, token_url, records="items", pagination={"style": "page", "size": 2}), tmp_path)
    assert tokens.requests == 1 and len(rows(got.path)) == 1 + len(RECORDS)
    token_request = next(r for r in fault_server.requests if r.path == "/oauth/token")
    assert token_request.method == "POST" and b"grant_type=client_credentials" in token_request.body
    assert b"scope=services.read" in token_request.body
    assert_no_secret(tmp_path, CLIENT_SECRET, *tokens.issued)


@pytest.mark.slow
def test_a_token_is_cached_until_it_expires(fault_server, tmp_path):
    tokens = TokenServer(lifetime=1.0)
    token_url = fault_server.add("/oauth/token", tokens.token_behaviour())
    url = fault_server.add("/api", tokens.api(paged))
    src = oauth_source(url, token_url, records="items")
    capture(src, tmp_path / "1")
    capture(src, tmp_path / "2")
    assert tokens.requests == 1  # the second run reused the cached token
    time.sleep(1.0)
    capture(src, tmp_path / "3")
    assert tokens.requests == 2  # expired: a new one was asked for before the server could refuse it
    sent = [r.headers["authorization"] for r in fault_server.requests if r.path == "/api"]
    assert len(sent) == 3 and sent[0] == sent[1] != sent[2]  # no request was refused on the way


def test_a_401_mid_run_renews_the_token_once_and_the_run_goes_on(fault_server, tmp_path):
    tokens = TokenServer()
    token_url = fault_server.add("/oauth/token", tokens.token_behaviour())

    def api(conn, request):
        if request.query.get("page") == "2" and tokens.requests == 1:
            tokens.revoke_all()  # the bus restarted: every token it gave is gone
        tokens.api(paged)(conn, request)

    url = fault_server.add("/api", api)
    got = capture(oauth_source(url, token_url, records="items", pagination={"style": "page", "size": 2}), tmp_path)
    assert tokens.requests == 2
    assert [r.query.get("page") for r in fault_server.requests if r.path == "/api"] == ["1", "2", "2", "3", "4"]
    assert len(rows(got.path)) == 1 + len(RECORDS)


def test_a_401_after_a_fresh_token_fails_http_401_without_a_loop(fault_server, tmp_path):
    tokens = TokenServer()
    token_url = fault_server.add("/oauth/token", tokens.token_behaviour())
    url = fault_server.add("/api", respond(401, b'{"error": "insufficient_scope"}', JSON))
    error = failure(oauth_source(url, token_url), tmp_path, CLIENT_SECRET, *tokens.issued)
    assert error.reason == "http_401" and tokens.requests == 2 and fault_server.hits("/api") == 2


def test_refused_client_credentials_are_auth_failed_naming_the_endpoint_not_the_secret(fault_server, tmp_path):
    tokens = TokenServer()
    tokens.refuse = True
    token_url = fault_server.add("/oauth/token", tokens.token_behaviour())
    url = fault_server.add("/api", tokens.api(paged))
    error = failure(oauth_source(url, token_url), tmp_path, CLIENT_SECRET)
    assert error.reason == Reason.AUTH_FAILED and error.status == 401
    assert "/oauth/token" in error.message and "invalid_client" in error.message and "'gsb'" in error.message
    assert fault_server.hits("/api") == 0 and not any(tmp_path.rglob("*.json"))


def test_a_missing_client_secret_fails_before_any_request(fault_server, tmp_path, monkeypatch):
    monkeypatch.delenv("GSB_CLIENT_SECRET")
    error = failure(oauth_source(fault_server.url("/api"), fault_server.url("/oauth/token")), tmp_path)
    assert error.reason == Reason.SECRET_MISSING and "GSB_CLIENT_SECRET" in error.message
    assert fault_server.requests == []


# --- API keys ------------------------------------------------------------------------


@pytest.mark.parametrize("in_query,name", [(False, "X-Api-Key"), (True, "sig"), (True, "apikey")])
def test_an_api_key_in_a_header_or_the_query_is_sent_and_never_shown(fault_server, tmp_path, in_query, name):
    def api(conn, request: Request):
        sent = request.query.get(name) if in_query else request.headers.get(name.lower())
        if sent != API_KEY:
            respond(403, b'{"error": "forbidden"}', JSON)(conn, request)
            return
        status = 200 if request.query.get("page", "1") != "2" else 500
        respond(
            status, b'{"items": [{"service_id": "S1", "name_en": "One"}, {"service_id": "S2", "name_en": "Two"}]}', JSON
        )(conn, request)

    url = fault_server.add("/api", api)
    src = Source(
        id="gsb",
        dataset="services",
        kind="jsonapi",
        agency_id="alpha",
        url=url,
        records="items",
        auth=Auth(api_key=ApiKey(name, "${GSB_API_KEY}", in_query=in_query)),
        pagination={"style": "page", "size": 2},
    )
    error = failure(src, tmp_path, API_KEY)  # page 2 fails: the message shows its URL
    assert error.reason == "http_500" and "page=2" in (error.url or "")
    assert "REDACTED" in (error.url or "") if in_query else True
    assert_no_secret(tmp_path, API_KEY)


def test_a_written_out_secret_is_refused_by_the_registry_with_its_line(tmp_path):
    path = bus_registry(
        tmp_path,
        """\
        dataset: services
        kind: jsonapi
        url: https://gsb.example.ir/api
        auth:
          oauth2:
            token_url: https://gsb.example.ir/oauth/token
            client_id: shafaf
            client_secret: plain-text-secret
        tls:
          client_cert: /etc/shafaf/client.pem
        """,
    )
    with pytest.raises(RegistryError) as info:
        registry.load(path)
    text = str(info.value)
    assert "'auth.oauth2.client_id' of a source of agency 'alpha' must be written '${NAME}'" in text
    assert "'auth.oauth2.client_secret'" in text and "'tls.client_cert'" in text and "plain-text-secret" not in text
    assert ":18:" in text  # the client_secret's line


# --- client certificates -------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def mtls_server(pki):
    server = FaultServer(tls=server_context(pki, require_client_cert=True), url_host="localhost")
    server.add("/api", respond(200, b'[{"service_id": "S1", "name_en": "One"}]', JSON))
    try:
        yield server
    finally:
        server.close()


def tls_source(url: str, pki, *, cert: bool = True) -> Source:
    tls = ClientTls(
        client_cert="${GSB_CERT}" if cert else None, client_key="${GSB_KEY}" if cert else None, ca_bundle=pki["ca"]
    )
    return Source(id="gsb", dataset="services", kind="jsonapi", agency_id="alpha", url=url, tls=tls)


def test_a_client_certificate_from_the_environment_opens_a_mutual_tls_service(mtls_server, pki, tmp_path, monkeypatch):
    monkeypatch.setenv("GSB_CERT", str(pki["client_cert"]))
    monkeypatch.setenv("GSB_KEY", str(pki["client_key"]))
    got = capture(tls_source(mtls_server.url("/api"), pki), tmp_path)
    assert rows(got.path) == [["service_id", "name_en"], ["S1", "One"]]
    assert_no_secret(tmp_path, pki["client_key"].read_text())


def test_without_a_client_certificate_the_service_refuses_with_tls_error(mtls_server, pki, tmp_path):
    start = time.monotonic()
    error = failure(tls_source(mtls_server.url("/api"), pki, cert=False), tmp_path)
    assert error.reason == Reason.TLS_ERROR and "CERTIFICATE_REQUIRED" in error.message
    assert time.monotonic() - start < 5


def test_the_agency_ca_bundle_is_what_trusts_the_server(mtls_server, pki, tmp_path, monkeypatch):
    monkeypatch.setenv("GSB_CERT", str(pki["client_cert"]))
    monkeypatch.setenv("GSB_KEY", str(pki["client_key"]))
    src = Source(
        id="gsb",
        dataset="services",
        kind="jsonapi",
        agency_id="alpha",
        url=mtls_server.url("/api"),
        tls=ClientTls(client_cert="${GSB_CERT}", client_key="${GSB_KEY}"),
    )  # certifi only: not trusted
    assert failure(src, tmp_path).reason == Reason.TLS_ERROR


def test_a_missing_certificate_file_is_a_tls_error_naming_no_secret(mtls_server, pki, tmp_path, monkeypatch):
    monkeypatch.setenv("GSB_CERT", str(tmp_path / "absent.pem"))
    monkeypatch.setenv("GSB_KEY", str(pki["client_key"]))
    error = failure(tls_source(mtls_server.url("/api"), pki), tmp_path / "run")
    assert error.reason == Reason.TLS_ERROR and "absent.pem" in error.message and mtls_server.requests == []


# --- end to end: run records, data directory, published database --------------------


def test_nothing_secret_reaches_the_data_dir_or_the_public_database(fault_server, tmp_path):
    tokens = TokenServer()
    fault_server.add("/oauth/token", tokens.token_behaviour())
    fault_server.add("/api", tokens.api(paged))
    path = bus_registry(
        tmp_path,
        f"""\
        dataset: services
        kind: jsonapi
        url: {fault_server.url("/api")}
        records: items
        pagination: {{style: page, size: 2}}
        auth:
          oauth2:
            token_url: {fault_server.url("/oauth/token")}
            client_id: ${{GSB_CLIENT_ID}}
            client_secret: ${{GSB_CLIENT_SECRET}}
        """,
    )
    reg = registry.load(path)
    data = DataDir(tmp_path / "var")
    runs = harvest(reg.agencies, registry=reg, data=data)
    assert [(r.outcome, r.reason) for r in runs] == [(Outcome.OK, None)], runs[0].message
    publish(list(reg.agencies), registry=reg, data=data)
    with sqlite3.connect(data.public_db) as conn:
        assert conn.execute("select count(*) from services").fetchone() == (len(RECORDS),)
    assert_no_secret(tmp_path / "var", CLIENT_SECRET, CLIENT_ID + ":", *tokens.issued)
