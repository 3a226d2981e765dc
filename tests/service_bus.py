"""Pieces of a government service bus for tests: an OAuth2 token server, certificates, a registry.

The token server issues opaque tokens with a lifetime and can revoke them,
so a test sees a token expire or be refused mid-run exactly as a real bus
would do it. Certificates (a CA, a server and a client) are made in the test
with ``cryptography``; nothing is downloaded.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import secrets
import ssl
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faultserver import Request, respond

JSON = {"Content-Type": "application/json"}
CLIENT_ID = "shafaf-harvester"
CLIENT_SECRET = "gsb-client-secret-4b1d9e7f"


class TokenServer:
    """``/oauth/token`` (client credentials, HTTP Basic) and a check of bearer tokens for API behaviours."""

    def __init__(self, lifetime: float = 300.0):
        self.lifetime = lifetime
        self.issued: dict[str, float] = {}  # token -> monotonic expiry
        self.requests = 0
        self.refuse = False
        self.lock = threading.Lock()

    def token_behaviour(self):
        def behaviour(conn, request: Request) -> None:
            with self.lock:
                self.requests += 1
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            form = dict(parse_qsl(request.body.decode()))
            if (
                self.refuse
                or request.headers.get("authorization") != expected
                or form.get("grant_type") != "client_credentials"
            ):
                respond(401, json.dumps({"error": "invalid_client", "error_description": "unknown client"}), JSON)(
                    conn, request
                )
                return
            token = "tok-" + secrets.token_hex(12)
            with self.lock:
                self.issued[token] = time.monotonic() + self.lifetime
            respond(
                200, json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime}), JSON
            )(conn, request)

        return behaviour

    def valid(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ")
        with self.lock:
            expiry = self.issued.get(token)
        return header.startswith("Bearer ") and expiry is not None and expiry > time.monotonic()

    def revoke_all(self) -> None:
        with self.lock:
            self.issued.clear()

    def api(self, handler: Callable[[Request], tuple[int, Any]], headers: dict[str, str] | None = None):
        def behaviour(conn, request: Request) -> None:
            if not self.valid(request):
                respond(401, b'{"error": "invalid_token"}', JSON)(conn, request)
                return
            status, body = handler(request)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            respond(status, data, {**JSON, **(headers or {})})(conn, request)

        return behaviour


# --- certificates ------------------------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def make_pki(folder: Path) -> dict[str, Path]:
    """A CA, a server certificate for localhost/127.0.0.1 and a client certificate, as PEM files."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test GSB CA"))
        .issuer_name(_name("Test GSB CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    out = {"ca": folder / "ca.pem"}
    out["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for role, cn in (("server", "localhost"), ("client", "shafaf-harvester")):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        )
        if role == "server":
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            usage = x509.oid.ExtendedKeyUsageOID.SERVER_AUTH
        else:
            usage = x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH
        cert = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False).sign(ca_key, hashes.SHA256())
        out[f"{role}_cert"] = folder / f"{role}.pem"
        out[f"{role}_key"] = folder / f"{role}.key"
        out[f"{role}_cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, out[f"{role}_key"])
    return out


def server_context(pki: dict[str, Path], *, require_client_cert: bool) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["server_cert"], pki["server_key"])
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki["ca"])
    return context


# --- a registry of one service-bus source --------------------------------------------


def bus_registry(root: Path, source_yaml: str, *, portal: str = "") -> Path:
    """agencies.yml with agency ``alpha`` whose one source is ``source_yaml`` (a YAML mapping's lines)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "agencies.yml"
    path.write_text(
        "portal:\n  allow_private_networks: true\n  fetch_deadline_s: 5\n  fetch_read_timeout_s: 2\n  fetch_retries: 0\n"
        + textwrap.indent(textwrap.dedent(portal), "  ")
        + "agencies:\n  - id: alpha\n    name_fa: سازمان الف\n    name_en: Alpha Organization\n    sources:\n"
        + textwrap.indent("- " + textwrap.indent(textwrap.dedent(source_yaml), "  ").lstrip(), "      "),
        encoding="utf-8",
    )
    return path


def assert_no_secret(folder: Path, *secrets_: str) -> None:
    """No file under ``folder`` (the data directory, the published database) holds any of ``secrets_``."""
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets_:
                assert secret.encode() not in data, (path, secret)
