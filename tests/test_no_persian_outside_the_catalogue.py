"""No page, report or CLI message carries Persian words outside the one catalogue (docs/translating.md).

Every string constant in shafaf/ is read with ``ast``; one with Arabic-script
letters must be an English msgid's argument (``N_``, ``Phrase``, ``say``,
``gettext``: an English sentence may quote what an agency types, such as
بله/خیر), a docstring or comment, or data listed below with its reason.
Templates print only ``_()``/``trans`` text and harvested values.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "shafaf"
# Arabic-script letters (digits are written by number(), and may stand anywhere).
ARABIC = re.compile(r"[\u0620-\u064A\u066E-\u06D3\u06FA-\u06FF\uFB50-\uFDFF\uFE70-\uFEFC]")
CATALOGUE_CALLS = {"N_", "Phrase", "say", "say_n", "gettext", "ngettext", "_"}

# Modules whose Persian is data, not words we say (agencies' spellings, units and stop words).
DATA_MODULES = {
    "shafaf/normalize": "the Persian letters, digits and mis-decodings it normalizes",
    "shafaf/publish/duplicates.py": "function words left out when comparing service names",
    "shafaf/core/units.py": "units agencies write (درصد)",
    "shafaf/standard/targets.py": "units agencies write (روز, ساعت...)",
    "shafaf/publish/indicator_doc.py": "writes docs/indicators.md, a bilingual document, from the catalogue's entries",
    "shafaf/datasette_plugins/downloads.py": "the bare /downloads/ listing that issue 18 rewrites into a page",
}
# Single values: proper nouns and names, not sentences.
DATA_STRINGS = {
    "شفاف": "the portal's name, a proper noun (the registry's default title_fa)",
    "برنامه هفتم توسعه": "the plan's name, the registry's default (agencies' data)",
    "فارسی": "the language's own name, in catalogue.LANGUAGE_NAMES",
}


def _catalogue_arguments(tree: ast.AST) -> set[int]:
    """ids of the constants that are msgids (the message argument of a catalogue call)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in CATALOGUE_CALLS:
                found.update(id(a) for a in node.args if isinstance(a, ast.Constant))
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            found.add(id(body[0].value))
    return found


def persian_outside_the_catalogue(package: Path = PACKAGE) -> list[str]:
    wrong = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).as_posix()
        if any(rel == m or rel.startswith(m + "/") for m in DATA_MODULES):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = _catalogue_arguments(tree) | _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in allowed
                and ARABIC.search(node.value)
                and node.value not in DATA_STRINGS
            ):
                wrong.append(f"{rel}:{node.lineno}: {node.value[:60]!r}")
    return wrong


def test_no_persian_words_are_written_outside_the_catalogue():
    wrong = persian_outside_the_catalogue()
    assert wrong == [], "put these in the catalogue (docs/translating.md):\n" + "\n".join(wrong)


def test_templates_have_no_persian_outside_their_translations():
    wrong = []
    for template in sorted((PACKAGE / "datasette_plugins" / "templates").rglob("*.html")):
        text = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.S)
        for number, line in enumerate(text.splitlines(), 1):
            if ARABIC.search(line):
                wrong.append(f"{template.name}:{number}: {line.strip()[:60]}")
    assert wrong == [], wrong


def test_the_scan_finds_a_persian_message_written_in_code(tmp_path):
    """The test is not vacuous: a Persian literal in an f-string or a dict is found, a msgid's is not."""
    sample = tmp_path / "shafaf" / "validate" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        '"""سند."""\nX = {"a": "سطر"}\nY = say(lang, "value بله/خیر")\nZ = f"{1} ردیف"\n', encoding="utf-8"
    )
    found = persian_outside_the_catalogue(tmp_path / "shafaf")
    assert [w.split(":")[1] for w in found] == ["2", "4"], found
