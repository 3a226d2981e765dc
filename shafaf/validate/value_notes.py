"""Changes made to an agency's values while reading them, noted in the report (issue 15 case 14).

Cleaning text removes characters that carry no meaning in the data but can
change how it displays or compares (``normalize.text``: bidi overrides such
as U+202E, NUL and other controls, zero-width marks). The value published
is then not byte for byte what the agency wrote, so each such change is a
note on its row and column: the first ``MAX_LISTED`` in full, all of them
counted. Notes fail nothing.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from shafaf.core.catalogue import in_every_language, number, say

MAX_LISTED = 100


@dataclasses.dataclass(frozen=True)
class ValueNote:
    row_number: int
    field: str
    column_number: int | None
    removed: tuple[str, ...]  # "U+202E (right-to-left override)", ...
    message: str
    message_fa: str


@dataclasses.dataclass
class ValueNotes:
    """The notes of one file: a bounded list, and how many there were in all."""

    listed: list[ValueNote] = dataclasses.field(default_factory=list)
    total: int = 0

    def add(self, row_number: int, field: str, column_number: int | None, removed: list[str]) -> None:
        self.total += 1
        if len(self.listed) >= MAX_LISTED:
            return
        text = in_every_language(lambda lang: _note(row_number, field, column_number, ", ".join(removed), lang))
        self.listed.append(ValueNote(row_number, field, column_number, tuple(removed), text.en, text.fa))

    def to_list(self) -> list[dict[str, Any]]:
        return [dataclasses.asdict(n) | {"removed": list(n.removed)} for n in self.listed]

    def summary(self) -> str | None:
        """One line for a report read by people, or None when nothing was changed."""
        if not self.total:
            return None
        first = self.listed[0].message if self.listed else ""
        return f"invisible characters were removed from {self.total:,} value(s) (the report's changes list them); first, {first}"


def _note(row_number: int, field: str, column_number: int | None, marks: str, lang: str) -> str:
    values = {"row": number(row_number, lang), "field": field, "marks": marks}
    if column_number:
        return say(
            lang,
            "row %(row)s, column %(field)s (column %(number)s): removed %(marks)s from the value; "
            "it is published without them",
            number=number(column_number, lang),
            **values,
        )
    return say(
        lang, "row %(row)s, column %(field)s: removed %(marks)s from the value; it is published without them", **values
    )
