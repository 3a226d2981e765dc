"""``var/raw/<agency>/<run-id>/``: the bytes each run captured, beside its run.json; what is kept of them."""

from __future__ import annotations

import shutil
from pathlib import Path

from shafaf.core.datadir import DataDir


def empty(folder: Path) -> None:
    """Remove what a failed capture left in the run's folder (the folder itself stays, for run.json)."""
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def prune_raw(data: DataDir, agency_id: str, *, keep: int = 50) -> None:
    """Keep the raw captures of the last ``keep`` runs of an agency."""
    root = data.root / "raw" / agency_id
    if not root.is_dir():
        return
    for old in sorted(p for p in root.iterdir() if p.is_dir())[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
