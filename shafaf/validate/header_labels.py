"""A header's column names as they are matched: cleaned of invisible marks, blank and repeated ones made unique.

Why apart: the names are what mapping matches and what every message
quotes; renaming them deterministically, and saying so, is one decision.
"""

from __future__ import annotations

import itertools

from shafaf.normalize.text import clean_text


def clean_labels(raw: list[str]) -> tuple[list[str], list[str]]:
    """Column names cleaned of invisible marks, blank and repeated names made unique; and what was renamed.

    A blank name becomes ``column N`` (its position); a repeated name becomes
    ``name (2)``, ``name (3)``... in order. Only the first column of a name is
    matched to the standard, so a repeated column is never merged with it nor
    silently dropped: it shows among the unused columns and in the report.
    """
    labels = [" ".join(clean_text(label).split()) for label in raw]
    taken = set(labels)
    seen: dict[str, int] = {}
    out, problems = [], []
    for i, label in enumerate(labels, start=1):
        if not label:
            new = _free(f"column {i}", taken)
            problems.append(f"column {i}: the name is blank in the header; it is read as {new!r}")
        elif label in seen:
            new = _free(label, taken, start=2)
            problems.append(
                f"column {i}: the name {label!r} is duplicated (column {seen[label]} has it too); "
                f"it is read as {new!r} and only column {seen[label]} is matched to the standard"
            )
        else:
            seen[label] = i
            out.append(label)
            continue
        taken.add(new)
        out.append(new)
    return out, problems


def _free(name: str, taken: set[str], *, start: int | None = None) -> str:
    """``name`` itself if free (and no number is asked for), else ``name (n)`` with the first free n."""
    if start is None and name not in taken:
        return name
    for n in itertools.count(start or 2):
        if (candidate := f"{name} ({n})") not in taken:
            return candidate
    raise AssertionError("unreachable")
