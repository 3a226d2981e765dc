from __future__ import annotations

import json
import textwrap

from shafaf.config import registry
from shafaf.core.models import Outcome, Reason
from shafaf.harvest.runner import harvest
from shafaf.state.store import StateStore


def test_harvest_captures_raw_bytes_with_a_run_record(reg, data):
    runs = harvest(reg.agencies, registry=reg, data=data)
    assert [(r.agency_id, r.dataset, r.outcome) for r in runs] == [
        ("alpha", "services", Outcome.OK),
        ("alpha", "service_performance", Outcome.OK),
        ("beta", "services", Outcome.OK),
    ]
    run = runs[0]
    raw = data.raw("alpha", run.run_id)
    record = json.loads((raw / "run.json").read_text(encoding="utf-8"))
    assert record["sha256"] == run.sha256 and record["bytes"] == (raw / "alpha_services.csv").stat().st_size
    assert record["outcome"] == "ok" and record["rows_passed"] == 3
    assert StateStore(data.state_db).runs("alpha")[0]["run_id"] in {r.run_id for r in runs}


def test_staged_package_has_descriptor_csv_and_report(reg, data):
    harvest(reg.agencies, registry=reg, data=data)
    pkg = data.packages("alpha")
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in descriptor["resources"]] == ["services", "service_performance"]
    assert descriptor["resources"][0]["schema"]["primaryKey"] == ["agency_id", "service_id"]
    services = (pkg / "services.csv").read_text(encoding="utf-8").splitlines()
    assert services[0].startswith("agency_id,service_id,name_fa")
    assert ",true,true,," in services[1]  # booleans canonical, empty stages stay empty
    report = json.loads((pkg / "reports" / "service_performance.json").read_text(encoding="utf-8"))
    assert report["accepted"] and report["rows_passed"] == 4


def test_a_failing_source_never_stops_the_others(registry_path, data):
    (registry_path.parent / "files" / "alpha_services.csv").unlink()
    reg = registry.load(registry_path)
    runs = harvest(reg.agencies, registry=reg, data=data)
    failed = [r for r in runs if r.outcome != Outcome.OK]
    assert [(r.agency_id, r.dataset, r.reason) for r in failed] == [("alpha", "services", Reason.NOT_FOUND)]
    assert "alpha_services.csv" in failed[0].message
    assert (data.packages("beta") / "services.csv").exists()


def test_a_rejected_file_keeps_the_last_good_staged_data(registry_path, reg, data):
    harvest(reg.agencies, registry=reg, data=data)
    good = (data.packages("beta") / "services.csv").read_bytes()
    (registry_path.parent / "files" / "beta_services.csv").write_text(
        "agency_id,service_id,name_fa\nbeta,B1,x\nbeta,B1,y\nbeta,,z\n", encoding="utf-8"
    )
    runs = harvest([reg.agency("beta")], registry=reg, data=data)
    assert runs[0].outcome == Outcome.FAILED and runs[0].reason == Reason.TOO_MANY_INVALID_ROWS
    assert (data.packages("beta") / "services.csv").read_bytes() == good
    report = json.loads((data.packages("beta") / "reports" / "services.json").read_text(encoding="utf-8"))
    assert not report["accepted"] and report["rows_failed"] == 2


def test_header_only_file_never_wipes(registry_path, reg, data):
    harvest(reg.agencies, registry=reg, data=data)
    (registry_path.parent / "files" / "beta_services.csv").write_text("agency_id,service_id\n", encoding="utf-8")
    runs = harvest([reg.agency("beta")], registry=reg, data=data)
    # An empty-but-successful answer is held for a person, never published as "no services" (H18).
    assert runs[0].outcome == Outcome.NEEDS_REVIEW and runs[0].reason == Reason.SUSPICIOUS_SHRINK
    assert len((data.packages("beta") / "services.csv").read_text(encoding="utf-8").splitlines()) == 3


def test_raw_captures_are_pruned_to_the_last_runs(reg, data):
    from shafaf.harvest.runner import prune_raw

    for _ in range(3):
        harvest([reg.agency("beta")], registry=reg, data=data)
    prune_raw(data, "beta", keep=2)
    kept = sorted(p.name for p in (data.root / "raw" / "beta").iterdir())
    assert len(kept) == 2 and kept == sorted(r["run_id"] for r in StateStore(data.state_db).runs("beta"))[-2:]


def test_same_bytes_again_are_unchanged_and_cost_no_validation(reg, data):
    harvest(reg.agencies, registry=reg, data=data)
    report = data.packages("beta") / "reports" / "services.json"
    before = report.read_bytes()
    again = harvest(reg.agencies, registry=reg, data=data)
    assert {r.outcome for r in again} == {Outcome.UNCHANGED}
    assert all(r.rows_read is None for r in again)  # nothing was read, mapped or validated
    assert report.read_bytes() == before


def test_force_and_a_changed_mapping_validate_again(registry_path, reg, data):
    harvest(reg.agencies, registry=reg, data=data)
    forced = harvest([reg.agency("beta")], registry=reg, data=data, force=True)
    assert forced[0].outcome == Outcome.OK and forced[0].rows_read == 2
    # Same bytes, new mapping: the source's configuration is part of "unchanged".
    text = registry_path.read_text(encoding="utf-8").replace(
        "path: files/beta_services.csv",
        "path: files/beta_services.csv\n        values: {audience: {citizens: citizens}}",
    )
    registry_path.write_text(text, encoding="utf-8")
    changed = registry.load(registry_path)
    runs = harvest([changed.agency("beta")], registry=changed, data=data)
    assert runs[0].outcome == Outcome.OK


def test_a_multi_agency_file_is_split_into_its_agencies(tmp_path, data):
    from conftest import write_registry

    root = tmp_path / "src"
    path = write_registry(
        root,
        extra=textwrap.indent(
            textwrap.dedent("""\
        - id: national
          name_fa: دفتر ملی
          name_en: National Office
          sources:
            - id: all-services
              dataset: services
              path: files/national.csv
              agency_column: dept
              new_agencies: {name_en: dept_name}
              fields: {agency_id: dept, service_id: code, name_en: title}
        """),
            "  ",
        ),
    )
    (root / "files" / "national.csv").write_text(
        "dept,dept_name,code,title\n"
        "alpha,Alpha,N1,From the national file\n"
        "gamma,Gamma Agency,G1,Gamma service\n"
        "gamma,Gamma Agency,G2,Another\n"
        "Not An Id!,Bad,X1,Skipped\n",
        encoding="utf-8",
    )
    reg = registry.load(path)
    runs = harvest([reg.agency("national")], registry=reg, data=data)
    assert [(r.agency_id, r.outcome) for r in runs] == [("national", "ok"), ("gamma", "ok")]
    assert "own 'services' source kept it (alpha: 1 rows)" in runs[0].message  # alpha's own file wins
    assert "'dept' is not a usable agency id" in runs[0].message and "Not An Id!" in runs[0].message
    assert (data.packages("gamma") / "services.csv").read_text(encoding="utf-8").count("\n") == 3
    found = StateStore(data.state_db).found_agencies()
    assert [(a["id"], a["name_en"], a["found_by"]) for a in found] == [
        ("gamma", "Gamma Agency", "national/all-services")
    ]
