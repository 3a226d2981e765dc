"""The Canada example registry pointed at a loopback copy of the real file (tests/fixtures/canada).

``metadata/examples/canada-service-inventory.yml`` as written; only the URL and the private-network switch
differ. Published once a session (conftest's ``canada_published``) for tests/test_canada.py and the check of
the figures (tests/test_figures_check.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from faultserver import FaultServer, respond
from figures_generated import frozen

from shafaf.config import registry
from shafaf.core.datadir import DataDir
from shafaf.harvest.runner import harvest
from shafaf.publish.writer import publish
from shafaf.state.found_agencies import with_found_agencies

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "metadata" / "examples" / "canada-service-inventory.yml"
FIXTURE = Path(__file__).parent / "fixtures" / "canada" / "service_inventory_2024.csv.gz"


def example_registry(tmp_path: Path, url: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"url: https://raw\.githubusercontent\.com/\S+", f"url: {url}", text)
    text = text.replace("portal:\n", "portal:\n  allow_private_networks: true\n  fetch_deadline_s: 20\n", 1)
    path = tmp_path / "canada.yml"
    path.write_text(text, encoding="utf-8")
    return path


def publish_example(root: Path, url: str) -> tuple[list[Any], list[Any], DataDir, registry.Registry]:
    """Harvest the example from ``url``, register the departments found in the file and publish them all."""
    reg = registry.load(example_registry(root, url))
    data = DataDir(root / "var")
    runs = harvest(reg.agencies, registry=reg, data=data)
    reg = with_found_agencies(reg, data)
    with frozen(dt.datetime.now(dt.UTC)):  # one publication day for every department, even across midnight
        results = publish(list(reg.agencies), registry=reg, data=data)
    return runs, results, data, reg


@contextlib.contextmanager
def served_file() -> Iterator[FaultServer]:
    """The real file, gzip-encoded, from a loopback server (``/si_2024.csv``)."""
    server = FaultServer()
    server.add(
        "/si_2024.csv", respond(200, FIXTURE.read_bytes(), {"Content-Type": "text/csv", "Content-Encoding": "gzip"})
    )
    try:
        yield server
    finally:
        server.close()
