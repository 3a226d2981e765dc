"""What each validation problem is called and what to do about it: one entry per error type, in the catalogue.

Keyed by error type: frictionless' own types (type-error, constraint-error,
missing-cell, ...), ours (cross-field, foreign-key, date-error, ...) and the
reasons a whole file is refused (missing_column, encoding, ...). Names and
fixes are English msgids of the one gettext catalogue
(``shafaf.core.catalogue``); ``kind.name[lang]`` reads them in a language.

Codes that are part of the standard (online, in_person, field names) stay
Latin in every language: they are what the agency must type.
"""

from __future__ import annotations

import dataclasses

from shafaf.core.catalogue import Phrase


@dataclasses.dataclass(frozen=True)
class Kind:
    """An error type (or a reason a file is refused) as people read it: a plain name and what to fix."""

    name: Phrase
    fix: Phrase


_FIX_VALUES = Phrase(
    "Use only what the standard allows in this column: one of its listed values, a number within its limits, "
    "or a value in its form; do not leave required cells empty."
)
_FIX_FILE = Phrase(
    "Check that the file really is a CSV, XLSX or JSON table and is not damaged: open it in a spreadsheet and save it again."
)
_FIX_ROWS = Phrase("Fix the rows listed in the report (row, column, value), then send or harvest the file again.")

ERROR_TYPES: dict[str, Kind] = {
    # frictionless: cells
    "type-error": Kind(
        Phrase("wrong kind of value"),
        Phrase(
            "Write numbers with digits only (no units or words; leave the cell empty when there is no figure), "
            "dates like 1402/07/15 or 2024-03-05, yes/no columns as yes/no, true/false or بله/خیر, "
            "web addresses starting with https://."
        ),
    ),
    "constraint-error": Kind(Phrase("value not allowed"), _FIX_VALUES),
    "unique-error": Kind(
        Phrase("repeated value in a unique column"),
        Phrase("Every row needs its own value in this column: remove the repeated row or correct the value."),
    ),
    "primary-key": Kind(
        Phrase("repeated row key"),
        Phrase(
            "Keep one row per key (for example one row per service, period and channel): "
            "remove the repeated row, or correct the key column that was copied wrongly."
        ),
    ),
    "foreign-key": Kind(
        Phrase("unknown service"),
        Phrase(
            "Add the service to the agency's services file (or fix its row there if it was rejected), "
            "or correct the service ID to one that is in it."
        ),
    ),
    # frictionless: rows
    "missing-cell": Kind(
        Phrase("row shorter than the header"),
        Phrase(
            "Look for a missing separator or a line break inside a cell: every row needs as many cells as the "
            "header has columns (empty cells are fine)."
        ),
    ),
    "extra-cell": Kind(
        Phrase("row longer than the header"),
        Phrase(
            "Remove values past the last column, or put quotes around cells that contain the separator "
            "(a comma inside a number or a name)."
        ),
    ),
    "blank-row": Kind(Phrase("blank row (skipped)"), Phrase("Nothing to fix: blank rows are skipped.")),
    "duplicate-row": Kind(Phrase("repeated row"), Phrase("Remove the repeated row.")),
    "row-constraint": Kind(Phrase("row rule broken"), _FIX_VALUES),
    "forbidden-value": Kind(Phrase("forbidden value"), _FIX_VALUES),
    "sequential-value": Kind(
        Phrase("value out of sequence"), Phrase("Number the rows in order without gaps or repeats.")
    ),
    "truncated-value": Kind(
        Phrase("value looks cut off"), Phrase("Export again without the spreadsheet's length limit.")
    ),
    "ascii-value": Kind(
        Phrase("characters outside ASCII"), Phrase("Write this column with Latin letters and ASCII digits.")
    ),
    "deviated-value": Kind(
        Phrase("unusual value"), Phrase("Check the value: it is far from the others in its column.")
    ),
    "deviated-cell": Kind(
        Phrase("unusually long cell"), Phrase("Check the cell: it is far longer than the others in its column.")
    ),
    # frictionless: the header
    "duplicate-label": Kind(
        Phrase("repeated column name"),
        Phrase("Give every column its own name; of columns with one name only the first is matched to the standard."),
    ),
    "blank-label": Kind(
        Phrase("column without a name"),
        Phrase(
            "Name the column after the standard's field, or delete it: a column without a name is matched to no field."
        ),
    ),
    "header-error": Kind(
        Phrase("problem in the header"), Phrase("Put one row of column names first, each column with its own name.")
    ),
    "blank-header": Kind(Phrase("blank header row"), Phrase("Put the column names in the first row.")),
    "unmatched-header": Kind(
        Phrase("no column of the standard in the header"),
        Phrase("Put the standard's field names in the first row, or map your columns in the registry's fields."),
    ),
    "extra-label": Kind(
        Phrase("column not in the standard"), Phrase("Remove the column or rename it to a field of the standard.")
    ),
    "missing-label": Kind(Phrase("column missing from the header"), Phrase("Add the column the standard expects.")),
    "incorrect-label": Kind(
        Phrase("column name does not match the standard"), Phrase("Rename the column to the standard's field name.")
    ),
    # frictionless: the file
    "encoding-error": Kind(Phrase("unreadable characters"), _FIX_FILE),
    "format-error": Kind(Phrase("unreadable file"), _FIX_FILE),
    "source-error": Kind(Phrase("unreadable file"), _FIX_FILE),
    "scheme-error": Kind(Phrase("unreadable file"), _FIX_FILE),
    # ours
    "cross-field": Kind(
        Phrase("values that contradict each other"),
        Phrase(
            "Completed cannot exceed applications, nor within-standard exceed completed; "
            "a period or an activity cannot end before it starts."
        ),
    ),
    "date-error": Kind(
        Phrase("unreadable date"),
        Phrase("Write dates like 1402/07/15 (Jalali) or 2024-03-05 (Gregorian), with the year in full."),
    ),
    "period-error": Kind(
        Phrase("unreadable period"),
        Phrase("Write periods like 1402-07 (a Jalali month), 2024-03 (a Gregorian month), 2024-Q1, 2023-2024 or 1402."),
    ),
    "wrong-agency": Kind(
        Phrase("row of another agency"),
        Phrase("Send only your agency's rows in this file, or correct the agency_id column."),
    ),
    # The "check my file" page refuses an upload past its caps, or an archive, as a harvest does.
    "too_large": Kind(
        Phrase("the file is larger than the limit"),
        Phrase("Check a smaller part of the file (fewer rows), or ask the portal's operator about the limit."),
    ),
    "archive_rejected": Kind(
        Phrase("the archive cannot be opened safely"),
        Phrase("Send the data file itself, or a zip holding exactly one CSV, XLSX or JSON file."),
    ),
}

FATAL_REASONS: dict[str, Kind] = {
    "missing_column": Kind(
        Phrase("a required column is missing"),
        Phrase("Add the column, or rename yours to the standard's field name (or map it in the registry's fields)."),
    ),
    "encoding": Kind(
        Phrase("the characters cannot be read in this encoding"),
        Phrase(
            "Save the file as UTF-8 (in Excel: CSV UTF-8), or say its encoding, e.g. --encoding cp1256 for Windows Persian files."
        ),
    ),
    "unreadable": Kind(Phrase("the file cannot be read as a table"), _FIX_FILE),
    "invalid_json": Kind(Phrase("the JSON cannot be read safely"), _FIX_FILE),
    "disk_full": Kind(
        Phrase("the portal's disk is full (not a problem of the file)"),
        Phrase("The portal's operator frees space on its data disk; the file is harvested again on its next run."),
    ),
    "structure": Kind(Phrase("the table's structure cannot be read"), _FIX_FILE),
    "empty": Kind(
        Phrase("the file has no data"),
        Phrase("Export the data again and check that the export includes the rows, not only the header."),
    ),
    "too_many_invalid_rows": Kind(Phrase("too many rows failed"), _FIX_ROWS),
    "no_valid_rows": Kind(Phrase("no row passed"), _FIX_ROWS),
    "not_found": Kind(Phrase("the file was not found"), Phrase("Check the path or address.")),
    "suspicious_shrink": Kind(
        Phrase("far fewer rows than the last good file"),
        Phrase("If the smaller file is right, an operator accepts it with 'shafaf harvest --accept-shrink <agency>'."),
    ),
}

_FETCH = Kind(
    Phrase("the file could not be fetched"),
    Phrase("Check the address, that the server answers, and that it serves the file itself (not a web page)."),
)
_UNKNOWN = Kind(Phrase("problem"), Phrase("See the message for what is wrong."))


def kind_of(error_type: str) -> Kind:
    """The catalogue entry of a row or header error type (a generic one for types we have not named)."""
    return ERROR_TYPES.get(error_type) or FATAL_REASONS.get(error_type) or _UNKNOWN


def fatal_kind(reason: str) -> Kind:
    """The catalogue entry of a reason a whole file was refused or could not be fetched."""
    if reason in FATAL_REASONS:
        return FATAL_REASONS[reason]
    return _FETCH if reason.startswith("http_") or reason not in ERROR_TYPES else ERROR_TYPES[reason]
