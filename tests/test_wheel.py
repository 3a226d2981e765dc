"""The wheel works from anywhere: built, installed alone into a fresh venv outside the checkout, it runs the demo
and validates a demo file from another folder (scripts/check_wheel.sh, which .ci/run also runs as its own step)."""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MEMORY = 6_000_000_000


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SHAFAF_WHEEL_CHECKED") == "1", reason=".ci/run's wheel step ran the same check")
def test_the_wheel_installed_elsewhere_runs_the_demo_and_validates(tmp_path):
    pytest.importorskip("setuptools", minversion="77")  # the offline build backend (the test extra)

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SHAFAF_REGISTRY", "SHAFAF_DATA_DIR")}
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "check_wheel.sh"), str(tmp_path / "work")],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        preexec_fn=limits,
    )
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    assert "the wheel holds all" in out and "check_wheel: ok" in out
    assert f"shafaf from {(tmp_path / 'work' / 'venv').resolve()}" in out
    assert "services.csv: valid as Services ('services')" in out
    assert (tmp_path / "work" / "elsewhere" / "var" / "shafaf.db").exists()
    assert not (tmp_path / "work" / "elsewhere" / "metadata").exists()  # nothing read from a checkout here
