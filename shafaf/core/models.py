"""Shared vocabulary: the outcomes, reasons and phases every run record uses.

Every outcome and reason is a member of one of these StrEnums, never a bare
string: they are stored and serialised as their values, and compare equal
to them, so a row read back from SQLite still matches ``Outcome.OK``.
"""

from __future__ import annotations

import enum
import re

_HTTP = re.compile(r"http_[1-5][0-9][0-9]\Z")


class Outcome(enum.StrEnum):
    """How a run ended; a StrEnum so it is stored and serialised as its value."""

    QUEUED = "queued"  # asked for by the agency ("harvest now"); the scheduler has not picked it up yet
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
    # Fetching (the guarded fetch and the network harvesters)
    TIMEOUT = "timeout"
    DEADLINE_EXCEEDED = "deadline_exceeded"
    CONNECTION_ERROR = "connection_error"
    TLS_ERROR = "tls_error"
    HTTP_ERROR = "http_error"  # runs store the exact status as ``http_<status>``; see ``http_reason``
    TOO_LARGE = "too_large"
    TRUNCATED_BODY = "truncated_body"
    DESTINATION_BLOCKED = "destination_blocked"
    SCHEME_BLOCKED = "scheme_blocked"
    REDIRECT_LOOP = "redirect_loop"
    UNEXPECTED_CONTENT_TYPE = "unexpected_content_type"
    INVALID_JSON = "invalid_json"
    INVALID_XML = "invalid_xml"  # an XML answer that does not parse (syntax, encoding, a cut-off document)
    UNSAFE_XML = "unsafe_xml"  # a DTD or entity declaration (XXE, billion laughs), or nesting past the bound: refused
    AUTH_FAILED = "auth_failed"  # a service bus's token endpoint refused the client credentials (OAuth2)
    UNSAFE_PATH = "unsafe_path"
    ARCHIVE_REJECTED = "archive_rejected"
    SECRET_MISSING = "secret_missing"
    NO_RESOURCES = "no_resources"
    SOURCE_ERROR = (
        "source_error"  # the remote system answered with an error of its own (a CKAN error envelope, a SOAP fault)
    )
    COUNT_MISMATCH = "count_mismatch"
    SUSPICIOUS_SHRINK = "suspicious_shrink"
    DISK_FULL = "disk_full"
    INTERNAL = "internal"
    # Scheduling (one run at a time, leases)
    ALREADY_RUNNING = "already_running"  # another trigger holds this source's lease
    LEASE_EXPIRED = "lease_expired"  # the run's process died (SIGKILL, reboot) before it finished

    @classmethod
    def _missing_(cls, value: object) -> Reason | None:
        """``http_404``, ``http_503``...: the exact status of an HTTP error, a member made on first use."""
        if not isinstance(value, str) or not _HTTP.match(value):
            return None
        member = str.__new__(cls, value)
        member._name_, member._value_ = value.upper(), value
        return cls._value2member_map_.setdefault(value, member)


class Trigger(enum.StrEnum):
    """What asked for a run."""

    MANUAL = "manual"  # shafaf harvest AGENCY
    SCHEDULE = "schedule"  # the scheduler or shafaf harvest --due
    REQUEST = "request"  # the agency's authenticated "harvest now"


class Claim(enum.StrEnum):
    """What trying to start a run of a source came to."""

    CLAIMED = "claimed"
    ALREADY_RUNNING = "already_running"
    NOT_DUE = "not_due"  # a run since its slot already happened, or the queued run was already taken


class Skip(enum.StrEnum):
    """Why ``shafaf validate FOLDER`` left a file (or a datapackage resource) out."""

    MISSING = "missing"  # a resource's file is not there
    REMOTE = "remote"  # a resource on the network: validate its URL on its own
    OUTSIDE = "outside"  # a resource's path leads out of the folder
    NO_DATASET = "no_dataset"  # the name gives no dataset of the standard
    UNREADABLE = "unreadable"  # a link loop, a pipe or device, no permission


def http_reason(status: int) -> Reason:
    """The reason stored for an HTTP error status: ``http_404``, ``http_500``..."""
    return Reason(f"http_{status}")
