"""``package_search``'s small Solr: ``q``, ``fq``, ``sort`` and facets over the catalog's packages.

A portal has tens or hundreds of packages, not millions, so the search runs
over ``Catalog.packages`` in memory, with the subset of Solr syntax that
CKAN clients send: terms ``word``, ``"a phrase"``, ``field:value``,
``field:"value"``, ``field:prefix*``, ``field:*``, ``+``/``-`` before a term,
``*:*`` for everything, ``AND`` between terms, and ``[from TO to]`` ranges on
``metadata_modified``/``metadata_created``. All terms must match. Words are
compared in their search form (``standard.search_index.search_text``: Persian and
Arabic letters and digits folded), so ``ي`` finds ``ی``. Anything else
(``OR``, an unknown field, an unbalanced quote) is refused with a 409 naming
the parameter, so a client is never silently given the wrong datasets.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from shafaf.datasette_plugins.catalogs.catalog import Catalog, Package
from shafaf.datasette_plugins.ckan.params import validation_error
from shafaf.standard.search_index import search_text

DEFAULT_SORT = "score desc, metadata_modified desc"
FACET_FIELDS = ("organization", "tags", "res_format", "license_id", "groups")
SORT_FIELDS = ("score", "name", "title", "title_string", "metadata_modified", "metadata_created", "id", "num_resources")
RANGE_FIELDS = ("metadata_modified", "metadata_created")

_TOKEN = re.compile(
    r"\s*(?P<sign>[+-]?)(?:(?P<field>[A-Za-z_]+|\*):)?"
    r'(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|\[(?P<range>[^\]]*)\]|(?P<bare>[^\s"\[\]]+))\s*'
)
_RANGE = re.compile(r"\s*(?P<low>\S+)\s+TO\s+(?P<high>\S+)\s*\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?\Z")


@dataclasses.dataclass(frozen=True)
class Term:
    field: str | None  # None: free text
    value: str
    negated: bool = False
    exact: bool = False  # quoted: no prefix matching
    range: tuple[str, str] | None = None


def parse(query: str, parameter: str) -> list[Term]:
    """The terms of ``q`` or ``fq``; a 409 for syntax outside the supported subset."""
    terms: list[Term] = []
    position = 0
    query = query.strip()
    while position < len(query):
        m = _TOKEN.match(query, position)
        if not m or m.end() == position:
            raise validation_error(parameter, f"Cannot read the query at character {position + 1}")
        position = m.end()
        field, quoted, bare, ranged = m["field"], m["quoted"], m["bare"], m["range"]
        if field is None and quoted is None and bare in ("AND", "&&"):
            continue
        if field is None and quoted is None and bare in ("OR", "NOT", "||", "!"):
            raise validation_error(parameter, f"{bare} is not supported; every term must match (AND)")
        if field == "*" and bare == "*":
            continue  # *:* matches everything
        if field is not None and field not in FIELDS and field != "text":
            raise validation_error(parameter, f"Unknown field {field!r}; known: {', '.join(sorted(FIELDS))}, text")
        if ranged is not None:
            terms.append(_range_term(field, ranged, m["sign"] == "-", parameter))
            continue
        value = quoted.replace('\\"', '"').replace("\\\\", "\\") if quoted is not None else bare
        terms.append(Term(field if field != "text" else None, value, m["sign"] == "-", exact=quoted is not None))
    return terms


def _range_term(field: str | None, ranged: str, negated: bool, parameter: str) -> Term:
    m = _RANGE.match(ranged)
    if field not in RANGE_FIELDS or not m:
        raise validation_error(parameter, f"Ranges are supported on {' and '.join(RANGE_FIELDS)} only, as [from TO to]")
    for bound in (m["low"], m["high"]):
        if bound != "*" and not _DATE.match(bound):
            raise validation_error(parameter, f"Range bound {bound!r} is not * or an ISO date (2024-01-31T00:00:00Z)")
    return Term(field, "", negated, range=(m["low"], m["high"]))


def _glob(value: str, wanted: str, *, exact: bool, fold: bool = False) -> bool:
    if fold:
        value, wanted = value.lower(), wanted.lower()
    if wanted == "*":
        return True
    if not exact and wanted.endswith("*"):
        return value.startswith(wanted[:-1])
    return value == wanted


def _any(values: Iterable[str], term: Term, *, fold: bool = False) -> bool:
    return any(_glob(v, term.value, exact=term.exact, fold=fold) for v in values)


def _in_range(stamp: str | None, bounds: tuple[str, str]) -> bool:
    if not stamp:
        return False
    low, high = bounds
    stamp = stamp.rstrip("Z")
    return (low == "*" or stamp >= low.rstrip("Z")) and (
        high == "*" or stamp[: len(high.rstrip("Z"))] <= high.rstrip("Z")
    )


def _text(package: Package) -> str:
    org = package.organization
    return " ".join(
        filter(
            None,
            (
                package.name,
                package.kind,
                package.title_en,
                package.title_fa,
                package.description_en,
                package.description_fa,
                org.id,
                org.name_en,
                org.name_fa,
                *package.tags,
            ),
        )
    )


def _words_in(term: Term, text: str) -> bool:
    """Every word of the term (a trailing ``*`` dropped) occurs in ``text``, both in search form."""
    haystack = search_text(text)
    return all(w in haystack for w in search_text(term.value if term.exact else term.value.rstrip("*")).split())


def _free_text(package: Package, term: Term, catalog: Catalog) -> bool:
    return _words_in(term, _text(package))


FIELDS: dict[str, Callable[[Package, Term, Catalog], bool]] = {
    "name": lambda p, t, c: _glob(p.name, t.value, exact=t.exact),
    "id": lambda p, t, c: _glob(p.name, t.value, exact=t.exact),
    "title": lambda p, t, c: _words_in(t, f"{p.title_en} {p.title_fa}"),
    "organization": lambda p, t, c: _glob(p.organization.id, t.value, exact=t.exact),
    "owner_org": lambda p, t, c: _glob(p.organization.id, t.value, exact=t.exact),
    "tags": lambda p, t, c: _any(p.tags, t),
    "res_format": lambda p, t, c: _any((r.format for r in p.resources), t, fold=True),
    "license_id": lambda p, t, c: _glob(c.license.id, t.value, exact=t.exact),
    "groups": lambda p, t, c: _any((th.name for th in p.themes), t),  # the EU data themes
    "dataset_type": lambda p, t, c: _glob("dataset", t.value, exact=t.exact),
    "type": lambda p, t, c: _glob("dataset", t.value, exact=t.exact),
    "state": lambda p, t, c: _glob("active", t.value, exact=t.exact),
    "capacity": lambda p, t, c: _glob("public", t.value, exact=t.exact),
    "metadata_modified": lambda p, t, c: (
        _in_range(p.modified, t.range) if t.range else _glob(p.modified or "", t.value, exact=t.exact)
    ),
    "metadata_created": lambda p, t, c: (
        _in_range(p.created, t.range) if t.range else _glob(p.created or "", t.value, exact=t.exact)
    ),
}


def matches(package: Package, terms: list[Term], catalog: Catalog) -> bool:
    for term in terms:
        found = FIELDS[term.field](package, term, catalog) if term.field else _free_text(package, term, catalog)
        if found == term.negated:
            return False
    return True


def parse_sort(sort: str) -> list[tuple[str, bool]]:
    """``"name asc, metadata_modified desc"`` as (field, descending) pairs; a 409 for anything else."""
    keys = []
    for part in sort.split(","):
        words = part.split()
        if not words:
            continue
        if (
            len(words) > 2
            or words[0] not in SORT_FIELDS
            or (len(words) == 2 and words[1].lower() not in ("asc", "desc"))
        ):
            raise validation_error(
                "sort",
                f"Cannot sort by {part.strip()!r}: use one of {', '.join(SORT_FIELDS)}, each followed by asc or desc",
            )
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    if not keys:
        raise validation_error("sort", "Empty sort")
    return keys


def _sort_value(package: Package, field: str, lang: str) -> Any:
    return {
        "score": 0,
        "name": package.name,
        "id": package.name,
        "title": package.title(lang),
        "title_string": package.title(lang),
        "metadata_modified": package.modified or "",
        "metadata_created": package.created or "",
        "num_resources": len(package.resources),
    }[field]


def sort_packages(packages: list[Package], keys: list[tuple[str, bool]], lang: str) -> list[Package]:
    """Sorted by the keys, then by name, so every page of a paged listing is stable."""
    ordered = sorted(packages, key=lambda p: p.name)
    for field, descending in reversed(keys):
        ordered.sort(key=lambda p: _sort_value(p, field, lang), reverse=descending)
    return ordered


def facet_values(package: Package, field: str, catalog: Catalog) -> list[tuple[str, str]]:
    """(name, display name) of each value ``package`` has for a facet field."""
    if field == "organization":
        return [(package.organization.id, package.organization.name_en or package.organization.id)]
    if field == "tags":
        return [(t, t) for t in package.tags]
    if field == "res_format":
        return sorted({(r.format, r.format) for r in package.resources})
    if field == "license_id":
        return [(catalog.license.id, catalog.license.title or catalog.license.id)]
    if field == "groups":
        return [(t.name, t.title_en) for t in package.themes]
    return []


def facets(
    packages: list[Package], fields: list[str], catalog: Catalog, *, limit: int, mincount: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """CKAN's ``facets`` ({field: {value: count}}) and ``search_facets`` (with display names)."""
    plain: dict[str, Any] = {}
    described: dict[str, Any] = {}
    for field in fields:
        counts: Counter[str] = Counter()
        names: dict[str, str] = {}
        for package in packages:
            for value, display in facet_values(package, field, catalog):
                counts[value] += 1
                names[value] = display
        items = sorted(((v, n) for v, n in counts.items() if n >= mincount), key=lambda vn: (-vn[1], vn[0]))
        if limit >= 0:
            items = items[:limit]
        plain[field] = dict(items)
        described[field] = {
            "title": field,
            "items": [{"name": v, "display_name": names[v], "count": n} for v, n in items],
        }
    return plain, described
