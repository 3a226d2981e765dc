"""S4: public SQL cannot write, attach, change the schema or load code, whatever shape the attempt takes.

Each attempt goes to a real ``shafaf serve`` through the SQL page (JSON and
HTML) and a table page's ``_where``; every one is refused with a 400 (never
a 5xx), and the published file's bytes are the same afterwards.
"""

from __future__ import annotations

import hashlib
import urllib.parse

import httpx
import pytest
from conftest import write_registry
from served import served

from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.harvest.runner import harvest
from shafaf.publish.dbfile import current_version
from shafaf.publish.writer import publish

ATTEMPTS = [
    "insert into services (agency_id, service_id) values ('x', 'y')",
    "update services set name_en = 'x'",
    "delete from services",
    "drop table services",
    "create table t (a)",
    "attach database '/tmp/x.db' as y",
    "attach ':memory:' as y",
    "pragma writable_schema = 1",
    "pragma journal_mode = delete",
    "pragma query_only = 0",
    "vacuum",
    "vacuum into '/tmp/copy.db'",
    "select load_extension('/tmp/x.so')",
    "select 1; delete from services",
    "/* a comment */ delete from services",
    "with x as (select 1) delete from services",
    "with x as (delete from services returning *) select * from x",
    "replace into services (agency_id) values ('x')",
    "select * from services; drop table services",
    "select writefile('/tmp/x', 'y')",
    "select edit('x')",
    "select fts3_tokenizer('simple')",
]


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    root = tmp_path_factory.mktemp("writes")
    reg = registry.load(write_registry(root / "src"))
    data = DataDir(root / "var")
    harvest(list(reg.agencies), registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    with served(reg.path, data.root, root / "serve.log") as base:
        yield base, data


def _digest(data: DataDir) -> str:
    return hashlib.sha256(current_version(data.public_db).read_bytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("sql", ATTEMPTS)
def test_a_write_or_escape_attempt_is_refused_and_changes_nothing(portal, sql):
    base, data = portal
    before = _digest(data)
    quoted = urllib.parse.quote(sql)
    with httpx.Client(base_url=base, timeout=30) as client:
        for path in (f"/shafaf.json?sql={quoted}", f"/shafaf?sql={quoted}", f"/shafaf/services.json?_where={quoted}"):
            answer = client.get(path)
            assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text[:300])
        post = client.post("/shafaf/-/query", data={"sql": sql})
        assert post.status_code < 500 and post.status_code != 200 or "error" in post.text.lower(), post.text[:300]
        assert client.get("/shafaf.json?sql=select+count(*)+as+n+from+services&_shape=array").json()[0]["n"] > 0
    assert _digest(data) == before


def test_the_whole_database_is_not_downloadable(portal):
    """P7: ``allow_download`` is off: the file itself is never served (its full downloads are, at /downloads/)."""
    base, _ = portal
    for path in ("/shafaf.db", "/shafaf.db?_hash=1", "/-/shafaf.db"):
        assert httpx.get(base + path, timeout=10).status_code in (403, 404), path
