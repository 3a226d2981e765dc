"""The house reads as the flow: no import cycle, no arrow up, no module past 400 lines (docs/architecture.md).

Every ``import`` of every module under shafaf/ is read with ``ast`` (those
inside functions too: a late import is still an arrow). Each package has a
floor; a module may import its own package, a lower floor, or a package
its floor names as a neighbour it may use.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "shafaf"
MAX_LINES = 400
# Modules being split by the issue that reworks them (each entry is removed by the commit that splits it).
PENDING_SPLIT: dict[str, str] = {}

# Floors, from the ground up. A package may import only packages of a lower floor, and those listed for it.
FLOORS: dict[str, int] = {
    "core": 0,
    "normalize": 0,
    "standard": 1,
    "config": 2,
    "state": 3,
    "validate": 4,
    "stage": 5,
    "harvest": 6,
    "publish": 6,
    "schedule": 7,
    "datasette_plugins": 7,
    "cli": 8,
}
MAY_NOT = {
    ("normalize", "core"),  # pure functions: nothing of ours
    ("publish", "harvest"),
    ("harvest", "publish"),
    ("datasette_plugins", "harvest"),
    ("datasette_plugins", "schedule"),
    ("datasette_plugins", "validate"),
    ("datasette_plugins", "stage"),
}
# The pure functions of ``normalize`` raise the one exception tree's PeriodError, and import nothing else of ours.
NORMALIZE_MAY_USE = {"shafaf.core.errors"}
# The web plugin reads the published database through ``publish``'s definitions (tables and indicators
# are described, not computed, in the pages) only where listed here.
WEB_MAY_USE_FROM_PUBLISH: set[str] = set()


def _package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@functools.cache
def _imports() -> dict[str, set[str]]:
    """Module (dotted) -> the shafaf modules it imports (resolved, relative ones included); read once a session."""
    out: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        is_init = parts[-1] == "__init__"
        if is_init:
            parts = parts[:-1]
        module = ".".join(parts)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = parts if is_init else parts[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                if base == "shafaf" or base.startswith("shafaf."):
                    for alias in node.names:
                        full = f"{base}.{alias.name}"
                        found.add(full if _is_module(full) else base)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("shafaf."))
        out[module] = found - {module}
    return out


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def test_no_module_is_past_400_lines():
    big = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and str(p.relative_to(ROOT)) not in PENDING_SPLIT
    }
    assert big == {}, "split these by the noun they own (never into utils.py)"


def test_every_import_runs_down_the_floors():
    wrong = []
    for module, targets in sorted(_imports().items()):
        here = _package_of(module)
        if here not in FLOORS:
            continue
        for target in sorted(targets):
            there = _package_of(target)
            if there == here or there not in FLOORS or (here == "normalize" and target in NORMALIZE_MAY_USE):
                continue
            if (here, there) in MAY_NOT:
                wrong.append(f"{module} -> {target} (never)")
            elif FLOORS[there] >= FLOORS[here] and not (
                here == "datasette_plugins" and there == "publish" and target.split(".")[2] in WEB_MAY_USE_FROM_PUBLISH
            ):
                wrong.append(f"{module} -> {target} (floor {FLOORS[here]} to floor {FLOORS[there]})")
    assert wrong == [], "\n".join(wrong)


def test_there_is_no_import_cycle():
    graph = _imports()
    seen: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if seen.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in seen:
                visit(nxt, path + [nxt])
        seen[node] = 2

    for start in sorted(graph):
        if start not in seen:
            visit(start, [start])
    # A package's __init__ importing its own modules, which import names back from it, is a cycle too.
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_each_package_says_what_it_holds(package):
    init = PACKAGE / package / "__init__.py"
    assert init.exists() and ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), package
