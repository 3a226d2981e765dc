"""One piece for each thing that was copied (issue 17, "Copies of one thing").

Each rule below was written in two to four modules; now one module owns it
and the others use it. The source scan fails when a copy comes back; the
behaviour checks show that the users of each piece agree with it.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from pathlib import Path

import pytest

from shafaf.core import durable
from shafaf.core.formats import FORMAT_BY_SUFFIX, FORMATS, format_of_name
from shafaf.core.ids import AGENCY_ID, AGENCY_ID_PATTERN
from shafaf.normalize.periods import fiscal_year

ROOT = Path(__file__).resolve().parent.parent / "shafaf"

# A literal -> the only modules that may write it (and why, where it is not the owner).
OWNERS = {
    "[a-z0-9-]{1,64}": {
        "core/ids.py",
        "validate/messages.py",
    },  # the Table Schemas' pattern, named for a reader (not a check)
    '".tsv": "csv"': {"core/formats.py"},
    '{"INTEGER": int': {"standard/__init__.py"},
    'execute("BEGIN IMMEDIATE")': {
        "core/durable.py",
        "publish/writer.py",
    },  # an agency's publish, which reports instead of raising
    "os.replace(": {
        "core/durable.py",
        "publish/dbfile.py",  # the version swap: a link renamed over the served one
        "publish/exports.py",
    },  # a set of files renamed together once all are complete
    ".fromgregorian(date=day).year": {"normalize/periods.py"},  # fiscal_year
    'FORMATS = ("csv", "xlsx", "json")': set(),
    'or "name asc"': {"datasette_plugins/ckan/params.py"},  # list_sort: the *_list actions' sort
}


@pytest.mark.parametrize("literal", list(OWNERS))
def test_each_piece_is_written_in_one_module(literal):
    found = {str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py") if literal in p.read_text(encoding="utf-8")}
    assert found <= OWNERS[literal], f"{literal!r} is written again in {sorted(found - OWNERS[literal])}"


def test_the_ids_of_routes_registry_and_exports_are_one_pattern():
    from shafaf.config import registry
    from shafaf.datasette_plugins import common
    from shafaf.publish import exports

    assert registry.AGENCY_ID is AGENCY_ID and exports.AGENCY_ID is AGENCY_ID
    assert common.AGENCY_ID_PATTERN == AGENCY_ID_PATTERN
    assert AGENCY_ID.match("tax-1") and not AGENCY_ID.match("tax\n") and not AGENCY_ID.match("Tax")


def test_the_registry_harvesters_and_validate_read_one_list_of_formats():
    from shafaf.config.sources.common import FORMATS as REGISTRY_FORMATS
    from shafaf.validate.folder import DATA_FORMATS

    assert REGISTRY_FORMATS is FORMATS and DATA_FORMATS is FORMAT_BY_SUFFIX
    assert set(FORMAT_BY_SUFFIX.values()) == set(FORMATS)
    assert [format_of_name(n) for n in ("a.CSV", "b.xlsx", "c.json", "d.tsv", "download?id=3")] == [
        "csv",
        "xlsx",
        "json",
        "csv",
        "csv",
    ]


@pytest.mark.parametrize(
    "day, year", [("2024-03-19", 1402), ("2024-03-20", 1403), ("2025-03-20", 1403), ("2025-03-21", 1404)]
)
def test_the_fiscal_year_is_the_jalali_year_for_the_publisher_the_plan_and_the_pages(day, year):
    from shafaf.datasette_plugins.i18n import fiscal_year_label
    from shafaf.publish.smart_plan import jalali_year_of
    from shafaf.publish.writer import jalali_parts

    assert fiscal_year(day) == fiscal_year(dt.date.fromisoformat(day)) == year
    assert jalali_parts(day)[2] == jalali_year_of(day) == year
    assert fiscal_year_label(day, "en") == str(year)


def test_durable_writes_replace_whole_and_leave_nothing_behind(tmp_path):
    path = tmp_path / "SHA256SUMS"
    durable.write_atomic(path, b"old\n")
    durable.write_atomic(path, b"new\n")
    assert path.read_bytes() == b"new\n" and [p.name for p in tmp_path.iterdir()] == ["SHA256SUMS"]
    with pytest.raises(TypeError):
        durable.pending(path, "not bytes")  # type: ignore[arg-type]  # the write fails: its temp file goes
    assert [p.name for p in tmp_path.iterdir()] == ["SHA256SUMS"]


def test_mapping_options_travel_as_one_piece():
    from shafaf.validate.engine import validate_file
    from shafaf.validate.folder import validate_files
    from shafaf.validate.mapping import MappingOptions, plan_columns

    loose = {"fields", "values", "agency_id", "calendar", "year_pivot", "unpivot"}
    for function in (validate_file, validate_files, plan_columns):
        assert not loose & set(inspect.signature(function).parameters), function.__name__
    assert {f for f in MappingOptions.__dataclass_fields__} == loose
    assert re.search(r"MappingOptions\.of\(source", (ROOT / "stage" / "package.py").read_text(encoding="utf-8"))
