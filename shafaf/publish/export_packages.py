"""An agency's zipped Frictionless data package: ``agencies/<id>.zip`` of the downloads.

Its ``datapackage.json`` (the standard's schemas with the portal's extra
columns, the registry's sources with credentials redacted, the provenance of
every resource) and one CSV per dataset table with that agency's rows, in
the schema's field order. ``package_fingerprint`` is what, besides the
agency's published rows, the package is made of: an unchanged agency with
the same fingerprint keeps the package of the previous downloads.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

from shafaf import standard
from shafaf.config.registry import Registry, redact_url
from shafaf.publish.export_files import AGENCIES_DIR, ExportedFile, Sink, batches, csv_writer, hash_file
from shafaf.standard import tables

_FRICTIONLESS_TYPES = {"INTEGER": "integer", "REAL": "number", "TEXT": "string"}


def package_fingerprint(
    registry: Registry, agency_id: str, present: dict[str, dict[str, str]], *, common: tuple[str, str] | None = None
) -> str:
    """A digest of what an agency's package holds besides its rows: portal, sources, the tables' columns.

    ``common`` (``fingerprint_common``) is what every agency shares, encoded
    once for an export of a thousand agencies rather than once each; the
    digest is that of the JSON list [portal title, licence id, title, url,
    sources, columns] either way.
    """
    head, tail = common if common is not None else fingerprint_common(registry, present)
    sources = json.dumps(_sources(registry, agency_id), sort_keys=True, default=str)
    return hashlib.sha256(f"[{head}, {sources}, {tail}]".encode()).hexdigest()[:32]


def fingerprint_common(registry: Registry, present: dict[str, dict[str, str]]) -> tuple[str, str]:
    """The JSON of the fingerprint's parts before and after the agency's sources (the same for every agency)."""
    portal = registry.portal
    head = [portal.title_en, portal.license.id, portal.license.title, portal.license.url]
    columns = {k: present[k] for k in tables.DATASET_TABLES if k in present}
    return json.dumps(head, sort_keys=True, default=str)[1:-1], json.dumps(columns, sort_keys=True, default=str)


def package_schema(kind: str, columns: dict[str, str]) -> dict[str, Any]:
    """The standard's Table Schema of ``kind`` with the portal's extra columns appended as fields.

    The package holds exactly what is published, so run_id and the derived
    columns (jalali_year, fiscal_year, withdrawn...) are included and described.
    """
    schema = copy.deepcopy(standard.load_schema(kind))
    schema.pop("$schema", None)
    known = {f["name"] for f in schema["fields"]}
    schema["fields"] = [f for f in schema["fields"] if f["name"] in columns]
    for name, sqlite_type in columns.items():
        if name not in known:
            schema["fields"].append(
                {
                    "name": name,
                    **copy.deepcopy(tables.DERIVED_FIELDS.get(name, {"type": _FRICTIONLESS_TYPES[sqlite_type]})),
                }
            )
    return schema


def write_agency_zip(
    conn: sqlite3.Connection,
    agency: dict[str, Any],
    present: dict[str, dict[str, str]],
    folder: Path,
    registry: Registry,
    generated_at: str,
) -> ExportedFile:
    """``agencies/<id>.zip`` under ``folder``: datapackage.json and one CSV per dataset table, that agency's rows only."""
    agency_id = agency["id"]
    relative = f"{AGENCIES_DIR}/{agency_id}.zip"
    tmp = folder / relative
    stamp = dt.datetime.strptime(generated_at, "%Y-%m-%dT%H:%M:%SZ").timetuple()[:6]
    resources = []
    total = 0
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for kind in tables.DATASET_TABLES:
            if kind not in present:
                continue
            columns = present[kind]
            schema = package_schema(kind, columns)
            info = _member(f"{kind}.csv", stamp)
            with zf.open(info, "w", force_zip64=True) as member:
                sink = Sink(member)
                rows, run_ids = _write_package_csv(conn, kind, agency_id, schema, sink)
            total += rows
            resources.append(
                {
                    "name": kind,
                    "path": f"{kind}.csv",
                    "profile": "tabular-data-resource",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "bytes": sink.bytes,
                    "hash": f"sha256:{sink.sha256.hexdigest()}",
                    "schema": schema,
                    "shafaf": {"rows": rows, "runs": _runs(conn, present, run_ids)},
                }
            )
        descriptor = _descriptor(agency, registry, resources, generated_at)
        zf.writestr(_member("datapackage.json", stamp), json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n")
    digest, size = hash_file(tmp)
    return ExportedFile(relative, "datapackage_zip", size, digest, total, None, agency_id, generated_at)


def _member(name: str, stamp: tuple[int, ...]) -> zipfile.ZipInfo:
    """A deflated zip member, readable by everyone once extracted (rw-r--r--)."""
    info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o100644 << 16
    return info


def _write_package_csv(
    conn: sqlite3.Connection, kind: str, agency_id: str, schema: dict[str, Any], sink: Sink
) -> tuple[int, set[str]]:
    """The agency's rows of one table, in the schema's field order.

    A boolean is stored 0/1 and written true/false so the schema's boolean
    validates; any other stored value is written as it is, and fails
    validation visibly rather than being guessed.
    """
    names = [f["name"] for f in schema["fields"]]
    booleans = {f["name"] for f in schema["fields"] if f["type"] == "boolean"}
    selected = [
        f"CASE [{c}] WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE [{c}] END" if c in booleans else f"[{c}]"
        for c in names
    ]
    run_at = names.index("run_id") if "run_id" in names else None
    writer = csv_writer(sink)
    writer.writerow(names)
    rows = 0
    run_ids: set[str] = set()
    sql = f"SELECT {', '.join(selected)} FROM [{kind}] WHERE agency_id = ? ORDER BY rowid"
    for batch in batches(conn, sql, (agency_id,)):
        writer.writerows(batch)
        if run_at is not None:
            run_ids.update(row[run_at] for row in batch if row[run_at])
        rows += len(batch)
        sink.flush()
    sink.flush()
    return rows, run_ids


def _runs(conn: sqlite3.Connection, present: dict[str, dict[str, str]], run_ids: set[str]) -> list[dict[str, Any]]:
    """Provenance of a resource: the published harvest runs its rows came from (locations already redacted)."""
    if not run_ids:
        return []
    wanted = [
        c
        for c in (
            "run_id",
            "source_id",
            "dataset",
            "kind",
            "location",
            "started",
            "finished",
            "outcome",
            "sha256",
            "rows_passed",
        )
        if c in present.get("harvest_runs", {})
    ]
    found: dict[str, dict[str, Any]] = {}
    if "run_id" in wanted:
        ids = sorted(run_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = (
                f"SELECT {', '.join(f'[{c}]' for c in wanted)} FROM harvest_runs "
                f"WHERE run_id IN ({', '.join('?' * len(chunk))})"
            )
            for row in conn.execute(sql, chunk):
                run = dict(zip(wanted, row))
                if run.get("location"):
                    run["location"] = redact_url(run["location"])
                found[run["run_id"]] = run
    return [found.get(run_id, {"run_id": run_id}) for run_id in sorted(run_ids)]


def _descriptor(
    agency: dict[str, Any], registry: Registry, resources: list[dict[str, Any]], generated_at: str
) -> dict[str, Any]:
    portal = registry.portal
    name_en = agency.get("name_en") or agency["id"]
    return {
        "name": agency["id"],
        "title": name_en,
        "title_fa": agency.get("name_fa") or name_en,
        "description": f"What the portal {portal.title_en} publishes for {name_en}: every dataset table, "
        f"exactly as published, with the data standard's schemas.",
        "created": generated_at,
        "licenses": [{"name": portal.license.id, "title": portal.license.title, "path": portal.license.url}],
        "sources": _sources(registry, agency["id"]),
        "shafaf": {
            "agency_id": agency["id"],
            "published_at": agency.get("published_at"),
            "last_good_harvest": agency.get("last_good_harvest"),
            "generated_at": generated_at,
            "portal": portal.title_en,
        },
        "resources": resources,
    }


def _sources(registry: Registry, agency_id: str) -> list[dict[str, str]]:
    """The registry's sources of the agency: URLs redacted of credentials; local files by name only."""
    try:
        agency = registry.agency(agency_id)
    except KeyError:  # an agency found in a multi-agency source, not in the registry
        return []
    out = []
    for source in agency.sources:
        title = f"{source.dataset} ({source.kind} source {source.id})"
        if source.url:
            out.append({"title": title, "path": redact_url(source.url)})
        elif source.path is not None:
            out.append({"title": f"{title}: file {Path(source.path).name}"})
        else:
            out.append({"title": title})
    return out
