"""The layout of the data directory (``./var`` by default), in one place."""

from __future__ import annotations

import dataclasses
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class DataDir:
    """Where each stage reads and writes."""

    root: Path

    @property
    def state_db(self) -> Path:
        return self.root / "state.db"

    @property
    def public_db(self) -> Path:
        return self.root / "shafaf.db"

    def raw(self, agency_id: str, run_id: str) -> Path:
        return self.root / "raw" / agency_id / run_id

    def packages(self, agency_id: str) -> Path:
        return self.root / "packages" / agency_id

    @property
    def downloads(self) -> Path:
        """Full exports of the published tables and each agency's zipped package, served as static files."""
        return self.root / "downloads"
