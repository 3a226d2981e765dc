"""Reading another portal's DCAT catalog: a DCAT-US ``data.json``, or DCAT-AP as RDF/XML, Turtle or JSON-LD.

Each dataset becomes the dictionary the ``ckan`` kind's selection reads
(``name``, ``title``, ``tags``, ``resources`` with ``format``, ``mimetype``
and ``url``), plus ``themes`` and ``publisher``, so one set of selection
rules serves both kinds. Real catalogs are untidy, and each untidiness has
a rule here rather than a crash:

- a dataset without ``identifier`` is named by its title, then by its IRI or
  its position (GSA's ``missing-identifier-title``); a numeric title is text
  (``numerical-title``); ``spatial: null`` and other unused fields are
  ignored; an empty entry (``{}``) is skipped and counted;
- a distribution's file type comes from its ``format`` (text, or an EU
  file-type IRI such as ``.../file-type/CSV``), else its ``mediaType`` (text
  or an IANA IRI), else its URL's suffix; ``downloadURL`` is preferred to
  ``accessURL``, and either may be an IRI or a literal (opendata.swiss);
- multilingual literals (``xml:lang``): English first, then untagged, then
  the first language in alphabetical order, for titles; keywords in every
  language.

RDF is parsed by rdflib from the bytes we fetched ourselves: nothing here
opens a URL. A JSON-LD document that names a remote ``@context`` is refused
(rdflib would fetch it outside the guarded fetcher), as is XML declaring
entities.
"""

from __future__ import annotations

import dataclasses
import json
import re
import xml.sax
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.exceptions import Error as RdflibError
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS

from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason

MAX_RDF_BYTES = 20_000_000  # rdflib holds every triple in memory (about 1 KB each): 20 MB of RDF is some 400 MB
IANA = ("https://www.iana.org/assignments/media-types/", "http://www.iana.org/assignments/media-types/")
LANGUAGE_ORDER = ("en", "")


@dataclasses.dataclass(frozen=True)
class CatalogListing:
    """What a catalog lists: its format, its datasets (CKAN-shaped) and the entries that were not datasets."""

    format: str  # "DCAT-US data.json", "DCAT-AP (RDF/XML)", ...
    datasets: tuple[dict[str, Any], ...]
    skipped: tuple[str, ...]


def read_catalog(path: Path, *, url: str) -> CatalogListing:
    """The datasets of the catalog in ``path`` (as fetched from ``url``); HarvestError when it is not one."""
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    head = data.lstrip()[:200].lower()
    if head.startswith((b"{", b"[")):
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise HarvestError(
                Reason.INVALID_JSON,
                f"the catalog at {url} is not valid JSON ({type(e).__name__}: {str(e)[:200]})",
                url=url,
            ) from None
        if isinstance(document, dict) and isinstance(document.get("dataset"), list) and "@graph" not in document:
            return _data_json(document, url)
        _refuse_remote_context(document, url)
        return _rdf(data, "json-ld", "DCAT-AP (JSON-LD)", url)
    if head.startswith((b"<!doctype html", b"<html")):
        raise HarvestError(Reason.UNEXPECTED_CONTENT_TYPE, f"{url} answered a web page, not a DCAT catalog", url=url)
    if head.startswith(b"<"):
        if b"<!ENTITY" in data[:100_000].upper():
            raise HarvestError(
                Reason.UNREADABLE, f"the catalog at {url} declares XML entities, which are not read", url=url
            )
        return _rdf(data, "xml", "DCAT-AP (RDF/XML)", url)
    return _rdf(data, "turtle", "DCAT-AP (Turtle)", url)


# --- DCAT-US (Project Open Data v1.1) -------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def _texts(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [t for t in (_text(v) for v in items) if t]


def _data_json(document: dict[str, Any], url: str) -> CatalogListing:
    datasets, skipped = [], []
    for number, entry in enumerate(document["dataset"], 1):
        if not isinstance(entry, dict) or not entry:
            skipped.append(f"entry {number} of 'dataset' is {'empty' if entry == {} else 'not an object'}")
            continue
        title = _text(entry.get("title"))
        name = _text(entry.get("identifier")) or title or f"dataset-{number}"
        publisher = entry.get("publisher")
        resources = []
        for position, d in enumerate(entry.get("distribution") or []):
            if not isinstance(d, dict):
                continue
            link = _text(d.get("downloadURL")) or _text(d.get("accessURL"))
            resources.append(
                {
                    "id": f"{name}#{position}",
                    "name": _text(d.get("title")),
                    "format": _text(d.get("format")),
                    "mimetype": _text(d.get("mediaType")),
                    "url": link,
                    "position": position,
                }
            )
        datasets.append(
            {
                "name": name,
                "title": title or name,
                "tags": [{"name": k} for k in _texts(entry.get("keyword"))],
                "themes": _texts(entry.get("theme")),
                "publisher": _text(publisher.get("name")) if isinstance(publisher, dict) else "",
                "resources": resources,
            }
        )
    return CatalogListing("DCAT-US data.json", tuple(datasets), tuple(skipped))


# --- DCAT-AP (RDF) --------------------------------------------------------------------------------


def _refuse_remote_context(document: Any, url: str) -> None:
    """A JSON-LD ``@context`` that is a URL would be fetched by rdflib, outside the guarded fetcher."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            context = item.get("@context")
            for c in context if isinstance(context, list) else [context]:
                if isinstance(c, str):
                    raise HarvestError(
                        Reason.UNREADABLE,
                        f"the JSON-LD catalog at {url} names a remote @context "
                        f"({c[:100]}), which is not fetched; embed the context",
                        url=url,
                    )
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _rdf(data: bytes, fmt: str, label: str, url: str) -> CatalogListing:
    if len(data) > MAX_RDF_BYTES:
        raise HarvestError(
            Reason.TOO_LARGE,
            f"the catalog at {url} is {len(data):,} bytes of RDF; at most {MAX_RDF_BYTES:,} are parsed",
            url=url,
        )
    graph = Graph()
    try:
        graph.parse(data=data, format=fmt, publicID=url)
    except (RdflibError, SyntaxError, xml.sax.SAXException, ValueError, TypeError, KeyError, AttributeError) as e:
        raise HarvestError(
            Reason.UNREADABLE, f"the catalog at {url} cannot be read as {label}: {_where(str(e))[:300]}", url=url
        ) from None
    datasets = [
        _rdf_dataset(graph, node, number)
        for number, node in enumerate(sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=_sort_key), 1)
    ]
    return CatalogListing(label, tuple(datasets), ())


def _where(message: str) -> str:
    """rdflib's ``None:56:4: Invalid ...`` as ``line 56, column 4: Invalid ...``."""
    m = re.match(r"(?:None|[^:]*):(\d+):(\d+):\s*(.*)", message, re.S)
    return f"line {m[1]}, column {m[2]}: {m[3]}" if m else message


def _sort_key(node: Any) -> tuple[int, str]:
    return (1 if isinstance(node, BNode) else 0, str(node))


def _best(values: Iterable[Any]) -> str:
    """One literal of several languages: English, then untagged, then the first language alphabetically."""
    literals = [v for v in values if isinstance(v, Literal) and str(v).strip()]
    if not literals:
        return ""
    return str(
        min(
            literals,
            key=lambda v: (
                LANGUAGE_ORDER.index(v.language or "") if (v.language or "") in LANGUAGE_ORDER else 2,
                v.language or "",
                str(v),
            ),
        )
    ).strip()


def _link(graph: Graph, node: Any, *predicates: Any) -> str:
    for predicate in predicates:
        for value in sorted(graph.objects(node, predicate), key=str):
            if str(value).strip():
                return str(value).strip()
    return ""


def _term(value: Any, prefixes: tuple[str, ...] = ()) -> str:
    """A controlled term as text: an IANA IRI as its media type, another IRI as its last segment, a literal as is."""
    text = str(value).strip()
    if isinstance(value, URIRef):
        for prefix in prefixes:
            if text.startswith(prefix):
                return text[len(prefix) :]
        return text.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return text


def _rdf_dataset(graph: Graph, node: Any, number: int) -> dict[str, Any]:
    title = _best(graph.objects(node, DCTERMS.title))
    identifier = _best(graph.objects(node, DCTERMS.identifier))
    name = identifier or title or (str(node) if isinstance(node, URIRef) else f"dataset-{number}")
    themes = []
    for theme in sorted(graph.objects(node, DCAT.theme), key=str):
        themes.append(str(theme))
        themes += [str(label) for label in graph.objects(theme, SKOS.prefLabel)]
    publishers = [
        _best([*graph.objects(p, FOAF.name), *graph.objects(p, RDFS.label), *graph.objects(p, SKOS.prefLabel)])
        for p in graph.objects(node, DCTERMS.publisher)
    ]
    resources = []
    for dist in graph.objects(node, DCAT.distribution):
        fmt = next((_term(v) for v in graph.objects(dist, DCTERMS["format"]) if str(v).strip()), "")
        media = next((_term(v, IANA) for v in graph.objects(dist, DCAT.mediaType) if str(v).strip()), "")
        resources.append(
            {
                "id": _best(graph.objects(dist, DCTERMS.identifier)) or (str(dist) if isinstance(dist, URIRef) else ""),
                "name": _best(graph.objects(dist, DCTERMS.title)),
                "format": fmt,
                "mimetype": media,
                "url": _link(graph, dist, DCAT.downloadURL, DCAT.accessURL),
            }
        )
    resources.sort(key=lambda r: (r["url"], r["id"], r["name"]))  # blank nodes have no stable order of their own
    for position, resource in enumerate(resources):
        resource["position"] = position
        resource["id"] = resource["id"] or f"{name}#{position}"
    return {
        "name": name,
        "title": title or name,
        "tags": [
            {"name": str(k).strip()} for k in sorted(graph.objects(node, DCAT.keyword), key=str) if str(k).strip()
        ],
        "themes": themes,
        "publisher": "; ".join(p for p in publishers if p),
        "resources": resources,
    }
