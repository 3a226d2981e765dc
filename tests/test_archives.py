"""H7: zip archives are checked before extraction and capped while extracting."""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason
from shafaf.harvest.archives import ArchiveLimits, extract_zip, is_zip, unsafe_member_name

MB = 1 << 20


def make_zip(
    path: Path, members: dict[str | zipfile.ZipInfo, bytes], *, compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def everything_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def rejected(archive: Path, dest: Path, limits: ArchiveLimits = ArchiveLimits()) -> HarvestError:
    with pytest.raises(HarvestError) as info:
        extract_zip(archive, dest, limits)
    assert info.value.reason == Reason.ARCHIVE_REJECTED
    assert not dest.exists(), "a rejected archive leaves nothing behind"
    return info.value


def test_a_good_archive_extracts_into_its_folder(tmp_path):
    archive = make_zip(
        tmp_path / "good.zip", {"datapackage.json": b"{}", "data/services.csv": b"id\n1\n", "data/": b""}
    )
    files = extract_zip(archive, tmp_path / "out", ArchiveLimits())
    assert sorted(p.relative_to((tmp_path / "out").resolve()).as_posix() for p in files) == [
        "data/services.csv",
        "datapackage.json",
    ]
    assert (tmp_path / "out" / "data" / "services.csv").read_bytes() == b"id\n1\n"
    assert is_zip(archive) and not is_zip(tmp_path / "out" / "data" / "services.csv")


def test_a_compression_bomb_is_refused_on_its_ratio_before_anything_is_written(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("zeros.csv", "w") as member:
        block = bytes(MB)
        for _ in range(64):  # 64 MB of zeros → about 64 KB: streamed, never held in memory
            member.write(block)
    assert archive.stat().st_size < 200_000
    error = rejected(archive, tmp_path / "run" / "out")
    assert "'zeros.csv'" in str(error) and "expands" in str(error)
    assert everything_under(tmp_path) == {"bomb.zip", "run"}


def test_the_sum_of_declared_sizes_is_capped_by_the_run_byte_cap(tmp_path):
    members = {f"part{n}.bin": os.urandom(300_000) for n in range(4)}  # incompressible: no ratio alarm
    archive = make_zip(tmp_path / "big.zip", members, compression=zipfile.ZIP_STORED)
    error = rejected(archive, tmp_path / "out", ArchiveLimits(max_bytes=MB))
    assert "more than 1,048,576 bytes" in str(error) and "'part3.bin'" in str(error)


def test_ten_thousand_members_are_refused(tmp_path):
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for n in range(10_000):
            zf.writestr(f"f{n}.csv", b"")
    error = rejected(archive, tmp_path / "out")
    assert "10000 members" in str(error)


@pytest.mark.parametrize(
    "name, why",
    [
        ("../../x", "'..'"),
        ("data/../../x", "'..'"),
        ("/abs", "absolute"),
        ("..\\..\\x", "backslash"),
        ("C:/windows/x", "drive"),
    ],
)
def test_member_names_that_escape_the_folder_are_refused(tmp_path, name, why):
    run = tmp_path / "run"
    run.mkdir()
    archive = make_zip(tmp_path / "evil.zip", {"ok.csv": b"id\n", zipfile.ZipInfo(name): b"owned"})
    error = rejected(archive, run / "out")
    assert repr(name) in str(error) and why in str(error)
    assert everything_under(tmp_path) == {"evil.zip", "run"}  # nothing written anywhere, not even ok.csv
    assert not Path("/abs").exists()


def test_a_symlink_entry_is_refused(tmp_path):
    link = zipfile.ZipInfo("passwd.csv")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip(tmp_path / "link.zip", {link: b"/etc/passwd"})
    error = rejected(archive, tmp_path / "out")
    assert "'passwd.csv' is a symbolic link" in str(error)


def test_duplicate_and_encrypted_members_are_refused(tmp_path):
    archive = tmp_path / "dup.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.csv", b"1")
        with pytest.warns(UserWarning):
            zf.writestr("a.csv", b"2")
    assert "appears twice" in str(rejected(archive, tmp_path / "out"))
    archive = make_zip(tmp_path / "locked.zip", {"secret.csv": b"xx"}, compression=zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())
    raw[raw.rindex(b"PK\x01\x02") + 8] |= 0x1  # the "encrypted" flag, in the central directory
    archive.write_bytes(bytes(raw))
    assert "encrypted" in str(rejected(archive, tmp_path / "out2"))


def test_a_member_bigger_than_its_header_says_is_never_trusted(tmp_path):
    """The central directory claims 10 bytes; the stream holds 100 KB. Extraction stops, nothing is kept."""
    archive = make_zip(tmp_path / "liar.zip", {"data.csv": b"x" * 100_000})
    raw = bytearray(archive.read_bytes())
    central = raw.rindex(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, 10)  # uncompressed size in the central directory
    archive.write_bytes(bytes(raw))
    assert zipfile.ZipFile(archive).infolist()[0].file_size == 10
    error = rejected(archive, tmp_path / "out")
    assert "'data.csv'" in str(error)


def test_not_a_zip_is_rejected(tmp_path):
    archive = tmp_path / "fake.zip"
    archive.write_bytes(b"PK\x03\x04 but nothing else")
    assert "not a readable zip" in str(rejected(archive, tmp_path / "out"))


@pytest.mark.parametrize("name", ["", "/", "a/../../b", "\\x", "D:x", "a\x00b", "../x"])
def test_unsafe_member_names(name):
    assert unsafe_member_name(name)


@pytest.mark.parametrize("name", ["a.csv", "data/b.csv", "dir/", "..a/b", "a..b.csv"])
def test_safe_member_names(name):
    assert unsafe_member_name(name) is None
