"""The scale benchmark (issue 19): a full publish against a one-agency publish, downloads included.

``agencies`` agencies of ``rows`` performance rows each (``generate.write_registry``),
harvested from local files, then, each through the real command line:

1. ``shafaf publish`` of every agency, with the downloads (the full publish);
2. one agency's inventory changes; ``shafaf harvest <it>``; ``shafaf publish <it>``
   with the downloads (the one-agency publish), and its share of the full one;
3. the same again with ``--no-downloads``, then the downloads alone
   (``write_exports`` in a process of its own);
4. what every publish pays whatever changed: the copy of the served version
   (``dbfile.copy_database``), and the sizes of the database, the downloads and
   the parts they are joined from (``exports/.parts``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import generate

EXPORT_ONLY = """
import sys
from pathlib import Path
from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.publish.exports import write_exports
data = DataDir(Path(sys.argv[1]))
write_exports(data.public_db, data.downloads, registry=registry.load(sys.argv[2]))
"""

COPY_ONLY = """
import sys, time
from pathlib import Path
from shafaf.publish import dbfile
source = dbfile.current_version(Path(sys.argv[1]))
target = Path(sys.argv[2])
start = time.perf_counter()
dbfile.copy_database(source, target)
print(time.perf_counter() - start)
target.unlink()
"""


def _size_mb(path: Path) -> float:
    total = (
        sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        if path.is_dir()
        else path.stat().st_size
    )
    return round(total / 1e6, 1)


def _touch_agency(folder: Path, agency_id: str, step: int) -> None:
    """A real change to one agency's inventory: every service renamed (its file, so the harvest sees new bytes)."""
    path = folder / agency_id / "services.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1:] = [
        line.replace("Service ", f"Service v{step} ", 1)
        if "Service v" not in line
        else line.replace(f"Service v{step - 1} ", f"Service v{step} ", 1)
        for line in lines[1:]
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(
    work: Path,
    *,
    agencies: int,
    rows: int,
    measure: Callable[..., dict[str, Any]],
    shafaf: Callable[..., list[str]],
    checked: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """The figures of one size; the generated files are kept in ``work`` for the next run."""
    folder = work / f"scale-{agencies}x{rows}"
    registry = folder / "agencies.yml"
    ids = [f"ag{i:04d}" for i in range(agencies)]
    if not registry.exists():
        generate.write_registry(folder, dict.fromkeys(ids, rows))
    data_dir = work / f"scale-{agencies}x{rows}-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    common = ("--registry", str(registry), "--data-dir", str(data_dir), "--json")

    cpu: dict[str, float] = {}

    def timed(*args: str, allowed: tuple[int, ...] = (0, 1), name: str = "") -> float:
        result = checked(measure(shafaf(*args, *common)), allowed=allowed)
        if name:
            cpu[name] = round(result["cpu_s"], 2)
        return round(result["seconds"], 2)

    out: dict[str, Any] = {"agencies": agencies, "rows_per_agency": rows, "rows": agencies * rows}
    out["harvest_all_s"] = timed("harvest")
    out["publish_all_s"] = timed("publish", name="publish_all")
    changed = ids[len(ids) // 2]
    _touch_agency(folder, changed, 1)
    out["harvest_one_s"] = timed("harvest", changed)
    out["publish_one_s"] = timed("publish", changed, name="publish_one")
    _touch_agency(folder, changed, 2)
    timed("harvest", changed)
    out["publish_one_no_downloads_s"] = timed("publish", changed, "--no-downloads")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", EXPORT_ONLY, str(data_dir), str(registry)], check=True)
    out["downloads_one_s"] = round(time.perf_counter() - start, 2)
    copy = subprocess.run(
        [sys.executable, "-c", COPY_ONLY, str(data_dir / "shafaf.db"), str(data_dir / "copy.db")],
        check=True,
        capture_output=True,
        text=True,
    )
    out["copy_database_s"] = round(float(copy.stdout.strip()), 2)
    out["database_mb"] = _size_mb((data_dir / "shafaf.db").resolve())
    out["downloads_mb"] = _size_mb((data_dir / "downloads").resolve())
    store = data_dir / "exports" / ".parts"  # the parts the versions share (inside each version before)
    out["parts_mb"] = _size_mb(store) if store.is_dir() else 0.0
    out["one_vs_all"] = round(out["publish_one_s"] / out["publish_all_s"], 3)
    # CPU seconds (user + system) of the two publishes: what the wall clock costs on a machine shared with other work
    out["publish_all_cpu_s"], out["publish_one_cpu_s"] = cpu["publish_all"], cpu["publish_one"]
    return out


def _parts(figures: dict[str, Any]) -> str:
    """The shared parts store beside the served downloads, when the run had one."""
    return f" (+ {figures['parts_mb']} parts)" if figures.get("parts_mb") else ""


def markdown(figures: list[dict[str, Any]], machine: dict[str, Any], command: str) -> str:
    lines = [
        f"Measured on {machine['date']}: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB "
        f"(shared with other work while measured). Command: `{command}`.",
        "",
        "| agencies × rows | harvest all s | publish all s (CPU s) | harvest 1 s | **publish 1 s** (CPU s) | 1 vs all "
        "| publish 1 `--no-downloads` s | downloads after it s | copy of the served version s | database MB "
        "| downloads MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in figures:
        lines.append(
            f"| {f['agencies']:,} × {f['rows_per_agency']:,} | {f['harvest_all_s']} "
            f"| {f['publish_all_s']} ({f.get('publish_all_cpu_s', '')}) | {f['harvest_one_s']} "
            f"| **{f['publish_one_s']}** ({f.get('publish_one_cpu_s', '')}) | {f['one_vs_all']:.1%} "
            f"| {f['publish_one_no_downloads_s']} | {f['downloads_one_s']} | {f['copy_database_s']} "
            f"| {f['database_mb']} | {f['downloads_mb']}{_parts(f)} |"
        )
    return "\n".join(lines) + "\n"


def write_report(
    figures: list[dict[str, Any]], *, machine: dict[str, Any], command: str, json_path: Path, md_path: Path
) -> None:
    """Into ``results.json`` under "scale" and ``docs/benchmarks.md`` between the scale markers; the rest stays."""
    results = json.loads(json_path.read_text(encoding="utf-8")) if json_path.exists() else {}
    results["scale"] = {"machine": machine, "command": command, "figures": figures}
    json_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    begin, end = "<!-- scale: begin -->", "<!-- scale: end -->"
    text = md_path.read_text(encoding="utf-8") if md_path.exists() else "# Benchmarks\n"
    if begin not in text:
        text += f"\n## Scale: a one-agency publish against a full one\n\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    md_path.write_text(
        f"{head}{begin}\n{markdown(figures, machine, command)}{end}{rest.split(end, 1)[1]}", encoding="utf-8"
    )
