"""Every parameter, with hostile and clumsy values, on every public page answers without a 5xx (issue 15).

The sweeps of ``test_bad_requests`` (its portal, parameters and values), in a file of their own: they measure no
time, so they run beside other tests in CI's parallel part while the timing tests stay serial.
"""

from __future__ import annotations

import asyncio
import os

import pytest
import test_bad_requests as bad

from shafaf.standard import search_index, tables

pytestmark = pytest.mark.slow  # about 19k requests against a served portal: two minutes

site, portal = bad.site, bad.portal  # the same module-scoped fixtures: a portal of this file's own
fire, queries, row_path = bad.fire, bad.queries, bad.row_path
NASTIEST, NASTIEST_FILTER_VALUES = bad.NASTIEST, bad.NASTIEST_FILTER_VALUES


def test_every_parameter_on_the_services_pages_answers_without_a_5xx(portal):
    base, _ = portal
    row = row_path(base, "services")
    pages = ["/shafaf/services", "/shafaf/services.json", "/shafaf.json?sql=select+*+from+services&", row + ".json"]
    paths = [
        f"{page}{'' if page.endswith('&') else '?'}{query}"
        for page in pages
        for query in queries(NASTIEST, NASTIEST_FILTER_VALUES)
    ]
    assert asyncio.run(fire(base, paths)) == []


def test_every_parameter_on_every_public_table_and_row_page_answers_without_a_5xx(portal):
    """Every table (the search index's included) and its first row, in every format: every parameter with the
    values that found a 500 somewhere; and on the services pages and the SQL page, every value.

    Each (parameter, value) goes to every table once, on one of its page forms in turn (HTML, JSON, CSV, row,
    row JSON): the forms share Datasette's parameter handling, the tables differ in columns, keys and shape.
    The twelve tables of the search index share one shape and are taken as one; on the services pages every
    value goes to one table form and one row or SQL form, in turn. About 19k requests; with
    ``SHAFAF_BAD_REQUESTS_FULL=1`` every value goes to every form of every table (about 140k)."""
    base, _ = portal
    full = os.environ.get("SHAFAF_BAD_REQUESTS_FULL") == "1"
    nasty = queries(NASTIEST, NASTIEST_FILTER_VALUES)

    def forms(table: str) -> list[str]:
        row = row_path(base, table)
        return [
            f"/shafaf/{table}",
            f"/shafaf/{table}.json",
            f"/shafaf/{table}.csv",
            *([row, row + ".json"] if row else []),
        ]

    groups = [forms(table) for table in tables.PUBLIC_TABLES]
    search = [page for table in search_index.SEARCH_TABLES for page in forms(table)]
    groups += [[page] for page in search] if full else [search]
    paths = []
    for pages in groups:
        if full:
            paths += [f"{page}?{query}" for page in pages for query in nasty]
        else:
            paths += [f"{pages[i % len(pages)]}?{query}" for i, query in enumerate(nasty)]
    row = row_path(base, "services")
    table_forms = ("/shafaf/services?", "/shafaf/services.json?", "/shafaf/services.csv?_stream=on&")
    other_forms = (f"{row}.json?", "/shafaf.json?sql=select+*+from+services&", "/shafaf?sql=select+*+from+services&")
    for i, query in enumerate(queries()):
        # Every value reaches a table form and a row-or-SQL form (each form a third of them, in turn); the full
        # run sends each to all six.
        pages = table_forms + other_forms if full else (table_forms[i % 3], other_forms[(i // 3) % 3])
        paths += [f"{page}{query}" for page in pages]
    assert asyncio.run(fire(base, paths)) == []
