"""Run ``shafaf`` in a child process under limits, and measure it.

The hostile-input tests drive the real command line, never the library
alone, and each child runs under ``RLIMIT_AS`` so a regression that
allocates without bound fails the test instead of eating the shared
machine. ``peak_mb`` is the child's own high-water mark (``VmHWM``, not
``ru_maxrss``, which Linux carries over ``exec`` from a large parent).
"""

from __future__ import annotations

import dataclasses
import json
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

AS_LIMIT = 2_000_000_000  # bytes of address space for one child: far above any honest run, far below the machine

_SCRIPT = (
    "import sys\nfrom shafaf.cli import cli\nsys.argv = ['shafaf'] + sys.argv[1:]\n"
    "try:\n    cli()\nfinally:\n"
    "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
    "    print('\\nshafaf-peak-kb', hwm, file=sys.stderr)\n"
)


@dataclasses.dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    peak_mb: float | None

    def runs(self) -> list[dict[str, Any]]:
        """The run records of ``harvest --json``."""
        return json.loads(self.stdout)

    @property
    def crashed(self) -> bool:
        return self.returncode < 0 or "Traceback" in self.stderr


def run(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    as_limit: int = AS_LIMIT,
    fsize_limit: int | None = None,
    without_dac: bool = False,
    timeout: float = 300,
    stdin: bytes | None = None,
) -> Result:
    """``shafaf ARGS`` under the limits; ``without_dac`` drops root's power to read any file (for EACCES)."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))
        if fsize_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, not a kill
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_limit, fsize_limit))

    prefix: list[str] = []
    if without_dac:
        prefix = [shutil.which("setpriv") or "setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]
    proc = subprocess.run(
        [*prefix, sys.executable, "-c", _SCRIPT, *args],
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        preexec_fn=limits,
        input=stdin,
    )
    err = proc.stderr.decode("utf-8", "replace")
    peak = None
    if "shafaf-peak-kb" in err:  # a traceback, if any, comes after the line (Python prints it after ``finally``)
        before, _, tail = err.rpartition("\nshafaf-peak-kb ")
        kb, _, after = tail.partition("\n")
        err, peak = before + after, int(kb) / 1024
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), err, peak)


def file_registry(root: Path, sources: dict[str, str], *, portal: str = "", extra: str = "") -> Path:
    """A registry of one agency per entry: ``{agency_id: path}``, each one ``services`` file source."""
    items = "".join(
        f"  - id: {agency}\n    name_fa: سازمان {agency}\n    name_en: Agency {agency}\n"
        f"    sources:\n      - dataset: services\n        path: {json.dumps(path)}\n"
        for agency, path in sources.items()
    )
    root.mkdir(parents=True, exist_ok=True)
    registry = root / "agencies.yml"
    registry.write_text(
        "portal:\n  title_fa: درگاه\n  title_en: Portal\n"
        + textwrap.indent(portal, "  ")
        + "agencies:\n"
        + items
        + extra,
        encoding="utf-8",
    )
    return registry
