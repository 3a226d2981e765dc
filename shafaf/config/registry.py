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
    License,
    Portal,
    Registry,
    SmartPlan,
    Source,
    Unpivot,
    redact_url,
)
from shafaf.config.schedule_limits import Limits
from shafaf.config.yaml_lines import LineDict, read_yaml, registry_problems
from shafaf.core import localfile
from shafaf.core.errors import RegistryError

if TYPE_CHECKING:
    from shafaf.config.agencies_file import AgencyModel

Located = tuple["int | None", str]  # (line, message)


def load(path: str | Path) -> Registry:
    """Read and check a registry file; raise RegistryError listing every problem with its line."""
    # The models are built when a registry is first read, not when a module names ``Source`` or ``Portal``:
    # building them (pydantic) is most of this module's import time.
    from pydantic import ValidationError

    from shafaf.config import registry_check
    from shafaf.config.agencies_file import RegistryFile

    path = Path(path)
    data, problems = registry_problems(read_yaml(path))  # lone surrogates, control characters
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
    warnings: list[Located] = []
    agencies = tuple(
        _agency(model, item, path.parent, warnings) for model, item in zip(checked.agencies, data["agencies"])
    )
    shown = tuple(f"{path}:{line}: {message}" for line, message in warnings)
    return Registry(path=path, portal=portal, agencies=agencies, warnings=shown)


def _limits(raw_portal: Any) -> Limits:
    """How often the portal lets a schedule run, which the sources' schedules are checked against."""
    from pydantic import ValidationError

    from shafaf.config.agencies_file import PortalModel

    try:
        return PortalModel.model_validate(raw_portal or {}).portal().schedule_limits
    except ValidationError:
        return Limits()  # the portal's own problems are reported with the whole file's


def _agency(model: AgencyModel, raw: LineDict, base: Path, warnings: list[Located]) -> Agency:
    from shafaf.config import registry_check
    from shafaf.config.sources.file import FileSource

    sources = []
    for source, item in zip(model.sources or (), raw.get("sources") or ()):
        path = None
        if isinstance(source, FileSource):
            path = localfile.resolve(base, source.path)
            if (why := localfile.problem(path)) is not None:
                # Not fatal: the source's runs fail with the same words and the other sources go on.
                warnings.append(
                    (
                        registry_check.line_at(item, ("path",)),
                        f"file {localfile.shown(source.path)} of agency {model.id!r} cannot be read: {why.message}",
                    )
                )
        made = source.source(agency_id=model.id, path=path, line=item.line)
        if made.tls is not None and getattr(source.tls, "ca_bundle", None):
            # A CA bundle is a file beside the registry, reviewed with it (docs/registry.md).
            made = dataclasses.replace(
                made, tls=dataclasses.replace(made.tls, ca_bundle=localfile.resolve(base, source.tls.ca_bundle))
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
