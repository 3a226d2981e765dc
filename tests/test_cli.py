from __future__ import annotations

import json

import click
import pytest
import sqlite_utils
from click.testing import CliRunner

from shafaf.cli import cli


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, env=None):
        return runner.invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke


def _commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_command_has_help_with_an_example(run):
    for path, _command in _commands(cli):
        result = run(*path, "--help")
        assert result.exit_code == 0, path
        assert "Example" in result.output, f"shafaf {' '.join(path)} --help has no example"


def test_harvest_then_publish(run, registry_path, tmp_path):
    data_dir = tmp_path / "var"
    result = run("harvest", "--registry", registry_path, "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    assert "alpha   services" in result.output and "ok" in result.output
    result = run("publish", "--registry", registry_path, "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    assert sqlite_utils.Database(data_dir / "shafaf.db")["services"].count == 5


def test_environment_variables_set_the_paths(run, registry_path, tmp_path):
    env = {"SHAFAF_REGISTRY": str(registry_path), "SHAFAF_DATA_DIR": str(tmp_path / "envvar")}
    result = run("harvest", "beta", "--json", env=env)
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["agency_id"] for r in records] == ["beta"] and records[0]["outcome"] == "ok"
    assert (tmp_path / "envvar" / "packages" / "beta" / "services.csv").exists()


def test_unknown_agency_is_a_usage_error(run, registry_path, tmp_path):
    result = run("harvest", "gamma", "--registry", registry_path, "--data-dir", tmp_path / "var")
    assert result.exit_code == 2
    assert "unknown agency 'gamma'" in result.output and "Traceback" not in result.output


def test_missing_registry_is_one_clear_message(run, tmp_path):
    result = run("harvest", "--registry", tmp_path / "none.yml", "--data-dir", tmp_path / "var")
    assert result.exit_code == 1
    assert "none.yml" in result.output and "does not exist" in result.output and "Traceback" not in result.output


def test_malformed_registry_names_file_and_line(run, tmp_path):
    path = tmp_path / "agencies.yml"
    path.write_text("agencies:\n  - id: a\n   name_fa: x\n", encoding="utf-8")
    result = run("publish", "--registry", path, "--data-dir", tmp_path / "var")
    assert result.exit_code == 1
    assert f"{path}:" in result.output and "not valid YAML" in result.output


def test_failing_source_exits_non_zero_but_harvests_the_rest(run, registry_path, tmp_path):
    (registry_path.parent / "files" / "alpha_services.csv").unlink()
    result = run("harvest", "--registry", registry_path, "--data-dir", tmp_path / "var")
    assert result.exit_code == 1
    assert "not_found" in result.output and "alpha_services.csv" in result.output
    assert (tmp_path / "var" / "packages" / "beta" / "services.csv").exists()


def test_validate_exit_codes(run, tmp_path, registry_path):
    good = registry_path.parent / "files" / "beta_services.csv"
    result = run("validate", good, "--dataset", "services", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "valid as Services ('services'): 2 of 2 rows passed" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text("service_id,audience\nS1,aliens\n", encoding="utf-8")
    result = run("validate", bad, "--dataset", "services", "--agency", "alpha", "--lang", "en")
    assert result.exit_code == 1
    assert "constraint-error: 1" in result.output and "row 2, column audience" in result.output

    result = run("validate", bad, "--dataset", "services", "--json")
    assert result.exit_code == 1 and json.loads(result.stdout)["rows_failed"] == 1

    assert run("validate", tmp_path / "missing.csv", "--dataset", "services").exit_code == 2
    assert run("validate", bad, "--dataset", "nonsense").exit_code == 2


def test_status_lists_sources_and_last_runs(run, registry_path, tmp_path):
    data_dir = tmp_path / "var"
    run("harvest", "--registry", registry_path, "--data-dir", data_dir)
    result = run("status", "--registry", registry_path, "--data-dir", data_dir, "--json")
    rows = json.loads(result.stdout)
    assert {(r["agency_id"], r["source_id"], r["outcome"]) for r in rows} == {
        ("alpha", "services", "ok"),
        ("alpha", "service_performance", "ok"),
        ("beta", "services", "ok"),
    }
