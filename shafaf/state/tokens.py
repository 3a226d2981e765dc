"""Agencies' API tokens: created once, kept only as a hash, checked in constant time.

A token is ``shafaf_<token id>_<secret>``: 32 random bytes of secret
(``secrets.token_urlsafe``), so a plain SHA-256 of the whole token is as
strong a record as a slow password hash, and verifying costs one lookup by
hash. The token id lets operators list and revoke without ever seeing the
secret again. The table lives in ``state.db``, never in the public database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets

from shafaf.core.errors import UsageError
from shafaf.state.store import StateStore, utc_now, wall_clock

PREFIX = "shafaf"
_DUMMY = "0" * 64  # compared against when no token has the id, so an unknown id costs what a known one does
_SHAPE = re.compile(r"^shafaf_([a-f0-9]{12})_([A-Za-z0-9_-]{43})$")


@dataclasses.dataclass(frozen=True)
class TokenInfo:
    """What is known of a token after it was printed: never the token itself."""

    token_id: str
    agency_id: str
    created: str
    revoked: str | None
    last_used: str | None
    note: str | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(state: StateStore, agency_id: str, *, note: str | None = None) -> tuple[str, TokenInfo]:
    """A new token of ``agency_id``: the token (to print once) and its record."""
    token_id = secrets.token_hex(6)
    token = f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    info = TokenInfo(token_id=token_id, agency_id=agency_id, created=utc_now(), revoked=None, last_used=None, note=note)
    with state.connect() as conn:
        conn.execute(
            "INSERT INTO tokens VALUES (?, ?, ?, ?, NULL, NULL, ?)",
            (token_id, agency_id, _digest(token), info.created, note),
        )
    return token, info


def verify(state: StateStore, token: str) -> str | None:
    """The agency a live token belongs to, or None (unknown, malformed or revoked)."""
    match = _SHAPE.match(token or "")
    if match is None:
        return None
    with state.connect() as conn:
        row = conn.execute("SELECT agency_id, sha256, revoked FROM tokens WHERE token_id = ?", (match[1],)).fetchone()
        if row is None or not hmac.compare_digest(row["sha256"], _digest(token)) or row["revoked"]:
            return None
        conn.execute("UPDATE tokens SET last_used = ? WHERE token_id = ?", (utc_now(), match[1]))
    return str(row["agency_id"])


def token_id_of(token: str) -> str | None:
    """The id part of a well-formed token (what records name; never the secret), else None."""
    match = _SHAPE.match(token or "")
    return match[1] if match else None


def verify_for(state: StateStore, token: str, agency_id: str) -> str | None:
    """The token's id when it is live and ``agency_id``'s, else None, doing the same work either way.

    The console's sign-in answers an unknown token and another agency's alike
    (403), and must not tell them apart by its timing: a malformed token is
    looked up as a dummy id, the digest is always computed and compared, and
    the only write (``last_used``) is for the token that signs in.
    """
    match = _SHAPE.match(token or "")
    token_id = match[1] if match else "0" * 12
    digest = _digest(token or "")
    with state.connect() as conn:
        row = conn.execute("SELECT agency_id, sha256, revoked FROM tokens WHERE token_id = ?", (token_id,)).fetchone()
        stored = row["sha256"] if row is not None else _DUMMY
        same = hmac.compare_digest(stored, digest)
        ok = bool(match) and row is not None and same and not row["revoked"] and row["agency_id"] == agency_id
        if ok:
            conn.execute("UPDATE tokens SET last_used = ? WHERE token_id = ?", (utc_now(), token_id))
    return token_id if ok else None


def session_live(state: StateStore, token_id: str, agency_id: str, signed_in: str) -> bool:
    """Whether a console session of ``token_id`` signed in at ``signed_in`` still stands.

    It ends when the token is revoked or no longer the agency's, and when its
    sessions were ended (``end_sessions``) at or after it was signed in.
    """
    with state.connect() as conn:
        row = conn.execute(
            "SELECT t.agency_id, t.revoked, s.ended FROM tokens t LEFT JOIN console_sign_outs s "
            "ON s.token_id = t.token_id WHERE t.token_id = ?",
            (token_id,),
        ).fetchone()
    return (
        row is not None
        and not row["revoked"]
        and row["agency_id"] == agency_id
        and (row["ended"] is None or row["ended"] < signed_in)
    )


def instant() -> str:
    """Now, to the microsecond: when a session was signed in or ended (a sign-in right after a sign-out stands)."""
    return wall_clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def end_sessions(state: StateStore, token_id: str) -> None:
    """End every console session signed in with ``token_id`` until now (a sign-out ends them all)."""
    with state.connect() as conn:
        conn.execute("INSERT OR REPLACE INTO console_sign_outs VALUES (?, ?)", (token_id, instant()))


def revoke(state: StateStore, token_id: str) -> TokenInfo:
    """Revoke by id; UsageError for an unknown id. Revoking twice keeps the first time."""
    with state.connect() as conn:
        conn.execute("UPDATE tokens SET revoked = COALESCE(revoked, ?) WHERE token_id = ?", (utc_now(), token_id))
    for info in listing(state):
        if info.token_id == token_id:
            return info
    raise UsageError(f"no token with id {token_id!r}; 'shafaf token list' shows them")


def listing(state: StateStore, agency_id: str | None = None) -> list[TokenInfo]:
    sql = "SELECT token_id, agency_id, created, revoked, last_used, note FROM tokens"
    params: tuple[str, ...] = ()
    if agency_id is not None:
        sql += " WHERE agency_id = ?"
        params = (agency_id,)
    with state.connect() as conn:
        return [TokenInfo(**dict(row)) for row in conn.execute(sql + " ORDER BY created, token_id", params)]
