"""Turn one captured file into one staged resource of the agency's package.

``var/packages/<agency>/`` holds what publishing reads: ``datapackage.json``,
one ``<dataset>.csv`` per accepted resource (with ``<dataset>.rows.db``, the same rows typed for SQLite,
which publishing loads without parsing the CSV again: ``validate.rows_file``), and ``reports/<dataset>.json``,
the latest validation report of each dataset (accepted or not). A rejected
file never replaces the last accepted CSV: the agency keeps its last good data.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from shafaf import standard
from shafaf.config.registry import Agency, Portal, Source
from shafaf.core import diskfull, durable
from shafaf.core.errors import StageError
from shafaf.core.models import Reason
from shafaf.core.public_message import public
from shafaf.validate import rows_file
from shafaf.validate.engine import Report, read_service_ids, validate_file
from shafaf.validate.file_messages import fatal_message
from shafaf.validate.mapping import MappingOptions


@dataclasses.dataclass(frozen=True)
class StageResult:
    accepted: bool
    report: Report
    reason: Reason | None = None
    message: str = ""


def write_json(path: Path, data: Any) -> None:
    """Deterministic JSON (sorted keys, indented), replaced atomically."""
    durable.replace(_pending_json(path, data), path)


def _pending_json(path: Path, data: Any) -> Path:
    """``data`` written beside ``path`` for a ``durable.replace`` later; nothing left behind if the write fails."""
    return durable.pending(
        path, (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
    )


def stage_file(
    path: Path,
    *,
    agency: Agency,
    source: Source,
    format: str,
    run_id: str,
    portal: Portal,
    pkg: Path,
    accept_shrink: bool = False,
) -> StageResult:
    """Validate a captured file and, if the row policy allows, make it a resource of the package in ``pkg``.

    Everything that needs room on disk (the new CSV, the report, the new
    ``datapackage.json``) is written before anything replaces the last
    good package, and the two replacements need none: a full disk
    (``disk_full``) leaves the staged package as it was.
    """
    (pkg / "reports").mkdir(parents=True, exist_ok=True)
    incoming = pkg / f".{source.dataset}.{run_id}.csv"
    try:
        with diskfull.harvest_guard(f"staging {path.name} into the agency's package", pkg, error=StageError):
            return _stage(
                path,
                agency=agency,
                source=source,
                format=format,
                run_id=run_id,
                portal=portal,
                pkg=pkg,
                incoming=incoming,
                accept_shrink=accept_shrink,
            )
    finally:
        incoming.unlink(missing_ok=True)
        rows_file.path_for(incoming).unlink(missing_ok=True)
        for tmp in pkg.glob(".datapackage.json.*.tmp"):  # durable.pending's name
            tmp.unlink(missing_ok=True)


def _stage(
    path: Path,
    *,
    agency: Agency,
    source: Source,
    format: str,
    run_id: str,
    portal: Portal,
    pkg: Path,
    incoming: Path,
    accept_shrink: bool,
) -> StageResult:
    """Validate, apply the row policy, write the report; put an accepted file in place last."""
    report = validate_file(
        path,
        source.dataset,
        format=format,
        encoding=source.encoding,
        sheet=source.sheet,
        mapping=MappingOptions.of(source, agency_id=agency.id),
        known_services=_known_services(pkg, source.dataset),
        expect_persian=portal.default_language == "fa",
        out_csv=incoming,
        out_rows=rows_file.path_for(incoming),
    )
    previous = last_accepted(pkg, source.dataset)
    report.schema_drift = schema_drift(previous.get("columns"), report.columns)
    result = _apply_policy(report, portal)
    if result.accepted and not accept_shrink:
        result = _shrink_guard(result, previous.get("rows"), portal)
    if report.schema_drift:
        result = dataclasses.replace(
            result,
            message=f"{result.message}; columns changed since the last good file: " + "; ".join(report.schema_drift),
        )
    data_root = pkg.parent.parent  # var/packages/<agency>: what follows is published, so no path of var/
    result = dataclasses.replace(result, message=public(result.message, roots=(data_root,)))
    if report.fatal_message:
        report.fatal_message = public(report.fatal_message, roots=(data_root,))
        report.fatal_message_fa = public(report.fatal_message_fa or "", roots=(data_root,))
    message_fa = (
        ""
        if result.accepted
        else public(
            fatal_message(
                str(result.reason),
                result.message,
                file=report.file,
                dataset=source.dataset,
                rows_failed=report.rows_failed,
                rows_read=report.rows_read,
            ).fa,
            roots=(data_root,),
        )
    )
    write_json(
        pkg / "reports" / f"{source.dataset}.json",
        {
            "run_id": run_id,
            "agency_id": agency.id,
            "source_id": source.id,
            "accepted": result.accepted,
            "reason": result.reason,
            "message": result.message,
            "message_fa": message_fa,
            **report.to_dict(),
        },
    )
    if result.accepted:
        descriptor = _pending_json(
            pkg / "datapackage.json",
            package_descriptor(
                pkg,
                agency,
                portal,
                adding=source.dataset,
                provenance={
                    source.dataset: {
                        "run_id": run_id,
                        "source": source.location,
                        "rows": report.rows_staged,
                        "columns": report.columns,
                        "history": source.history,
                    }
                },
            ),
        )
        durable.fsync_file(incoming)
        staged_rows, rows_path = rows_file.path_for(incoming), rows_file.path_for(pkg / f"{source.dataset}.csv")
        if staged_rows.exists():  # the rows typed for SQLite (a cache of the CSV, which it names by its stamp)
            durable.fsync_file(staged_rows)
            durable.replace(staged_rows, rows_path)
        else:
            rows_path.unlink(missing_ok=True)
        durable.replace(incoming, pkg / f"{source.dataset}.csv")
        durable.replace(descriptor, pkg / "datapackage.json")
    return result


def last_accepted(pkg: Path, dataset: str) -> dict[str, Any]:
    """What the package says of the dataset's last accepted file: run, source, rows, columns."""
    descriptor = pkg / "datapackage.json"
    if not descriptor.exists():
        return {}
    for resource in json.loads(descriptor.read_text(encoding="utf-8")).get("resources", []):
        if resource.get("name") == dataset:
            return resource.get("shafaf") or {}
    return {}


def schema_drift(before: dict[str, str] | None, now: dict[str, str]) -> list[str]:
    """Columns that disappeared or turned from numbers to text since the last accepted file."""
    if not before:
        return []
    notes = [f"column {name!r} disappeared" for name in before if name not in now]
    notes += [
        f"column {name!r} held numbers and now holds text"
        for name, kind in before.items()
        if kind == "number" and now.get(name) == "text"
    ]
    added = [name for name in now if name not in before]
    if added:
        notes.append(f"new column{'s' if len(added) > 1 else ''} {', '.join(repr(a) for a in added)}")
    return notes


def _shrink_guard(result: StageResult, previous_rows: int | None, portal: Portal) -> StageResult:
    """A valid file with far fewer rows than the last good one waits for a person (docs/reliability.md H18)."""
    rows = result.report.rows_staged
    if not previous_rows or rows >= portal.shrink_threshold * previous_rows:
        return result
    return StageResult(
        False,
        result.report,
        Reason.SUSPICIOUS_SHRINK,
        f"{result.report.file} has {rows} good rows where the last good file had {previous_rows} "
        f"(less than {portal.shrink_threshold:.0%}); the last good data stays published until an operator "
        f"accepts it with 'shafaf harvest --accept-shrink <agency>'",
    )


def _known_services(pkg: Path, dataset: str) -> set[str] | None:
    """The agency's staged service ids, for the foreign key of every dataset but services itself.

    None when the agency has no staged services yet: the check then waits for
    its services file rather than rejecting every row.
    """
    services = pkg / "services.csv"
    if dataset == "services" or not services.exists():
        return None
    return read_service_ids(services)


def _apply_policy(report: Report, portal: Portal) -> StageResult:
    """The row policy: bad rows are left out; too many of them, or none good, keeps the old data."""
    if report.fatal_reason:
        return StageResult(False, report, Reason(report.fatal_reason), report.fatal_message or "")
    if report.rows_read == 0:
        return StageResult(
            False, report, Reason.EMPTY, f"{report.file} has a header but no rows; the last good data stays published"
        )
    if report.rows_staged == 0 and report.rows_failed == 0:
        return StageResult(
            False, report, Reason.EMPTY, f"none of the {report.rows_read} rows of {report.file} has a value to publish"
        )
    if report.rows_passed == 0 or report.rows_staged == 0:
        return StageResult(
            False,
            report,
            Reason.NO_VALID_ROWS,
            f"none of the {report.rows_read} rows of {report.file} passed validation",
        )
    if report.error_rate > portal.row_error_threshold:
        return StageResult(
            False,
            report,
            Reason.TOO_MANY_INVALID_ROWS,
            f"{report.rows_failed} of {report.rows_read} rows of {report.file} failed validation "
            f"({report.error_rate:.0%}, above the {portal.row_error_threshold:.0%} the portal accepts)",
        )
    message = f"{report.rows_passed} rows passed"
    if report.rows_staged != report.rows_passed:
        message += f" ({report.rows_staged} rows to publish once columns became rows)"
    if report.rows_failed:
        message += f", {report.rows_failed} left out (see the validation report)"
    return StageResult(True, report, None, message)


def write_datapackage(pkg: Path, agency: Agency, portal: Portal, *, provenance: dict[str, dict[str, str]]) -> None:
    """Describe the staged CSVs as a Frictionless data package with the standard's schemas."""
    write_json(pkg / "datapackage.json", package_descriptor(pkg, agency, portal, provenance=provenance))


def package_descriptor(
    pkg: Path, agency: Agency, portal: Portal, *, provenance: dict[str, dict[str, str]], adding: str | None = None
) -> dict[str, Any]:
    """The package's descriptor: every staged CSV, and ``adding``, whose CSV is about to be put in place."""
    existing: dict[str, Any] = {}
    descriptor_path = pkg / "datapackage.json"
    if descriptor_path.exists():
        existing = {r["name"]: r for r in json.loads(descriptor_path.read_text(encoding="utf-8")).get("resources", [])}
    resources = []
    for kind in standard.DATASET_KINDS:
        csv_path = pkg / f"{kind}.csv"
        if kind != adding and not csv_path.exists():
            continue
        resource = {
            "name": kind,
            "path": csv_path.name,
            "profile": "tabular-data-resource",
            "format": "csv",
            "encoding": "utf-8",
            "schema": standard.load_schema(kind),
        }
        previous = existing.get(kind, {})
        resource["shafaf"] = provenance.get(kind, previous.get("shafaf", {}))
        resources.append(resource)
    return {
        "name": agency.id,
        "title": agency.name_en,
        "title_fa": agency.name_fa,
        "licenses": [{"name": portal.license.id, "title": portal.license.title, "path": portal.license.url}],
        "resources": resources,
    }
