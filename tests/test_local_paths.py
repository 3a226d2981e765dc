"""File sources and ``shafaf validate PATH`` read regular files only, within limits (issue 15 cases 10, 11).

Before ``localfile``: ``path: /dev/zero`` copied 7.7 GB into ``var/raw`` in
25 s, a FIFO hung the harvest until it was killed, both were reported as
"does not exist", and a symbolic link loop gave a pathlib traceback in
every command that loads the registry (harvest, publish, status). Every
case runs the real command line in a child (``cli_child``) with a timeout,
so a hang fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pytest
from cli_child import file_registry, run

pytestmark = pytest.mark.slow  # every unreadable path through the CLI in processes

GOOD = "service_id,name_fa,name_en\nS1,خدمت,One\n"


def bad_paths(root: Path) -> dict[str, tuple[str, str, str]]:
    """{agency: (path as the registry writes it, reason, words of the message)} for each kind of unreadable path."""
    files = root / "files"
    files.mkdir(parents=True)
    (files / "good.csv").write_text(GOOD, encoding="utf-8")
    (files / "self.csv").symlink_to("self.csv")
    (files / "a.csv").symlink_to("b.csv")
    (files / "b.csv").symlink_to("a.csv")
    (files / "dangling.csv").symlink_to("nowhere.csv")
    (files / "folder.csv").mkdir()
    os.mkfifo(files / "fifo.csv")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(files / "socket.csv"))
    sock.close()
    return {
        "loop": ("files/self.csv", "unreadable", "symbolic link loop (self.csv -> self.csv)"),
        "loop-ab": ("files/a.csv", "unreadable", "symbolic link loop (a.csv -> b.csv -> a.csv)"),
        "dangling": ("files/dangling.csv", "not_found", "symbolic link to 'nowhere.csv', which does not exist"),
        "missing": ("files/none.csv", "not_found", "does not exist"),
        "through-a-file": ("files/good.csv/x.csv", "not_found", "goes through a file"),
        "nul": ("files/a\x00b.csv", "unreadable", "NUL byte"),
        "long": ("x" * 5000 + ".csv", "unreadable", "longer than the system's limit"),
        "folder": ("files/folder.csv", "unreadable", "is a folder, not a file"),
        "fifo": ("files/fifo.csv", "unreadable", "is a FIFO (named pipe)"),
        "socket": ("files/socket.csv", "unreadable", "is a socket"),
        "zero": ("/dev/zero", "unreadable", "is a character device"),
    }


def test_every_unreadable_path_fails_its_run_with_what_it_is(tmp_path):
    cases = bad_paths(tmp_path)
    del cases["nul"]  # the registry itself refuses a NUL anywhere (text_checks; the next test)
    reg = file_registry(tmp_path, {"good": "files/good.csv", **{a: p for a, (p, _, _) in cases.items()}})
    result = run(["harvest", "--json", "--registry", str(reg), "--data-dir", str(tmp_path / "var")], timeout=60)
    assert not result.crashed, result.stderr[-3000:]
    assert result.returncode == 1
    runs = {r["agency_id"]: r for r in result.runs()}
    assert runs.pop("good")["outcome"] == "ok"  # the others do not stop a good source
    for agency, (_, reason, words) in cases.items():
        assert (runs[agency]["outcome"], runs[agency]["reason"]) == ("failed", reason), runs[agency]
        assert words in runs[agency]["message"], runs[agency]["message"]
    # The registry names each with its line, once, as a warning (the runs are the failures).
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == len(cases) and all("agencies.yml:" in w for w in warnings), warnings
    raw = sum(f.stat().st_size for f in (tmp_path / "var" / "raw").rglob("*") if f.is_file() and f.name != "run.json")
    assert raw == len(GOOD.encode())  # nothing of /dev/zero, the FIFO or the socket was copied


def test_a_nul_in_a_registry_path_is_a_registry_problem_with_its_line(tmp_path):
    reg = file_registry(tmp_path, {"good": "files/good.csv", "nul": "files/a\x00b.csv"})
    result = run(["harvest", "--json", "--registry", str(reg), "--data-dir", str(tmp_path / "var")], timeout=60)
    assert not result.crashed and result.returncode != 0, result.stderr[-3000:]
    assert "agencies.yml:" in result.stderr and "U+0000" in result.stderr, result.stderr[-3000:]


@pytest.mark.parametrize("command", [["publish"], ["status"], ["schedule", "show", "loop"]])
def test_commands_that_load_the_registry_do_not_trip_on_a_bad_path(tmp_path, command):
    cases = bad_paths(tmp_path)
    reg = file_registry(tmp_path, {a: p for a, (p, _, _) in cases.items()})
    result = run([*command, "--registry", str(reg), "--data-dir", str(tmp_path / "var")], timeout=60)
    assert not result.crashed and result.returncode in (0, 1), (result.returncode, result.stderr[-3000:])


def test_permission_denied_is_named(tmp_path):
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: no way to be refused a file")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "services.csv").write_text(GOOD, encoding="utf-8")
    (tmp_path / "locked").chmod(0o000)
    try:
        reg = file_registry(tmp_path, {"alpha": "locked/services.csv"})
        result = run(
            ["harvest", "--json", "--registry", str(reg), "--data-dir", str(tmp_path / "var")],
            without_dac=os.geteuid() == 0,
            timeout=60,
        )
        validated = run(["validate", str(tmp_path / "locked" / "services.csv")], without_dac=os.geteuid() == 0)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert not result.crashed, result.stderr
    (record,) = result.runs()
    assert record["reason"] == "unreadable" and "permission denied" in record["message"], record
    assert validated.returncode == 2 and "permission denied" in validated.stderr, validated.stderr


def test_a_file_larger_than_the_byte_cap_is_refused_and_leaves_nothing(tmp_path):
    (tmp_path / "services.csv").write_text(GOOD + "S2,دو,Two\n" * 50_000, encoding="utf-8")
    reg = file_registry(tmp_path, {"alpha": "services.csv"}, portal="fetch_max_bytes: 100000\n")
    result = run(["harvest", "--json", "--registry", str(reg), "--data-dir", str(tmp_path / "var")])
    (record,) = result.runs()
    assert (record["outcome"], record["reason"]) == ("failed", "too_large") and "100,000 bytes" in record["message"]
    assert [f.name for f in (tmp_path / "var" / "raw").rglob("*") if f.is_file()] == ["run.json"]


def test_shafaf_validate_names_what_the_path_is(tmp_path):
    cases = bad_paths(tmp_path)
    del cases["nul"]  # no command line can hold a NUL byte: only a registry can
    del cases["folder"]  # validate reads a folder's files (test_shafaf_validate_of_a_folder...)
    for agency, (path, _, words) in cases.items():
        result = run(["validate", "--dataset", "services", path], cwd=tmp_path, timeout=30)
        assert not result.crashed and result.returncode == 2, (agency, result.stderr)
        assert words in result.stderr, (agency, result.stderr)


def test_shafaf_validate_of_a_folder_skips_what_cannot_be_read(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "services.csv").write_text(GOOD, encoding="utf-8")
    os.mkfifo(folder / "service_performance.csv")
    (folder / "targets.csv").symlink_to("targets.csv")
    result = run(["validate", str(folder), "--json"], timeout=30)
    assert not result.crashed and result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [f["file"] for f in report["files"]] == ["services.csv"]
    assert sorted(report["skipped"], key=lambda s: s["file"]) == [
        {"file": "service_performance.csv", "reason": "unreadable"},
        {"file": "targets.csv", "reason": "unreadable"},
    ]
    (folder / "datapackage.json").write_text(
        json.dumps(
            {
                "resources": [
                    {"name": "services", "path": "services.csv"},
                    {"name": "targets", "path": "targets.csv"},
                    {"name": "activities", "path": "gone.csv"},
                ]
            }
        ),
        encoding="utf-8",
    )
    report = json.loads(run(["validate", str(folder), "--json"], timeout=30).stdout)
    assert {s["file"]: s["reason"] for s in report["skipped"]} == {"targets.csv": "unreadable", "gone.csv": "missing"}


def test_the_copy_keeps_to_the_deadline_and_the_cap_of_a_slow_or_endless_reader(tmp_path):
    """``copy_capped`` on a real pipe: a writer that drips one byte every 50 ms, then one that never stops."""
    import threading
    import time

    from shafaf.core import localfile
    from shafaf.core.errors import HarvestError

    def copy(every: float, block: bytes, **limits):
        read_fd, write_fd = os.pipe()
        stop = threading.Event()

        def write() -> None:
            with os.fdopen(write_fd, "wb", buffering=0) as out:
                while not stop.is_set():
                    try:
                        out.write(block)
                    except BrokenPipeError:
                        return
                    time.sleep(every)

        writer = threading.Thread(target=write)
        writer.start()
        started = time.monotonic()
        try:
            with os.fdopen(read_fd, "rb", buffering=0) as reader, pytest.raises(HarvestError) as e:
                localfile.copy_capped(reader, tmp_path / "copy", label="the pipe", **limits)
        finally:
            stop.set()
            writer.join()
        return e.value, time.monotonic() - started

    error, took = copy(0.05, b"x", max_bytes=10**9, deadline_s=0.5)
    assert error.reason == "deadline_exceeded" and took < 2
    error, _ = copy(0, b"x" * 65536, max_bytes=1_000_000, deadline_s=30)
    assert error.reason == "too_large" and "1,000,000 bytes" in error.message
    assert not (tmp_path / "copy").exists()  # nothing half-copied stays
