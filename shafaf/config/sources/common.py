"""What every source in ``agencies.yml`` may say, whatever its kind (``sources/`` has one module a kind).

A source names the dataset kind it feeds, how to read its file (format,
encoding, sheet), when to harvest it, how its columns and values map onto
the standard, and, for a national file, which column names each row's agency.
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

from shafaf.config.field_types import (
    Column,
    DatasetKind,
    Encoding,
    Plain,
    Schedule,
    SourceId,
    Text,
    choice,
    mapping_of,
    number,
    refuse,
)
from shafaf.config.registry_models import Source, Unpivot
from shafaf.core.formats import FORMATS

CALENDARS = ("gregorian", "jalali")
HISTORY_MODES = ("full", "recent")


class Part(BaseModel):
    """A mapping inside the registry: unknown keys are refused (with a suggestion)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class UnpivotColumns(Part):
    """Columns that become rows: each listed column gives one row with ``field`` set to its value in ``columns``."""

    field: Text
    value: Text
    columns: mapping_of(Text)

    @model_validator(mode="after")
    def _has_columns(self) -> UnpivotColumns:
        if not self.columns:
            raise refuse("{where} must map source columns (in 'columns') to values of its 'field'")
        return self


class NewAgencies(Part):
    """The columns of a national file that name an agency not yet in the registry."""

    name_en: Text | None = None
    name_fa: Text | None = None
    website: Text | None = None


class SourceFields(Part):
    """The keys every kind of source takes."""

    kind: str
    id: SourceId | None = None  # default: the dataset kind
    dataset: DatasetKind
    format: choice(FORMATS, f"format {{value}} is not one of {', '.join(FORMATS)}") | None = None
    encoding: Encoding | None = None
    sheet: Text | None = None
    schedule: Schedule | None = None
    # The calendar of two-digit years: yy >= year_pivot is 13yy (Jalali) or 19yy (Gregorian), below it 14yy or 20yy.
    calendar: choice(CALENDARS) | None = None
    year_pivot: number(int, 0, 99) | None = None
    # "full": each file is the whole history; "recent": a file sends only recent periods, older ones stay published.
    history: choice(HISTORY_MODES) | None = None
    fields: mapping_of(Column) = {}  # standard field (or 'period') -> source column; checked against the dataset
    values: mapping_of(mapping_of(Plain)) = {}  # standard field -> {value in the file: value in the standard}
    unpivot: UnpivotColumns | None = None
    agency_column: Text | None = None
    new_agencies: NewAgencies | None = None

    # What a missing key of this kind needs, said after "needs a 'key'".
    NEEDS: ClassVar[dict[str, str]] = {}

    def source(self, *, agency_id: str, path: Path | None, line: int | None) -> Source:
        """The frozen ``Source`` the harvest uses."""
        own: dict[str, Any] = {}
        for key in self.kind_keys():
            value = getattr(self, key)
            if key in ("url", "path") or value is None:
                continue  # the path is resolved by the loader; a key left out keeps the dataclass' default
            if isinstance(value, BaseModel):
                value = value.model_dump(exclude_none=True)
            own[key] = MappingProxyType(value) if isinstance(value, dict) else value
        unpivot = self.unpivot and Unpivot(
            field=self.unpivot.field, value=self.unpivot.value, columns=MappingProxyType(dict(self.unpivot.columns))
        )
        return Source(
            id=self.id or self.dataset,
            dataset=self.dataset,
            kind=self.kind,
            agency_id=agency_id,
            path=path,
            url=getattr(self, "url", None),
            format=self.format,
            encoding=self.encoding,
            sheet=self.sheet,
            schedule=self.schedule,
            calendar=self.calendar,
            year_pivot=self.year_pivot,
            history=self.history or "full",
            fields=MappingProxyType(dict(self.fields)),
            values=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.values.items()}),
            unpivot=unpivot,
            agency_column=self.agency_column,
            new_agencies=MappingProxyType(self.new_agencies.model_dump(exclude_none=True) if self.new_agencies else {}),
            line=line,
            **own,
        )

    @classmethod
    @functools.cache
    def kind_keys(cls) -> tuple[str, ...]:
        """The keys this kind adds to the common ones (once per kind: a registry has thousands of sources)."""
        return tuple(k for k in cls.model_fields if k not in SourceFields.model_fields)
