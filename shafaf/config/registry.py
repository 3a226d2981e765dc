"""Load ``metadata/agencies.yml`` into frozen dataclasses, or say every problem at once.

Every problem in the file is collected and reported at once, each with its
line number, so an operator fixes the registry in one pass instead of one
error per run. The file's shape is pydantic models (``agencies_file``, and
``sources/`` one model a kind), their problems are put into words and lines
by ``registry_check``, and what the code uses is ``registry_models``' frozen
dataclasses, all importable from here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shafaf.config.registry_models import (  # noqa: F401  (the public names of the registry)
    AGENCY_ID,
    ENV_REFERENCE,
    SECRET_HEADER,
    SOURCE_ID,
    Agency,
    Checked,
    License,
    Place,
    Portal,
    Registry,
    SmartPlan,
    Source,
    Unpivot,
    redact_url,
)
from shafaf.config.schedule_limits import Limits
from shafaf.config.yaml_lines import LineDict, parse_yaml, read_bytes, registry_problems
from shafaf.core import localfile
from shafaf.core.errors import RegistryError

if TYPE_CHECKING:
    from shafaf.config.agencies_file import AgencyModel


def load(path: str | Path) -> Registry:
    """Read and check a registry file; raise RegistryError listing every problem with its line.

    A file checked before (the same bytes, the same code) is taken from the cache (``registry_cache``):
    only where its file paths point is looked at again, since files move while a registry stays.
    """
    from shafaf.config import registry_cache

    path = Path(path)
    content = read_bytes(path)
    checked = registry_cache.fetch(content)
    if checked is None:
        checked = _check(path, content)
        registry_cache.keep(content, checked)
    return _placed(path, checked)


def _check(path: Path, content: bytes) -> Checked:
    """What the file says, every problem raised at once; its file paths are not yet resolved."""
    # The models are built when a registry is first read, not when a module names ``Source`` or ``Portal``:
    # building them (pydantic) is most of this module's import time.
    from pydantic import ValidationError

    from shafaf.config import registry_check
    from shafaf.config.agencies_file import RegistryFile

    data, problems = registry_problems(parse_yaml(content, path))  # lone surrogates, control characters
    if not isinstance(data, LineDict):
        raise RegistryError(
            str(path),
            [
                (
                    None,
                    f"the registry must be a mapping with 'portal' and 'agencies', "
                    f"not {registry_check.kind_of_value(data)}",
                )
            ],
        )
    problems = problems + registry_check.cross_checks(data)
    try:
        checked = RegistryFile.model_validate(data, context={"limits": _limits(data.get("portal"))})
    except ValidationError as e:
        problems += registry_check.problems_of(e, data)
        checked = None
    if problems or checked is None:
        raise RegistryError(str(path), sorted(problems, key=lambda p: p[0] or 0))
    portal = checked.portal.portal() if checked.portal is not None else Portal()
    places: list[Place] = []
    agencies = tuple(
        _agency(index, model, item, places)
        for index, (model, item) in enumerate(zip(checked.agencies, data["agencies"]))
    )
    return Checked(portal=portal, agencies=agencies, places=tuple(places))


def _placed(path: Path, checked: Checked) -> Registry:
    """The registry with its files resolved beside ``path``; a file that cannot be read is a warning."""
    base = path.parent
    agencies = [list(agency.sources) for agency in checked.agencies]
    shown: list[str] = []
    for place in checked.places:
        source = agencies[place.agency][place.source]
        if place.path is not None:
            resolved = localfile.resolve(base, place.path)
            source = dataclasses.replace(source, path=resolved)
            if (why := localfile.problem(resolved)) is not None:
                # Not fatal: the source's runs fail with the same words and the other sources go on.
                shown.append(
                    f"{path}:{place.line}: file {localfile.shown(place.path)} of agency "
                    f"{source.agency_id!r} cannot be read: {why.message}"
                )
        if place.ca_bundle is not None and source.tls is not None:
            # A CA bundle is a file beside the registry, reviewed with it (docs/registry.md).
            tls = dataclasses.replace(source.tls, ca_bundle=localfile.resolve(base, place.ca_bundle))
            source = dataclasses.replace(source, tls=tls)
        agencies[place.agency][place.source] = source
    placed = tuple(
        dataclasses.replace(agency, sources=tuple(sources)) if sources != list(agency.sources) else agency
        for agency, sources in zip(checked.agencies, agencies)
    )
    return Registry(path=path, portal=checked.portal, agencies=placed, warnings=tuple(shown))


def _limits(raw_portal: Any) -> Limits:
    """How often the portal lets a schedule run, which the sources' schedules are checked against."""
    from pydantic import ValidationError

    from shafaf.config.agencies_file import PortalModel

    try:
        return PortalModel.model_validate(raw_portal or {}).portal().schedule_limits
    except ValidationError:
        return Limits()  # the portal's own problems are reported with the whole file's


def _agency(index: int, model: AgencyModel, raw: LineDict, places: list[Place]) -> Agency:
    from shafaf.config import registry_check
    from shafaf.config.sources.file import FileSource

    sources = []
    for number, (source, item) in enumerate(zip(model.sources or (), raw.get("sources") or ())):
        made = source.source(agency_id=model.id, path=None, line=item.line)
        ca_bundle = getattr(source.tls, "ca_bundle", None) if made.tls is not None else None
        if isinstance(source, FileSource) or ca_bundle:
            places.append(
                Place(
                    agency=index,
                    source=number,
                    path=source.path if isinstance(source, FileSource) else None,
                    line=registry_check.line_at(item, ("path",)),
                    ca_bundle=ca_bundle or None,
                )
            )
        sources.append(made)
    return Agency(
        id=model.id,
        name_fa=model.name_fa,
        name_en=model.name_en,
        parent=model.parent,
        website=model.website,
        contact_email=model.contact_email,
        description_fa=model.description_fa,
        description_en=model.description_en,
        sources=tuple(sources),
        line=raw.line,
        webhook_url=model.webhook_url,
    )
