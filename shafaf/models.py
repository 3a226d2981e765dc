"""Shared vocabulary: the outcomes, reasons and phases every run record uses."""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    """How a run ended; a StrEnum so it is stored and serialised as its value."""

    RUNNING = "running"
    OK = "ok"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"
    SKIPPED = "skipped"
    ABORTED = "aborted"


class Phase(enum.StrEnum):
    """The stage of the flow in which a run ended."""

    HARVEST = "harvest"
    VALIDATE = "validate"
    PUBLISH = "publish"


class Reason(enum.StrEnum):
    """Machine-readable reason of a failed or held run."""

    NOT_FOUND = "not_found"
    UNREADABLE = "unreadable"
    ENCODING = "encoding"
    EMPTY = "empty"
    MISSING_COLUMN = "missing_column"
    STRUCTURE = "structure"
    TOO_MANY_INVALID_ROWS = "too_many_invalid_rows"
    NO_VALID_ROWS = "no_valid_rows"
    PUBLISH_ERROR = "publish_error"
    DISK_FULL = "disk_full"
    INTERNAL = "internal"
