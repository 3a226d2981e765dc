"""Agencies' tokens: printed once, stored as a hash in state.db only, revocable."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from shafaf.cli import cli
from shafaf.core.errors import UsageError
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish
from shafaf.state import tokens
from shafaf.state.store import StateStore


@pytest.fixture
def state(data):
    return StateStore(data.state_db)


def test_a_token_verifies_as_its_agency_until_revoked(state):
    token, info = tokens.create(state, "alpha", note="data office")
    assert token.startswith("shafaf_") and len(token) > 50
    assert tokens.verify(state, token) == "alpha"
    assert tokens.listing(state)[0].last_used is not None
    tokens.revoke(state, info.token_id)
    assert tokens.verify(state, token) is None
    assert tokens.listing(state, "alpha")[0].revoked is not None


@pytest.mark.parametrize("bad", ["", "x", "shafaf_", "Bearer", "shafaf_000000000000_" + "a" * 43])
def test_malformed_and_unknown_tokens_verify_as_nobody(state, bad):
    tokens.create(state, "alpha")
    assert tokens.verify(state, bad) is None


def test_a_right_id_with_a_wrong_secret_is_refused(state):
    token, info = tokens.create(state, "alpha")
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert tokens.verify(state, forged) is None


def test_only_the_hash_is_stored_and_never_in_the_public_database(reg, data, state):
    token, _ = tokens.create(state, "alpha")
    harvest(reg.agencies, registry=reg, data=data)
    publish(reg.agencies, registry=reg, data=data)
    secret = token.rsplit("_", 1)[1].encode()
    for path in data.root.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path
    with sqlite3.connect(data.public_db) as db:
        names = {row[0] for row in db.execute("select name from sqlite_master")}
    assert "tokens" not in names and not any("token" in n for n in names)


def test_revoking_an_unknown_id_is_a_usage_error(state):
    with pytest.raises(UsageError, match="no token"):
        tokens.revoke(state, "nope")


def test_token_commands(registry_path, data):
    runner = CliRunner()
    common = ["--registry", str(registry_path), "--data-dir", str(data.root)]
    created = runner.invoke(cli, ["token", "create", "alpha", *common])
    assert created.exit_code == 0
    token = created.stdout.strip()
    assert tokens.verify(StateStore(data.state_db), token) == "alpha"
    listed = runner.invoke(cli, ["token", "list", "--json", *common])
    assert token not in listed.stdout and '"agency_id": "alpha"' in listed.stdout
    token_id = tokens.listing(StateStore(data.state_db))[0].token_id
    assert runner.invoke(cli, ["token", "revoke", token_id, *common]).exit_code == 0
    assert tokens.verify(StateStore(data.state_db), token) is None
    assert runner.invoke(cli, ["token", "create", "gamma", *common]).exit_code == 2  # not in the registry
