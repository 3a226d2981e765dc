"""The ids an agency and a source may have: part of every URL and file name, so one pattern each.

``*_PATTERN`` is the bare pattern (for route regexes and JSON Schemas, as
``^...$``); ``AGENCY_ID`` and ``SOURCE_ID`` match a whole string (``\\Z``: no
trailing newline slips through).
"""

from __future__ import annotations

import re

AGENCY_ID_PATTERN = r"[a-z0-9-]{1,64}"
SOURCE_ID_PATTERN = r"[a-z0-9_-]{1,64}"
AGENCY_ID = re.compile(rf"{AGENCY_ID_PATTERN}\Z")
SOURCE_ID = re.compile(rf"{SOURCE_ID_PATTERN}\Z")
