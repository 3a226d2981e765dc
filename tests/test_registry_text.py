"""Text the registry may hold (issue 15, case 8a): lone surrogates and control characters are refused with their line.

PyYAML decodes ``"\\ud800"`` in a double-quoted scalar into a lone surrogate;
before these checks it passed the registry and ended every agency's harvest
with a UnicodeEncodeError (or crashed the load itself, in ``codecs.lookup``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_registry

from shafaf.config import registry
from shafaf.core.errors import RegistryError
from shafaf.core.text_checks import json_problem, text_problem

TEMPLATE = """\
portal:
  title_en: {title_en}
agencies:
  - id: tax
    name_fa: {name_fa}
    name_en: {name_en}
    description_en: {description_en}
    sources:
      - dataset: services
        path: {path}
        encoding: {encoding}
        fields: {{{field_key}: Service}}
        values: {{smart: {{{value_key}: true}}}}
"""
FINE = {
    "title_en": "Test",
    "name_fa": "مالیات",
    "name_en": "Tax",
    "description_en": '"two\\nlines\\tand a tab"',
    "path": "services.csv",
    "encoding": "utf-8",
    "field_key": "name_en",
    "value_key": "Y",
}
LINES = {
    "title_en": 2,
    "name_fa": 5,
    "name_en": 6,
    "description_en": 7,
    "path": 10,
    "encoding": 11,
    "field_key": 12,
    "value_key": 13,
}


def write(tmp_path: Path, **changes: str) -> Path:
    path = tmp_path / "agencies.yml"
    (tmp_path / "services.csv").write_text("service_id,name_fa\nS1,x\n", encoding="utf-8")
    path.write_text(TEMPLATE.format(**{**FINE, **changes}), encoding="utf-8")
    return path


def test_the_fine_registry_loads_and_keeps_line_breaks_in_descriptions(tmp_path):
    reg = registry.load(write(tmp_path))
    assert reg.agencies[0].description_en == "two\nlines\tand a tab"


@pytest.mark.parametrize("key", list(LINES))
@pytest.mark.parametrize(
    "written, words",
    [
        ('"lone \\ud800 x"', "lone surrogate (U+D800)"),
        ('"lone \\udfff"', "lone surrogate (U+DFFF)"),
        ('"nul \\0 x"', "control character (U+0000)"),
        ('"esc \\e[2J x"', "control character (U+001B)"),
        ('"del \\x7f"', "control character (U+007F)"),
        ('"csi \\x9b2J"', "control character (U+009B)"),
    ],
)
def test_text_that_cannot_be_stored_is_refused_with_its_line_wherever_it_is(tmp_path, key, written, words):
    with pytest.raises(RegistryError) as caught:
        registry.load(write(tmp_path, **{key: written}))
    message = str(caught.value)
    assert f"agencies.yml:{LINES[key]}: " in message and words in message, message
    message.encode("utf-8")  # the report itself can be printed and logged


@pytest.mark.parametrize("key", ["name_fa", "name_en", "title_en"])
def test_names_and_titles_are_one_line(tmp_path, key):
    with pytest.raises(RegistryError, match=rf"agencies.yml:{LINES[key]}: .*line break or tab \(U\+000A\)"):
        registry.load(write(tmp_path, **{key: '"two\\nlines"'}))


def test_bidi_marks_and_joiners_are_text_and_stay(tmp_path):
    reg = registry.load(write(tmp_path, name_fa='"مالیات\\u200c\\u202eها"'))
    assert reg.agencies[0].name_fa == "مالیات\u200c\u202eها"


def test_a_lone_surrogate_in_the_registry_fails_the_cli_cleanly_and_harvests_nothing(tmp_path):
    registry_path = write_registry(tmp_path / "src")
    text = registry_path.read_text(encoding="utf-8")
    registry_path.write_text(text.replace("name_fa: سازمان الف", 'name_fa: "lone \\ud800 x"'), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "shafaf",
            "harvest",
            "--registry",
            str(registry_path),
            "--data-dir",
            str(tmp_path / "var"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "agencies.yml:7: 'name_fa' has a lone surrogate (U+D800)" in result.stderr, result.stderr
    assert not (tmp_path / "var" / "raw").exists()


def test_json_text_is_checked_at_every_depth_and_key():
    assert json_problem({"source": "services", "schedule": {"cron": "0 2 * * *"}}) is None
    assert "'schedule.cron' has a lone surrogate" in json_problem({"schedule": {"cron": "0 2\ud800"}})
    assert "'a[1]' has a control character" in json_problem({"a": ["ok", "x\x00"]})
    assert "a key of 'schedule' has a lone surrogate" in json_problem({"schedule": {"\udc80": 1}})
    assert text_problem("خط\nدوم") is None and text_problem("خط\nدوم", one_line=True)
