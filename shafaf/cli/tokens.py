"""The ``shafaf token`` group: an agency's tokens for "harvest now" and its own schedule (only a hash is kept)."""

from __future__ import annotations

from pathlib import Path

import click

from shafaf.cli.options import common, friendly, json_records, table
from shafaf.config import registry as registry_mod
from shafaf.core.datadir import DataDir
from shafaf.state.store import StateStore


def _agency(reg: registry_mod.Registry, agency_id: str) -> registry_mod.Agency:
    return reg.select([agency_id])[0]


# --- scheduler -------------------------------------------------------------------


@click.group()
def token() -> None:
    """Agencies' API tokens: create (printed once), list, revoke.

    Only a SHA-256 of each token is kept, in DATA_DIR/state.db. A token lets
    its agency, and only it, ask for a harvest (POST
    /-/agencies/<id>/harvest) and set its schedules (PUT
    /-/agencies/<id>/schedule).

    \b
    Example:
        shafaf token create tax
        shafaf token list
        shafaf token revoke 3f9a0c12d4e5
    """


@token.command("create")
@click.argument("agency")
@click.option("--note", default=None, help="Who holds it, to recognise it in 'token list'.")
@common
@friendly
def token_create(agency: str, note: str | None, data_dir: Path, registry_path: Path) -> None:
    """Create a token for AGENCY and print it; it is never shown again.

    \b
    Example:
        shafaf token create tax --note "data office, Ms Karimi"
    """
    from shafaf.state import tokens

    agency_id = _agency(registry_mod.load(registry_path), agency).id
    secret, info = tokens.create(StateStore(DataDir(data_dir).state_db), agency_id, note=note)
    click.echo(secret)
    click.echo(
        f"token {info.token_id} of {agency_id}: keep it secret; it is not stored and cannot be shown again", err=True
    )


@token.command("list")
@click.argument("agency", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@common
@friendly
def token_list(agency: str | None, as_json: bool, data_dir: Path, registry_path: Path) -> None:
    """List tokens (of AGENCY, or all): id, agency, created, last used, revoked. Never the tokens.

    \b
    Example:
        shafaf token list
        shafaf token list tax --json
    """
    import dataclasses

    from shafaf.state import tokens

    infos = tokens.listing(StateStore(DataDir(data_dir).state_db), agency)
    if as_json:
        click.echo(json_records([dataclasses.asdict(i) for i in infos]))
        return
    keys = ["token_id", "agency_id", "created", "last_used", "revoked", "note"]
    click.echo(table([[getattr(i, k) or "" for k in keys] for i in infos], [k.replace("_id", "") for k in keys]))


@token.command("revoke")
@click.argument("token_id")
@common
@friendly
def token_revoke(token_id: str, data_dir: Path, registry_path: Path) -> None:
    """Revoke the token TOKEN_ID (from 'shafaf token list'); it stops working at once.

    \b
    Example:
        shafaf token revoke 3f9a0c12d4e5
    """
    from shafaf.state import tokens

    info = tokens.revoke(StateStore(DataDir(data_dir).state_db), token_id)
    click.echo(f"token {info.token_id} of {info.agency_id} revoked at {info.revoked}")


# --- schedule --------------------------------------------------------------------
