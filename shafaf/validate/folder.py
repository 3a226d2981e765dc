"""Several files at once: a folder of an agency's datasets, validated in the standard's order."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from shafaf import standard
from shafaf.core import jsonguard, localfile
from shafaf.core.errors import StageError
from shafaf.core.formats import FORMAT_BY_SUFFIX as DATA_FORMATS
from shafaf.core.models import Reason, Skip
from shafaf.validate.engine import validate_file
from shafaf.validate.mapping import NO_MAPPING, MappingOptions
from shafaf.validate.report import Report, read_service_ids


@dataclasses.dataclass(frozen=True)
class FileToCheck:
    path: Path
    kind: str
    format: str
    encoding: str | None = None


def dataset_of(name: str) -> str | None:
    """The dataset kind a file name gives: ``services.csv``, ``tax_service_performance.xlsx``, ``services-1402.csv``."""
    stem = Path(name).stem.lower().replace("-", "_").replace(" ", "_")
    for kind in sorted(standard.DATASET_KINDS, key=len, reverse=True):
        if stem == kind or stem.endswith("_" + kind) or stem.startswith(kind + "_"):
            return kind
    return None


def folder_files(folder: Path) -> tuple[list[FileToCheck], list[tuple[str, Skip]]]:
    """The files of ``folder`` to validate, in the standard's order (services first), and those skipped with why.

    A ``datapackage.json`` in the folder says which files are which (its
    resources' names, else their paths); otherwise every CSV/XLSX/JSON file
    whose name gives a dataset kind. Skip reasons: no_dataset, outside,
    remote, missing, unreadable (a link loop, a FIFO or device, no
    permission: ``localfile`` says which, and nothing is opened).
    """
    found: list[FileToCheck] = []
    skipped: list[tuple[str, Skip]] = []
    descriptor = folder / "datapackage.json"
    if localfile.problem(descriptor) is None:
        try:
            resources = jsonguard.loads(descriptor.read_bytes()).get("resources", [])
        except (ValueError, AttributeError) as e:
            raise StageError(Reason.UNREADABLE, f"{descriptor} is not a valid data package: {e}") from e
        root = localfile.resolve(Path.cwd(), str(folder))
        for resource in resources if isinstance(resources, list) else []:
            if not isinstance(resource, dict):
                continue
            where = resource.get("path")
            label = str(where or resource.get("name") or "?")
            if not isinstance(where, str) or not where:
                skipped.append((label, Skip.MISSING))
                continue
            if "://" in where:
                skipped.append((label, Skip.REMOTE))
                continue
            path = localfile.resolve(root, where)
            if not path.is_relative_to(root):
                skipped.append((label, Skip.OUTSIDE))
                continue
            kind = resource.get("name") if resource.get("name") in standard.DATASET_KINDS else dataset_of(where)
            why = localfile.problem(path)
            if kind is None:
                skipped.append((label, Skip.NO_DATASET))
            elif why is not None:
                skipped.append((label, Skip.MISSING if why.reason == Reason.NOT_FOUND else Skip.UNREADABLE))
            else:
                fmt = str(resource.get("format") or DATA_FORMATS.get(path.suffix.lower(), "csv")).lower()
                found.append(FileToCheck(path, kind, fmt, resource.get("encoding")))
    else:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in DATA_FORMATS or localfile.is_folder(path):
                continue
            kind = dataset_of(path.name)
            if kind is None:
                skipped.append((path.name, Skip.NO_DATASET))
            elif localfile.problem(path) is not None:
                skipped.append((path.name, Skip.UNREADABLE))
            else:
                found.append(FileToCheck(path, kind, DATA_FORMATS[path.suffix.lower()]))
    found.sort(key=lambda f: (standard.DATASET_KINDS.index(f.kind), f.path.name))
    return found, skipped


def validate_files(
    files: list[FileToCheck], *, encoding: str | None = None, mapping: MappingOptions = NO_MAPPING
) -> list[Report]:
    """Validate files together: the other datasets' service ids are checked against the services files' passing rows.

    ``files`` in the standard's order (``folder_files`` gives them so). No
    services file, or one that could not be read, leaves the check out.
    """
    reports = []
    known: set[str] | None = None
    with tempfile.TemporaryDirectory(prefix="shafaf-validate-") as tmp:
        for number, f in enumerate(files):
            out = Path(tmp) / f"services-{number}.csv" if f.kind == "services" else None
            report = validate_safely(
                f.path,
                f.kind,
                format=f.format,
                encoding=f.encoding or encoding,
                mapping=mapping,
                known_services=None if f.kind == "services" else known,
                out_csv=out,
            )
            if out is not None and out.exists() and not report.fatal_reason:
                known = (known or set()) | read_service_ids(out)
            reports.append(report)
    return reports


def validate_safely(path: Path, kind: str, **options: Any) -> Report:
    """``validate_file`` for a person at a terminal: anything unforeseen becomes a refused file, never a traceback."""
    try:
        return validate_file(path, kind, **options)
    except (OSError, ValueError, LookupError, RuntimeError, TypeError) as e:
        report = Report(file=path.name, dataset=kind)
        report.fail(Reason.UNREADABLE, f"{path.name} could not be validated: {type(e).__name__}: {e}")
        return report
