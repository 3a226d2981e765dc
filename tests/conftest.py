"""Shared fixtures: a small registry of two agencies written into tmp_path."""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest

from shafaf.config import registry
from shafaf.core.datadir import DataDir

SERVICES_ALPHA = """\
service_id,name_fa,name_en,audience,online_information,online_application,smart,on_national_portal,via_gsb,standard_days,fee,how_to_url,updated
S1,صدور گواهی,Certificate,citizens,true,true,Y,بله,no,5,"10,000",https://alpha.example.ir/s1,2026-10-01
S2,استعلام,Inquiry,businesses,true,,N,خیر,yes,۳,0,https://alpha.example.ir/s2,2026-10-01
S3,ثبت نام,Registration,citizens,true,true,true,true,true,2,0,https://alpha.example.ir/s3,2026-10-01
"""

PERFORMANCE_ALPHA = """\
service_id,period,channel,applications,completed,within_standard,satisfaction
S1,2026-09,online,100,90,80,85.5
S1,2026-10,online,120,110,80,70
S2,۱۴۰۵-۰۷,online,۱٬۲۳۴,1000,900,۸۵٫۵
S2,1405-07,in_person,50,50,40,60
"""

SERVICES_BETA = """\
agency_id,service_id,name_fa,name_en,audience,smart,standard_days,fee
beta,B1,پروانه,Permit,businesses,false,10,500000
beta,B2,گواهی,Certificate,citizens,true,1,0
"""


def pytest_configure(config: pytest.Config) -> None:
    """The suite's markers: ``pytest -m "not slow and not browser"`` is the fast loop (docs/testing.md)."""
    config.addinivalue_line("markers", "slow: long-running (crash loops, load, benchmarks smoke)")
    config.addinivalue_line("markers", "browser: drives Debian's chromium through Playwright")
    config.addinivalue_line("markers", "serial: measures time or load: run alone, not beside other workers (.ci/run)")
    # Checked registries are cached by their bytes (config/registry_cache.py): the suite's own cache, not the user's.
    if "SHAFAF_CACHE_DIR" not in os.environ:
        os.environ["SHAFAF_CACHE_DIR"] = tempfile.mkdtemp(prefix="shafaf-test-cache-")


# Files whose tests measure time (deadlines, queues, a page's speed under load, equal timing of refusals) or
# load a server on purpose: .ci/run runs them after the parallel part, one at a time, so another worker's
# load cannot fail them and they cannot fail another's.
SERIAL_FILES = frozenset(
    {
        "test_api_paging.py",
        "test_bad_requests.py",
        "test_check_file.py",
        "test_ckan.py",
        "test_ckan_datastore.py",
        "test_console.py",
        "test_exports.py",
        "test_fetch.py",
        "test_harvest_faults.py",
        "test_hostile_json.py",
        "test_local_paths.py",
        "test_publish_crash.py",
        "test_replicas_nginx.py",
        "test_scheduler.py",
        "test_service_bus_auth.py",
        "test_slow_clients.py",
        "test_sql_limits.py",
        "test_torn_reads.py",
        "test_xml_soap.py",
        "test_benchmarks.py",
        "test_export_parts.py",
        "test_replicas.py",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in SERIAL_FILES:
            item.add_marker(pytest.mark.serial)


def write_registry(root: Path, extra: str = "") -> Path:
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    (files / "alpha_services.csv").write_text(SERVICES_ALPHA, encoding="utf-8")
    (files / "alpha_performance.csv").write_text(PERFORMANCE_ALPHA, encoding="utf-8")
    (files / "beta_services.csv").write_text(SERVICES_BETA, encoding="utf-8")
    path = root / "agencies.yml"
    path.write_text(
        textwrap.dedent("""\
        portal:
          title_fa: درگاه آزمایشی
          title_en: Test portal
          license: {id: CC-BY-4.0, title: CC BY 4.0, url: https://creativecommons.org/licenses/by/4.0/}
        agencies:
          - id: alpha
            name_fa: سازمان الف
            name_en: Alpha Organization
            website: https://alpha.example.ir
            sources:
              - dataset: services
                path: files/alpha_services.csv
                schedule: "0 2 * * *"
              - dataset: service_performance
                path: files/alpha_performance.csv
          - id: beta
            name_fa: سازمان ب
            name_en: Beta Organization
            sources:
              - dataset: services
                path: files/beta_services.csv
        """)
        + extra,
        encoding="utf-8",
    )
    return path


@pytest.fixture
def registry_path(tmp_path: Path) -> Path:
    return write_registry(tmp_path / "src")


@pytest.fixture
def reg(registry_path: Path) -> registry.Registry:
    return registry.load(registry_path)


@pytest.fixture
def data(tmp_path: Path) -> DataDir:
    return DataDir(tmp_path / "var")


from faultserver import fault_server  # noqa: E402,F401  (the loopback fault-injecting server fixture)


@pytest.fixture(scope="session")
def canada_published(tmp_path_factory):
    """The Canada example on the real file, harvested from loopback and published once for the session: shared by
    tests/test_canada.py and the check of the figures. Yields (runs, results, data, registry)."""
    import canada_example

    with canada_example.served_file() as server:
        yield canada_example.publish_example(tmp_path_factory.mktemp("canada"), server.url("/si_2024.csv"))
