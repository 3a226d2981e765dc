"""A full disk during a harvest is the portal's problem, said as such; nothing is lost (P2, issue 15 case 9).

Before: the run blamed the agency's file (``unreadable``, "OSError: [Errno
28]") and a partial capture stayed in ``var/raw``. Now every harvest step
that writes (copying a file source, streaming an HTTP body, extracting an
archive, staging the package) ends ``failed`` with ``reason=disk_full`` and
a message saying the portal's disk is full, the partial capture is removed
and the last good staged package is byte for byte what it was. The full
disk is ``RLIMIT_FSIZE`` (as tests/test_publish_crash.py uses: a write past
it fails with EFBIG), and a real ENOSPC on a small tmpfs where root may
mount one.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import random
import sqlite3
import subprocess
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pytest
from cli_child import run
from faultserver import respond

from shafaf.core import diskfull

pytestmark = pytest.mark.slow  # each case fills a small real disk under a harvest

CSV = {"Content-Type": "text/csv"}


def services_csv(rows: int, seed: int = 1) -> bytes:
    """A valid services file that does not compress much (random words), so an archive of it is not refused."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)) for _ in range(5000)]
    lines = ["service_id,name_fa,name_en"] + [
        f"S{i},خدمت {i},{rng.choice(words)} {rng.choice(words)}" for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def registry(root: Path, source: str) -> Path:
    path = root / "agencies.yml"
    path.write_text(
        textwrap.dedent("""\
        portal:
          allow_private_networks: true
          fetch_retries: 0
        agencies:
          - id: alpha
            name_fa: الف
            name_en: Alpha
            sources:
        """)
        + textwrap.indent(textwrap.dedent(source), " " * 6),
        encoding="utf-8",
    )
    return path


def harvest(root: Path, *, fsize: int | None = None):
    return run(
        ["harvest", "--json", "--force", "--registry", str(root / "agencies.yml"), "--data-dir", str(root / "var")],
        fsize_limit=fsize,
        timeout=120,
    )


def package_state(root: Path) -> dict[str, str]:
    pkg = root / "var" / "packages" / "alpha"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(pkg.rglob("*")) if p.is_file()}


def assert_disk_full_and_nothing_lost(
    root: Path, result, before: dict[str, str], *, captured: tuple[str, ...] = ()
) -> None:
    """``captured``: files of a whole capture that stay in the run's folder (staging failed, not the capture)."""
    assert not result.crashed, result.stderr[-3000:]
    assert result.returncode == 1
    (record,) = result.runs()
    assert (record["outcome"], record["reason"]) == ("failed", "disk_full"), record
    assert (
        "the portal's disk is full" in record["message"] and "not a problem of the agency's file" in record["message"]
    )
    assert "Errno 27" in record["message"] or "Errno 28" in record["message"]  # the system's own words, at the end
    assert package_state(root) == before  # the last good staged package, byte for byte
    leftovers = [p.name for p in (root / "var" / "raw" / "alpha" / record["run_id"]).rglob("*") if p.is_file()]
    assert sorted(leftovers) == sorted(["run.json", *captured]), leftovers  # no partial capture
    pkg = root / "var" / "packages" / "alpha"
    assert not [p.name for p in pkg.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


def first_good_harvest(root: Path) -> dict[str, str]:
    result = harvest(root)
    assert result.returncode == 0, result.stdout + result.stderr
    return package_state(root)


def test_copying_a_file_source(tmp_path):
    (tmp_path / "services.csv").write_bytes(services_csv(100))
    registry(tmp_path, "- dataset: services\n  path: services.csv\n")
    before = first_good_harvest(tmp_path)
    (tmp_path / "services.csv").write_bytes(services_csv(20_000, seed=2))  # about 1 MB
    assert_disk_full_and_nothing_lost(tmp_path, harvest(tmp_path, fsize=400_000), before)


def test_streaming_an_http_body(tmp_path, fault_server):
    fault_server.add("/services.csv", respond(200, services_csv(100), CSV))
    registry(tmp_path, f"- dataset: services\n  kind: http\n  url: {fault_server.url('/services.csv')}\n")
    before = first_good_harvest(tmp_path)
    fault_server.add("/services.csv", respond(200, services_csv(20_000, seed=2), CSV))
    assert_disk_full_and_nothing_lost(tmp_path, harvest(tmp_path, fsize=400_000), before)


def test_extracting_an_archive(tmp_path, fault_server):
    def zipped(rows: int, seed: int) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("datapackage.json", json.dumps({"resources": [{"name": "services", "path": "services.csv"}]}))
            zf.writestr("services.csv", services_csv(rows, seed))
        return buffer.getvalue()

    fault_server.add("/package.zip", respond(200, zipped(100, 1), {"Content-Type": "application/zip"}))
    registry(tmp_path, f"- dataset: services\n  kind: datapackage\n  url: {fault_server.url('/package.zip')}\n")
    before = first_good_harvest(tmp_path)
    big = zipped(40_000, 2)
    fault_server.add("/package.zip", respond(200, big, {"Content-Type": "application/zip"}))
    assert len(big) < 900_000  # the download fits under the limit; its 2 MB member does not
    assert_disk_full_and_nothing_lost(tmp_path, harvest(tmp_path, fsize=1_000_000), before)


def test_staging_the_package(tmp_path):
    def workbook(rows: int) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["service_id", "name_fa", "name_en", "description"])
        for i in range(rows):
            sheet.append([f"S{i}", f"خدمت {i}", f"Service {i}", "the same long description of a service " * 3])
        book.save(tmp_path / "services.xlsx")

    workbook(100)
    registry(tmp_path, "- dataset: services\n  path: services.xlsx\n")
    before = first_good_harvest(tmp_path)
    workbook(20_000)  # an xlsx of ~400 KB whose staged CSV is ~3 MB
    assert (tmp_path / "services.xlsx").stat().st_size < 700_000
    result = harvest(tmp_path, fsize=800_000)
    assert_disk_full_and_nothing_lost(tmp_path, result, before, captured=("services.xlsx",))
    assert result.runs()[0]["phase"] == "validate"


def test_a_real_enospc_on_a_small_raw_disk(tmp_path, fault_server):
    """``var/raw`` on its own 2 MB tmpfs (a separate volume for captures): ENOSPC, not EFBIG."""
    fault_server.add("/services.csv", respond(200, services_csv(100), CSV))
    registry(tmp_path, f"- dataset: services\n  kind: http\n  url: {fault_server.url('/services.csv')}\n")
    before = first_good_harvest(tmp_path)
    raw = tmp_path / "var" / "raw"
    for old in sorted(raw.rglob("*"), reverse=True):
        old.unlink() if old.is_file() else old.rmdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(raw)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        fault_server.add("/services.csv", respond(200, services_csv(60_000, seed=2), CSV))  # about 3 MB
        result = harvest(tmp_path)
        assert_disk_full_and_nothing_lost(tmp_path, result, before)
        assert "Errno 28" in result.runs()[0]["message"]
    finally:
        subprocess.run(["umount", str(raw)], check=True)


@pytest.mark.parametrize(
    "error, full",
    [
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
        (OSError(errno.EFBIG, "File too large"), True),
        (OSError(errno.EACCES, "Permission denied"), False),
        (sqlite3.OperationalError("database or disk is full"), True),
    ],
)
def test_the_one_classification_and_its_causes(error, full):
    assert diskfull.is_disk_full(error) is full
    try:  # wrapped by a library in its own exception, as frictionless and csv do
        try:
            raise error
        except Exception as inner:
            raise RuntimeError("the library's words") from inner
    except RuntimeError as outer:
        assert diskfull.is_disk_full(outer) is full
