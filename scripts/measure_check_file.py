"""How long "check my file" (/validate) takes to answer, with a warm spare check process and without.

    PYTHONPATH=. python scripts/measure_check_file.py

Builds the tests' small registry, harvests and publishes it in a temporary
folder, serves it in-process (Datasette's client) and posts the same 4-row
broken CSV: five times with a warm spare waiting (2.5 s apart, so the next
spare has done its imports), five times with the spares stopped first.
Prints the two medians.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import write_registry  # noqa: E402

from shafaf.config import registry  # noqa: E402
from shafaf.core.datadir import DataDir  # noqa: E402
from shafaf.datasette_plugins.app import make_datasette  # noqa: E402
from shafaf.datasette_plugins.pages import check_workers  # noqa: E402
from shafaf.harvest.runner import harvest  # noqa: E402
from shafaf.publish.writer import publish  # noqa: E402

BROKEN = "agency_id,service_id,name_fa,name_en\ntax,S1,a,b\ntax,S1,c,d\ntax,,e,f\n"


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="shafaf-measure-"))
    path = write_registry(root / "src")
    reg = registry.load(path)
    data = DataDir(root / "var")
    harvest(reg.agencies, registry=reg, data=data)
    publish(list(reg.agencies), registry=reg, data=data)
    ds = make_datasette(data.public_db, reg.portal, registry_path=path)

    def one() -> float:
        started = time.perf_counter()
        answer = asyncio.run(ds.client.post("/validate?lang=en", files={"file": ("services.csv", BROKEN.encode())}))
        assert answer.status_code == 200, answer.status_code
        return time.perf_counter() - started

    one()
    time.sleep(3)
    warm = []
    for _ in range(5):
        warm.append(one())
        time.sleep(2.5)
    cold = []
    for _ in range(5):
        check_workers.stop_spares()
        cold.append(one())
    check_workers.stop_spares()
    print(f"warm spare: median {statistics.median(warm):.2f} s; new process: median {statistics.median(cold):.2f} s")


if __name__ == "__main__":
    main()
