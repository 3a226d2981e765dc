"""Is this a URL we publish? One answer for the registry, harvested agency fields and every catalog.

A URL Shafaf writes into a catalog (``foaf:homepage``, CKAN's extras, a
feed's links) or fetches from must be an absolute ``http``/``https``
address with a host: ``javascript:`` and ``data:`` run code when clicked
(docs/reliability.md S5), ``//host`` and ``http://`` name no page, and a space, a
quote, an angle bracket or a control character breaks the document it is
written into (rdflib refuses to serialize ``https://example.ir/a b`` as
Turtle: ``/catalog.ttl`` answered 500). Hosts are ASCII: an internationalised
name is written in its ``xn--`` form, which every client reads the same way
(the path may hold any printable text, as IRIs do).

The registry refuses a bad URL with its line (``problem``); a URL harvested
into an agency's fields is dropped; the catalog writers drop any that is
already in a published database (``published``), so a bad value costs a
link, never a page.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

MAX_LENGTH = 2000  # what browsers and sitemaps accept
SCHEMES = ("https", "http")
NOT_IN_IRI = set('<>"{}|\\^`')  # rdflib's own list (rdflib.term._invalid_uri_chars), and the space
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}  # controls, format (bidi) marks, any space
# An address a ``mailto:`` IRI can carry as it is: no space, quote, bracket or second @ (RFC 5322's quoted forms
# are left out on purpose: nobody's contact address needs them).
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?_~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")


def problem(value: object, *, credentials_ok: bool = False) -> str | None:
    """None when ``value`` is a URL we publish; else why not, in words for a message.

    ``credentials_ok``: a source's own URL may carry ``user:password@`` (it is
    fetched, and only ever shown redacted); a published one never does.
    """
    if not isinstance(value, str):
        return f"it is {type(value).__name__}, not text"
    if not value:
        return "it is empty"
    if len(value) > MAX_LENGTH:
        return f"it is {len(value):,} characters long; at most {MAX_LENGTH:,} are accepted"
    # Printable ASCII holds no control, mark or space but " " itself: most URLs need no look at each character.
    plain = value.isascii() and value.isprintable() and " " not in value and NOT_IN_IRI.isdisjoint(value)
    for c in "" if plain else value:
        if unicodedata.category(c) in _INVISIBLE:
            return f"it holds {_named(c)}"
        if c in NOT_IN_IRI:
            return f"it holds the character {c!r}, which a URL cannot hold unencoded"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as e:
        return f"it is not a valid URL ({e})"
    scheme = parts.scheme.lower()
    if not scheme:
        return "it has no scheme: write it in full, starting with https://"
    if scheme not in SCHEMES:
        return f"its scheme is {scheme + ':'!r}; only https:// and http:// addresses are published"
    if "@" in parts.netloc and not credentials_ok:
        return "it holds a user name or password (user:password@host); write the address without them"
    host = parts.hostname or ""
    if not host:
        return "it names no host"
    if not host.isascii():
        return f"its host {host!r} is not ASCII; write it as {_ascii_host(host)}"
    if host.startswith(".") or ".." in host or not all(c.isalnum() or c in "-_.:[]" for c in host):
        return f"its host {host!r} is not a host name"
    return None


def published(value: object) -> str | None:
    """``value`` if it is a URL we publish, else None (a catalog's last line: a bad URL is dropped, not served)."""
    return value if isinstance(value, str) and problem(value) is None else None


def _named(c: str) -> str:
    name = unicodedata.name(c, "")
    return f"the invisible character U+{ord(c):04X}{f' ({name.lower()})' if name else ''}" if c != " " else "a space"


def _ascii_host(host: str) -> str:
    try:
        return repr(host.encode("idna").decode("ascii"))
    except UnicodeError:
        return "its ASCII (xn--) form"


def email_problem(value: object) -> str | None:
    """None when ``value`` is an e-mail address we publish (and link as ``mailto:``); else why not."""
    if not isinstance(value, str) or not EMAIL.fullmatch(value):
        return "it is not an e-mail address of the form name@host.example (ASCII, no spaces or quotes)"
    return None


def published_email(value: object) -> str | None:
    """``value`` if it is an e-mail address we publish, else None."""
    return value if isinstance(value, str) and email_problem(value) is None else None
