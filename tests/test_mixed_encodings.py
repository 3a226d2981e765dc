"""A file that is not wholly in one encoding is refused with the byte and the row, never published garbled.

Issue 15 case 13: a mostly-ASCII CSV with one row of ``caf\\xe9 \\xed\\xa0\\x80``
fell back to Windows-1256 as a whole and was published as ``café ی\\xa0€``
with outcome ``ok``; a Windows-1256 file with one UTF-8 row published that
row as ``ط®ط¯ظ…طھ``; and the advice said "declare `encoding: utf-8`" for a
file that already was UTF-8. Each file is written here byte for byte and
harvested by the real ``shafaf harvest`` (and checked by ``shafaf validate``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_child import file_registry, run

pytestmark = pytest.mark.slow  # each file runs through a harvest and the CLI in processes of their own

HEADER = "service_id,name_fa,name_en\n"
PERSIAN_ROWS = "".join(f"S{i},خدمت شماره {i} برای شهروندان,Service {i}\n" for i in range(1, 30))
ASCII_ROWS = "".join(f"S{i},x{i},Service {i}\n" for i in range(1, 30))
ODD = "S99,خدمت ویژه,Special\n"


def cp1256(text: str) -> bytes:
    """As Excel on Persian Windows writes it: Arabic yeh and kaf (the code page has no Persian ones)."""
    return text.replace("ی", "ي").replace("ک", "ك").encode("cp1256")


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


# id: (bytes before the bad part, the bad part and the rest, declared, words the message must hold)
FILES = {
    "ASCII with caf\\xe9 \\xed\\xa0\\x80": (
        utf8(HEADER + ASCII_ROWS),
        b"S99,caf\xe9 \xed\xa0\x80,Cafe\n",
        None,
        ["neither UTF-8 nor Windows-1256", "byte E9", "café"],
    ),
    "UTF-8 with one Windows-1256 row": (
        utf8(HEADER + PERSIAN_ROWS),
        cp1256(ODD),
        None,
        ["mixes encodings", "rest of the file is UTF-8", "ویژه".replace("ی", "ي")],
    ),
    "Windows-1256 with one UTF-8 row": (
        cp1256(HEADER + PERSIAN_ROWS),
        utf8(ODD),
        None,
        ["mixes encodings", "this line is UTF-8", "one encoding"],
    ),
    "Latin-1 in a UTF-8 file": (
        utf8(HEADER + PERSIAN_ROWS),
        "S99,café,Cafe\n".encode("latin-1"),
        None,
        ["mixes encodings", "byte E9"],
    ),
    "CESU-8 surrogates": (
        utf8(HEADER + PERSIAN_ROWS),
        b"S99,\xed\xa0\xbd\xed\xb8\x80 emoji,X\n",
        None,
        ["surrogate", "ED A0 BD", "utf8mb4"],
    ),
    "overlong UTF-8": (utf8(HEADER + PERSIAN_ROWS), b"S99,a\xc0\xafb,X\n", None, ["overlong", "C0 AF"]),
    "a character cut off at the end": (
        utf8(HEADER + PERSIAN_ROWS),
        utf8("S99,خدمت")[:-1],
        None,
        ["cut short", "incomplete"],
    ),
    "UTF-16 with an odd byte count": (
        (HEADER + PERSIAN_ROWS).encode("utf-16")[:-1],
        b"",
        None,
        ["odd number of bytes", "cut short"],
    ),
    "UTF-16 without a BOM, odd": (
        (HEADER + PERSIAN_ROWS).encode("utf-16-le")[:-1],
        b"",
        None,
        ["odd number of bytes", "UTF-16 without a byte-order mark"],
    ),
    "declared UTF-8, one Windows-1256 row": (
        utf8(HEADER + PERSIAN_ROWS),
        cp1256(ODD),
        "utf-8",
        ["declared in the registry", "mixes encodings"],
    ),
    "declared Windows-1256, one UTF-8 row": (
        cp1256(HEADER + PERSIAN_ROWS),
        utf8(ODD),
        "cp1256",
        ["declared in the registry", "this line is UTF-8"],
    ),
}


def registry_for(tmp_path: Path, declared: str | None) -> Path:
    reg = file_registry(tmp_path, {"alpha": "services.csv"})
    if declared:
        reg.write_text(reg.read_text(encoding="utf-8") + f"        encoding: {declared}\n", encoding="utf-8")
    return reg


@pytest.mark.parametrize("case", list(FILES))
def test_a_file_in_two_encodings_is_refused_with_its_byte_and_row(tmp_path, case):
    good, bad, declared, words = FILES[case]
    (tmp_path / "services.csv").write_bytes(good + bad)
    reg = registry_for(tmp_path, declared)
    result = run(["harvest", "--json", "--registry", str(reg), "--data-dir", str(tmp_path / "var")])
    assert not result.crashed and result.returncode == 1, result.stderr
    (record,) = result.runs()
    message = record["message"]
    assert (record["outcome"], record["reason"]) == ("failed", "encoding"), record
    for word in words:
        assert word in message, message
    if bad:  # the bad part is the 31st row (the header is row 1): its first byte that is not UTF-8 is named,
        assert "(row 31" in message, message  # or, in a Windows-1256 file, the first byte of the UTF-8 row
        try:
            bad.decode("utf-8")
            first = 0
        except UnicodeDecodeError as e:
            first = e.start
        assert f"at byte {len(good) + first:,} (row 31" in message, message
    assert "declare `encoding: utf-8`" not in message  # the advice fits: none of these is a UTF-8 file misdeclared
    assert not (tmp_path / "var" / "packages" / "alpha" / "services.csv").exists()


@pytest.mark.parametrize("case", ["ASCII with caf\\xe9 \\xed\\xa0\\x80", "Windows-1256 with one UTF-8 row"])
def test_shafaf_validate_says_the_same(tmp_path, case):
    good, bad, _, words = FILES[case]
    (tmp_path / "services.csv").write_bytes(good + bad)
    result = run(["validate", str(tmp_path / "services.csv"), "--json"])
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["fatal_reason"] == "encoding"
    assert all(word in report["fatal_message"] for word in words) and "row 31" in report["fatal_message"]


@pytest.mark.parametrize(
    "data, declared",
    [
        (cp1256(HEADER + PERSIAN_ROWS), None),
        (cp1256(HEADER + PERSIAN_ROWS), "cp1256"),
        (utf8(HEADER + PERSIAN_ROWS), None),
        (utf8(HEADER + PERSIAN_ROWS), "utf-8"),
        ((HEADER + PERSIAN_ROWS).encode("utf-16"), None),
    ],
    ids=["windows-1256", "windows-1256 declared", "utf-8", "utf-8 declared", "utf-16"],
)
def test_a_file_wholly_in_one_encoding_still_passes(tmp_path, data, declared):
    (tmp_path / "services.csv").write_bytes(data)
    reg = registry_for(tmp_path, declared)
    result = run(["harvest", "--json", "--registry", str(reg), "--data-dir", str(tmp_path / "var")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert [(r["outcome"], r["rows_passed"]) for r in result.runs()] == [("ok", 29)]
