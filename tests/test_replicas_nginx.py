"""Three read replicas behind Debian's nginx, switched one by one to a new snapshot under load (issue 19).

Real parts throughout: ``deploy/nginx.conf`` run by the real nginx on
loopback (installed by .ci/run), three ``shafaf serve --replica`` processes,
a primary publishing and writing snapshots, and a load client of four
threads. Every request must succeed (200 or 304), and every replica must
serve the new version within a bound of its install.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from publishing import AGENCIES, write_package, write_registry
from served import free_port

from shafaf.core.datadir import DataDir
from shafaf.publish import snapshot
from shafaf.publish.exports import write_exports
from shafaf.publish.writer import publish

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ROOT = Path(__file__).resolve().parent.parent
URLS = (
    "/shafaf/services.json?_shape=array&_size=5",
    "/agencies/alpha",
    "/",
    "/downloads/tables/services.csv",
    "/downloads/manifest.json",
)
SWITCH_BOUND_S = 5.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (.ci/run installs it)"),
]


def _publish(reg, data: DataDir, run_id: str) -> None:
    for agency in AGENCIES:
        write_package(data, reg, agency, run_id=run_id, services=30, rows_per_service=12)
    assert all(r.ok for r in publish([reg.agency(a) for a in AGENCIES], registry=reg, data=data))
    write_exports(data.public_db, data.downloads, registry=reg)


def _replica(reg, folder: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shafaf",
            "serve",
            "--replica",
            "--port",
            str(port),
            "--registry",
            str(reg.path),
            "--data-dir",
            str(folder),
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return proc, f"http://127.0.0.1:{port}"


def _wait(base: str, proc: subprocess.Popen, path: str = "/-/versions.json") -> None:
    for _ in range(300):
        try:
            if httpx.get(base + path, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert proc.poll() is None, "a server exited"
        time.sleep(0.1)
    pytest.fail(f"{base} did not answer")


def _nginx_conf(tmp: Path, ports: list[int], listen: int) -> Path:
    site = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for i, port in enumerate(ports, start=1):
        site = site.replace(f"@REPLICA_{i}@", str(port))
    site = (
        site.replace("@PRIMARY@", str(ports[0]))
        .replace("@LISTEN@", str(listen))
        .replace("@CACHE_DIR@", str(tmp / "cache"))
    )
    (tmp / "site.conf").write_text(site, encoding="utf-8")
    temps = " ".join(f"{kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"user root; worker_processes 1; error_log {tmp / 'error.log'}; pid {tmp / 'nginx.pid'};\n"
        f"events {{ worker_connections 512; }}\n"
        f"http {{ access_log off; {temps} include {tmp / 'site.conf'}; }}\n",
        encoding="utf-8",
    )
    return conf


def _version(base: str) -> str:
    text = httpx.get(base + URLS[0], timeout=5).text
    return "new" if "(new)" in text else "old" if "(old)" in text else "?"


def test_replicas_switch_one_by_one_under_load_with_no_failed_request(tmp_path):
    reg = write_registry(tmp_path)
    data = DataDir(tmp_path / "primary")
    _publish(reg, data, "old")
    first = snapshot.write(data, tmp_path / "snapshots")
    replicas, procs, bases = [tmp_path / f"r{i}" for i in range(3)], [], []
    nginx = None
    try:
        for folder in replicas:
            snapshot.install(first, folder)
            proc, base = _replica(reg, folder, tmp_path / f"{folder.name}.log")
            procs.append(proc)
            bases.append(base)
        for proc, base in zip(procs, bases):
            _wait(base, proc)
        listen = free_port()
        nginx_dir = tmp_path / "nginx"
        nginx_dir.mkdir()
        conf = _nginx_conf(nginx_dir, [int(b.rsplit(":", 1)[1]) for b in bases], listen)
        nginx = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(nginx_dir), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        front = f"http://127.0.0.1:{listen}"
        _wait(front, nginx, "/-/versions.json")

        failures: list[str] = []
        counts = {"requests": 0}
        stop = threading.Event()

        def load(n: int) -> None:
            tags: dict[str, str] = {}
            with httpx.Client(base_url=front, timeout=10) as client:
                i = n
                while not stop.is_set():
                    url = URLS[i % len(URLS)]
                    i += 1
                    headers = {"if-none-match": tags[url]} if url in tags and i % 2 else {}
                    try:
                        answer = client.get(url, headers=headers)
                    except httpx.HTTPError as e:
                        failures.append(f"{url}: {type(e).__name__}: {e}")
                        continue
                    counts["requests"] += 1
                    if answer.status_code not in (200, 304):
                        failures.append(f"{url}: {answer.status_code}")
                    elif "etag" in answer.headers:
                        tags[url] = answer.headers["etag"]

        threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        _publish(reg, data, "new")  # the primary publishes while the replicas serve
        second = snapshot.write(data, tmp_path / "snapshots")
        switched = []
        for folder, base in zip(replicas, bases):  # one by one, as an operator's loop would
            snapshot.install(second, folder)
            started = time.monotonic()
            while _version(base) != "new":
                assert time.monotonic() - started < SWITCH_BOUND_S, f"{base} still serves the old version"
                time.sleep(0.05)
            switched.append(time.monotonic() - started)
            time.sleep(0.5)
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert failures == [], failures[:10]
        assert counts["requests"] > 50
        assert all(_version(b) == "new" for b in bases)
        print(
            f"{counts['requests']} requests through nginx, 0 failed; replicas switched in "
            + ", ".join(f"{s:.2f} s" for s in switched)
        )
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
