"""CKAN's DataStore read actions over the published tables: ``datastore_search`` and ``datastore_search_sql``.

A CSV or JSON resource (``<agency>-<kind>-csv``) is one agency's rows of one
published table, so ``datastore_search`` answers them the way CKAN's
DataStore does (ckanext/datastore/logic/action.py and backend/postgres.py,
2.9/2.10): ``filters`` (field -> value or list of values), ``q`` (words that
must each occur in some field; or field -> words), ``fields``, ``sort``,
``distinct``, ``limit`` (default 100) / ``offset``, ``include_total``,
``records_format`` (objects, lists, csv, tsv) and ``_links`` built from the
request's query string. ``_id`` is the row's SQLite rowid.

Both run as public SQL (``sql_pools.public_sql``): Datasette's pool and
queue bound, ``sql_time_limit_ms``, ``max_returned_rows`` and the result
caps of ``sql_limits``, on the immutable read-only published file.
``datastore_search_sql`` takes one SELECT, checked by Datasette's own
``validate_sql_select`` and refused when the ``execute-sql`` permission is
(as ``?sql=`` is). Its table names are the published tables' (``services``),
not resource ids: one table holds every agency's rows.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from datasette.database import QueryInterrupted
from datasette.utils import InvalidSql, validate_sql_select

from shafaf import standard
from shafaf.core.errors import BadQuery
from shafaf.datasette_plugins import common
from shafaf.datasette_plugins.catalogs.catalog import Catalog
from shafaf.datasette_plugins.ckan.params import ActionError, boolean, natural, not_found, text, validation_error
from shafaf.datasette_plugins.security.sql_pools import public_sql

if TYPE_CHECKING:
    from datasette import Request
    from datasette.app import Datasette

Params = Mapping[str, Any]
DEFAULT_LIMIT = 100  # CKAN's
RECORDS_FORMATS = ("objects", "lists", "csv", "tsv")
MAX_WORDS = 10
MAX_WORD = 100  # "%word%" stays under SQLite's LIKE pattern limit (sql_functions: 128)
# Table Schema types as CKAN's DataStore (PostgreSQL) names them.
TYPES = {
    "integer": "int",
    "number": "numeric",
    "string": "text",
    "boolean": "bool",
    "date": "date",
    "datetime": "timestamp",
    "time": "time",
    "year": "int",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_param(params: Params, name: str) -> Any:
    """A parameter that CKAN takes as JSON: a JSON value, or its text in a query string."""
    value = params.get(name)
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            raise validation_error(name, "Could not parse as valid JSON") from None
    return value


def _names(params: Params, name: str) -> list[str] | None:
    value = _json_param(params, name)
    if value is None:
        return None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise validation_error(name, "Must be a list of field names or a comma-separated string")
    return value


def _unknown(name: str, field: str) -> ActionError:
    return validation_error(name, f'field "{field}" not in table')


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _words(value: Any, name: str) -> list[str]:
    if not isinstance(value, str):
        raise validation_error(name, "Must be a string, or an object of field names to strings")
    words = value.split()
    if len(words) > MAX_WORDS or any(len(w) > MAX_WORD for w in words):
        raise validation_error(name, f"At most {MAX_WORDS} words of at most {MAX_WORD} characters")
    return words


async def _columns(datasette: Datasette, kind: str) -> list[tuple[str, str]]:
    """The published table's columns with their DataStore types (the standard's, ``text`` for the rest)."""
    db = datasette.get_database(common.DATABASE)
    types = {f["name"]: TYPES.get(f.get("type", "string"), "text") for f in standard.load_schema(kind)["fields"]}
    return [(c, types.get(c, "text")) for c in await db.table_columns(kind)]


async def _run(datasette: Datasette, sql: str, params: Any, *, truncate: bool = False) -> Any:
    """Public SQL under Datasette's limits; its failures are CKAN's 409 on ``query``."""
    db = datasette.get_database(common.DATABASE)
    try:
        with public_sql():
            return await db.execute(sql, params, truncate=truncate)
    except QueryInterrupted:
        raise validation_error("query", "Query took too long") from None
    except BadQuery as e:
        raise validation_error("query", str(e)) from None
    except sqlite3.Error as e:
        raise validation_error("query", f"{type(e).__name__}: {e}") from None


def _links(request: Request, offset: int, limit: int) -> dict[str, str]:
    """CKAN's ``_links``: the request's own query string without ``offset`` (start), and the next page's."""
    arguments = {k: v for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)}
    start = {k: v for k, v in arguments.items() if k != "offset"}
    links = {
        "start": f"{request.path}?{urllib.parse.urlencode(start)}",
        "next": f"{request.path}?{urllib.parse.urlencode({'offset': offset + limit, **start})}",
    }
    if offset - limit > 0:
        links["prev"] = f"{request.path}?{urllib.parse.urlencode({'offset': offset - limit, **start})}"
    return links


def _typed(rows: list[Any], types: list[str]) -> list[tuple[Any, ...]]:
    """SQLite's 0/1 as JSON's false/true in the ``bool`` fields."""
    flags = [i for i, t in enumerate(types) if t == "bool"]
    if not flags:
        return [tuple(r) for r in rows]
    out = []
    for row in rows:
        values = list(row)
        for i in flags:
            values[i] = None if values[i] is None else bool(values[i])
        out.append(tuple(values))
    return out


def _records(rows: list[Any], names: list[str], records_format: str) -> Any:
    if records_format == "objects":
        return [dict(zip(names, row)) for row in rows]
    if records_format == "lists":
        return [list(row) for row in rows]
    out = io.StringIO()
    writer = csv.writer(out, delimiter="," if records_format == "csv" else "\t", lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue()


async def datastore_search(
    catalog: Catalog, params: Params, lang: str, *, datasette: Datasette, request: Request
) -> dict[str, Any]:
    """One resource's rows: ``resource_id`` with ``filters``, ``q``, ``fields``, ``sort``, ``limit``/``offset``."""
    resource_id = (text(params, "resource_id") or text(params, "id")).strip()
    if not resource_id:
        raise validation_error("resource_id", "Missing value")
    resource = catalog.resource(resource_id)
    package = catalog.package(resource.package) if resource else None
    if resource is None or package is None or not resource.datastore_active:
        raise not_found(f'Resource "{resource_id}" was not found.')
    columns = [("_id", "int"), *await _columns(datasette, package.kind)]
    known = dict(columns)
    fields = _names(params, "fields") or [c for c, _ in columns]
    for field in fields:
        if field not in known:
            raise _unknown("fields", field)
    where, args = ["agency_id = :agency"], {"agency": package.organization.id}

    def column(name: str) -> str:
        return "rowid" if name == "_id" else _quote(name)

    filters = _json_param(params, "filters")
    if filters is not None and not isinstance(filters, dict):
        raise validation_error("filters", "Must be an object of field names to values")
    for n, (field, value) in enumerate((filters or {}).items()):
        if field not in known:
            raise _unknown("filters", field)
        values = value if isinstance(value, list) else [value]
        if not values or not all(v is None or isinstance(v, (str, int, float)) for v in values):
            raise validation_error("filters", f'field "{field}": values must be strings or numbers')
        names = [f"f{n}_{i}" for i in range(len(values))]
        args.update(zip(names, values))
        where.append(f"{column(field)} IN ({', '.join(':' + x for x in names)})")
    q = _json_param(params, "q")
    searched = {f: _words(v, "q") for f, v in q.items()} if isinstance(q, dict) else {None: _words(q or "", "q")}
    for n, (field, words) in enumerate(searched.items()):
        if field is not None and field not in known:
            raise _unknown("q", field)
        targets = [column(field)] if field else [column(c) for c, t in columns if t == "text"]
        for i, word in enumerate(words):
            args[f"q{n}_{i}"] = _like(word)
            where.append("(" + " OR ".join(f"{t} LIKE :q{n}_{i} ESCAPE '\\'" for t in targets) + ")")
    order = []
    sort = text(params, "sort")
    for part in filter(None, (p.strip() for p in sort.split(","))):
        words = part.split()
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise validation_error("sort", f"Cannot sort by {part!r}: a field name, then asc or desc")
        name = words[0].strip('"')
        if name not in known:
            raise _unknown("sort", name)
        order.append(f"{column(name)} {words[1].upper() if len(words) == 2 else 'ASC'}")
    distinct = boolean(params, "distinct", False)
    include_total = boolean(params, "include_total", True)
    records_format = text(params, "records_format", "objects") or "objects"
    if records_format not in RECORDS_FORMATS:
        raise validation_error("records_format", f"Must be one of {', '.join(RECORDS_FORMATS)}")
    limit = natural(params, "limit", DEFAULT_LIMIT, maximum=datasette.max_returned_rows)
    offset = natural(params, "offset", 0)
    selected = ", ".join(f"{column(f)} AS {_quote(f)}" for f in fields)
    body = f"FROM [{package.kind}] WHERE {' AND '.join(where)}"
    keyword = "SELECT DISTINCT" if distinct else "SELECT"
    ordering = (
        f" ORDER BY {', '.join(order + ['rowid'])}"
        if not distinct
        else (f" ORDER BY {', '.join(order)}" if order else "")
    )
    rows = (
        await _run(
            datasette,
            f"{keyword} {selected} {body}{ordering} LIMIT :limit OFFSET :offset",
            {**args, "limit": limit, "offset": offset},
        )
    ).rows
    result: dict[str, Any] = {
        "include_total": include_total,
        "resource_id": resource_id,
        "fields": [{"type": known[f], "id": f} for f in fields],
        "records_format": records_format,
        "records": _records(_typed(rows, [known[f] for f in fields]), fields, records_format),
    }
    for echoed in ("filters", "q", "sort", "distinct", "limit", "offset"):
        if echoed in params:
            result[echoed] = {
                "filters": filters,
                "q": q,
                "sort": sort,
                "distinct": distinct,
                "limit": limit,
                "offset": offset,
            }[echoed]
    result["_links"] = _links(request, offset, limit)
    if include_total:
        counted = f"SELECT count(*) FROM (SELECT DISTINCT {selected} {body})" if distinct else f"SELECT count(*) {body}"
        result["total"] = (await _run(datasette, counted, args)).rows[0][0]
    return result


def _value_type(values: list[Any]) -> str:
    first = next((v for v in values if v is not None), None)
    if isinstance(first, bool) or isinstance(first, int):
        return "int8"
    if isinstance(first, float):
        return "float8"
    if isinstance(first, bytes):
        return "bytea"
    return "text"


async def datastore_search_sql(
    catalog: Catalog, params: Params, lang: str, *, datasette: Datasette, request: Request
) -> dict[str, Any]:
    """One read-only SELECT over the published tables (``sql``), under the same limits as Datasette's ``?sql=``."""
    sql = text(params, "sql").strip()
    if not sql:
        raise validation_error("sql", "Missing value")
    allowed = await datasette.permission_allowed(request.actor, "execute-sql", resource=common.DATABASE, default=True)
    if not allowed:
        raise ActionError(
            403,
            {"__type": "Authorization Error", "message": "Access denied: arbitrary SQL is turned off on this portal"},
        )
    try:
        validate_sql_select(sql)
    except InvalidSql as e:
        raise validation_error("query", str(e)) from None
    results = await _run(datasette, sql, None, truncate=True)
    names = [d[0] for d in results.description or ()]
    rows = [tuple(r) for r in results.rows]
    result: dict[str, Any] = {
        "sql": sql,
        "records": _records(rows, names, "objects"),
        "fields": [{"id": n, "type": _value_type([r[i] for r in rows])} for i, n in enumerate(names)],
    }
    if results.truncated:
        result["records_truncated"] = True
    return result
