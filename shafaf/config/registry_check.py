"""Every problem of ``agencies.yml`` as a line number and a sentence an operator acts on.

Two kinds of problem, both reported in one pass: what pydantic finds in
each value (``problems_of``: an unknown key with a suggestion, a missing
key, a value of the wrong kind, each located on its YAML line through
``LineDict.key_lines``), and what only the whole file shows (``cross_checks``:
two agencies with one id, two sources of one dataset, a mapping naming a
field its dataset does not have, a secret written into a header).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from shafaf.config.agencies_file import RegistryFile
from shafaf.config.field_types import ERROR_TYPE
from shafaf.config.registry_models import AGENCY_ID, ENV_REFERENCE, SECRET_HEADER
from shafaf.config.sources import SOURCE_KINDS, SOURCE_MODELS
from shafaf.config.yaml_lines import LineDict, LineList
from shafaf.standard import DATASET_KINDS, field_names

Problem = tuple["int | None", str]
Loc = tuple[Any, ...]


def problems_of(error: ValidationError, raw: Any) -> list[Problem]:
    """Each of pydantic's errors as (line, message)."""
    out = []
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        path, kind = _without_tag(loc)
        line_path, message = path, _message(detail, loc, path, kind, raw)
        if detail["type"] == "union_tag_invalid":
            line_path = path + ("kind",)
        out.append((line_at(raw, line_path), message))
    return out


def _message(detail: dict[str, Any], loc: Loc, path: Loc, kind: str | None, raw: Any) -> str:
    kind_type, key = detail["type"], (path[-1] if path else "")
    if kind_type == ERROR_TYPE:
        return (
            detail["msg"]
            .replace("{where}", where(path, raw))
            .replace("{owner}", where(path[:-1], raw))
            .replace("{kind}", kind_of_value(detail["input"]))
            .replace("{key}", str(key))
        )
    if kind_type == "extra_forbidden":
        return _unknown_key(loc, path, kind, raw)
    if kind_type == "missing":
        if path == ("agencies",):
            return "the registry lists no agencies (add an 'agencies:' list)"
        if kind is not None and len(path) == 5:
            needs = SOURCE_MODELS[kind].NEEDS.get(str(key), "")
            article = "an" if str(key)[:1] in "aeio" else "a"
            return f"{where(path[:-1], raw)} of kind {kind!r} needs {article} {key!r}{needs}"
        return f"{where(path[:-1], raw)} has no {key!r}"
    if kind_type == "union_tag_invalid":
        return f"source kind {detail['ctx']['tag']!r} is not supported; use one of {', '.join(SOURCE_KINDS)}"
    if kind_type in ("union_tag_not_found", "model_type", "model_attributes_type", "dict_type"):
        return f"{where(path, raw)} must be a mapping of keys to values, not {kind_of_value(detail['input'])}"
    if kind_type == "list_type":
        if path == ("agencies",) and detail["input"] is None:
            return "the registry lists no agencies (add an 'agencies:' list)"
        return f"{where(path, raw)} must be a list, not {kind_of_value(detail['input'])}"
    return f"{where(path, raw)}: {detail['msg']}"


def _unknown_key(loc: Loc, path: Loc, kind: str | None, raw: Any) -> str:
    key, owner = path[-1], where(path[:-1], raw)
    model = model_at(loc[:-1])
    if kind is not None and len(path) == 5:  # a key of the source itself
        if key == "path":
            return f"{owner} of kind {kind!r} takes a 'url', not a 'path'"
        kinds = [k for k, m in SOURCE_MODELS.items() if key in m.model_fields]
        if kinds:
            return f"{key!r} applies only to sources of kind {' or '.join(repr(k) for k in kinds)}"
    allowed = list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
    return f"unknown key {key!r} in {owner}{suggestion(key, allowed)}"


def suggestion(key: Any, allowed: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest allowed key, or nothing."""
    hint = difflib.get_close_matches(str(key), sorted(allowed), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def _without_tag(loc: Loc) -> tuple[Loc, str | None]:
    """The location in the YAML tree (pydantic adds a source's kind after its index), and that kind."""
    if len(loc) > 4 and loc[0] == "agencies" and loc[2] == "sources" and loc[4] in SOURCE_MODELS:
        return loc[:4] + loc[5:], loc[4]
    return loc, None


def model_at(loc: Loc) -> Any:
    """The model (or type) that validates the value at pydantic's ``loc``."""
    tp: Any = RegistryFile
    for step in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if step not in tp.model_fields:
                return None
            tp = tp.model_fields[step].annotation
        elif get_origin(tp) in (list, dict):
            tp = get_args(tp)[-1]
        elif step in SOURCE_MODELS:
            tp = SOURCE_MODELS[step]
        else:
            return None
    return _unwrap(tp)


def _unwrap(tp: Any) -> Any:
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp) and len(get_args(tp)) == 2:
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp


def _item(raw: Any, *steps: Any) -> Any:
    for step in steps:
        if isinstance(raw, dict):
            raw = raw.get(step)
        elif isinstance(raw, list) and isinstance(step, int) and 0 <= step < len(raw):
            raw = raw[step]
        else:
            return None
    return raw


def _agency_name(raw_agency: Any) -> str | None:
    agency_id = raw_agency.get("id") if isinstance(raw_agency, dict) else None
    if isinstance(agency_id, int) and not isinstance(agency_id, bool):
        agency_id = str(agency_id)  # read as text, as the model reads it
    return agency_id if isinstance(agency_id, str) and AGENCY_ID.match(agency_id) else None


def where(path: Loc, raw: Any) -> str:
    """The value at ``path`` in words: ``'portal.license'``, ``agency 'tax'``, ``'url' of a source of agency 'tax'``."""
    if len(path) >= 2 and path[0] == "agencies" and isinstance(path[1], int):
        agency_id = _agency_name(_item(raw, "agencies", path[1]))
        agency = f"agency {agency_id!r}" if agency_id else "an agency"
        if len(path) >= 4 and path[2] == "sources" and isinstance(path[3], int):
            name, rest = f"a source of {agency}", path[4:]
        else:
            name, rest = agency, path[2:]
        return f"'{'.'.join(map(str, rest))}' of {name}" if rest else name
    return f"'{'.'.join(map(str, path))}'" if path else "the registry"


def line_at(raw: Any, path: Loc) -> int | None:
    """The YAML line of the value at ``path``: its key's line, or its mapping's when the key is missing."""
    line = getattr(raw, "line", None)
    node = raw
    for step in path:
        if isinstance(node, LineDict):
            key = next((k for k in node if k == step or str(k) == str(step)), None)
            if key is None:
                break
            line, node = node.key_lines.get(key, node.line), node[key]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step] if isinstance(node, LineList) else line
            node = node[step]
            line = getattr(node, "line", line)
        else:
            break
    return line or None


def kind_of_value(value: Any) -> str:
    """What a value is, in words (``a list``, ``text``, ``empty``)."""
    return {
        list: "a list",
        LineList: "a list",
        dict: "a mapping",
        LineDict: "a mapping",
        str: "text",
        type(None): "empty",
    }.get(type(value), type(value).__name__)


def cross_checks(raw: LineDict) -> list[Problem]:
    """What only the whole file shows; each value's own shape is pydantic's (``problems_of``)."""
    out: list[Problem] = []
    portal = raw.get("portal")
    if isinstance(portal, LineDict) and "plan_start_year" in portal and "smart_plan" in portal:
        out.append((line_at(portal, ("plan_start_year",)), "set either plan_start_year or smart_plan, not both"))
    agencies = raw.get("agencies")
    seen: dict[str, int | None] = {}
    for item in agencies if isinstance(agencies, list) else ():
        agency_id = _agency_name(item)
        if agency_id is None:
            continue
        if agency_id in seen:
            out.append((item.line, f"duplicate agency id {agency_id!r} (first at line {seen[agency_id]})"))
            continue
        seen[agency_id] = item.line
        sources = item.get("sources")
        out.extend(_sources(agency_id, sources if isinstance(sources, list) else []))
    return out


def _sources(agency_id: str, sources: list[Any]) -> list[Problem]:
    out: list[Problem] = []
    ids: dict[str, int | None] = {}
    datasets: dict[str, int | None] = {}
    for source in sources:
        if not isinstance(source, LineDict):
            continue
        what = f"a source of agency {agency_id!r}"
        out.extend(_source(source, what))
        source_id, dataset = source.get("id") or source.get("dataset"), source.get("dataset")
        if isinstance(source_id, int) and not isinstance(source_id, bool):
            source_id = str(source_id)
        if not isinstance(source_id, str):
            continue
        if source_id in ids:
            out.append(
                (
                    source.line,
                    f"agency {agency_id!r} has two sources with id {source_id!r} "
                    f"(first at line {ids[source_id]}); give one an 'id'",
                )
            )
            continue
        if isinstance(dataset, str) and dataset in datasets and not source.get("agency_column"):
            # An agency's dataset is one staged table; two sources would replace each other's rows.
            out.append(
                (
                    source.line,
                    f"agency {agency_id!r} has two sources of dataset {dataset!r} "
                    f"(first at line {datasets[dataset]}); combine them into one source",
                )
            )
            continue
        ids[source_id] = source.line
        if isinstance(dataset, str) and not source.get("agency_column"):
            datasets[dataset] = source.line
    return out


def _source(source: LineDict, what: str) -> list[Problem]:
    out: list[Problem] = []
    if source.get("year_pivot") is not None and source.get("calendar") is None:
        out.append(
            (
                line_at(source, ("year_pivot",)),
                f"{what} sets 'year_pivot' but no 'calendar': say whether its two-digit years are jalali or gregorian",
            )
        )
    new_agencies = source.get("new_agencies")
    if isinstance(new_agencies, dict) and new_agencies:
        if source.get("agency_column") is None:
            out.append((line_at(source, ("new_agencies",)), f"'new_agencies' of {what} needs an 'agency_column'"))
        if "name_en" not in new_agencies and "name_fa" not in new_agencies:
            out.append(
                (
                    line_at(source, ("new_agencies",)),
                    f"'new_agencies' of {what} must name the column of name_en or name_fa",
                )
            )
    headers = source.get("headers")
    for name, value in headers.items() if isinstance(headers, LineDict) else ():
        if SECRET_HEADER.search(str(name)) and not ENV_REFERENCE.search(str(value)):
            out.append(
                (
                    line_at(headers, (name,)),
                    f"header {name!r} of {what} holds a secret written in the "
                    f"registry; put it in an environment variable and write "
                    f"'${{NAME}}' instead",
                )
            )
    dataset = source.get("dataset")
    if dataset in DATASET_KINDS:
        out.extend(_against_the_standard(source, str(dataset), what))
    return out


def _against_the_standard(source: LineDict, dataset: str, what: str) -> list[Problem]:
    """The fields a source's ``fields``, ``values`` and ``unpivot`` name are fields of its dataset."""
    out: list[Problem] = []
    known = set(field_names(dataset))
    for key, allowed in (("fields", known | {"period"}), ("values", known)):  # 'period': start, end and label
        mapping = source.get(key)
        for name in mapping if isinstance(mapping, LineDict) else ():
            if str(name) not in allowed:
                out.append(
                    (
                        line_at(mapping, (name,)),
                        f"unknown key {name!r} in '{key}' of {what} (not a field of "
                        f"{dataset!r}){suggestion(name, allowed)}",
                    )
                )
    unpivot = source.get("unpivot")
    for key in ("field", "value") if isinstance(unpivot, LineDict) else ():
        if isinstance(unpivot.get(key), str) and unpivot[key] not in known:
            out.append((line_at(unpivot, (key,)), f"'unpivot.{key}' of {what} must name a field of {dataset!r}"))
    return out
