#!/usr/bin/env bash
# The wheel works from anywhere (issue 17): build it, install it alone into a fresh venv outside the checkout,
# check that it holds the standard, the demo, the catalogue and the pages' files, then run `shafaf demo
# --no-serve` and `shafaf validate` on a demo file from another folder. Run by .ci/run and tests/test_wheel.py.
#   bash scripts/check_wheel.sh [WORK_DIR]     (default: a new folder under /tmp, removed at the end)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -ge 1 ]; then work="$1"; mkdir -p "$work"; else work="$(mktemp -d /tmp/shafaf-wheel.XXXXXX)"; trap 'rm -rf "$work"' EXIT; fi
case "$work" in "$repo"/*) echo "check_wheel: $work is inside the checkout" >&2; exit 2;; esac

# Offline: the build backend is the installed setuptools (the test extra), so no index is asked.
python3 -m pip wheel --no-deps --no-build-isolation --quiet --disable-pip-version-check -w "$work/dist" "$repo"
wheel="$(ls "$work"/dist/shafaf-*.whl)"
# Every file of the standard, the demo registry and data, the catalogue and the pages is in the wheel.
python3 - "$repo" "$wheel" <<'PY'
import sys, zipfile
from pathlib import Path
repo, names = Path(sys.argv[1]), set(zipfile.ZipFile(sys.argv[2]).namelist())
expected = {f"shafaf/standard/schemas/{p.relative_to(repo / 'datasets')}" for p in (repo / "datasets").rglob("*") if p.is_file()}
expected |= {f"shafaf/bundled/{p.relative_to(repo / 'metadata')}" for p in (repo / "metadata").rglob("*") if p.is_file()}
for folder in ("shafaf/core/locale", "shafaf/datasette_plugins/templates", "shafaf/datasette_plugins/static"):
    expected |= {str(p.relative_to(repo)) for p in (repo / folder).rglob("*") if p.is_file()}
missing = sorted(expected - names)
if missing:
    sys.exit("check_wheel: not in the wheel: " + ", ".join(missing))
print(f"check_wheel: the wheel holds all {len(expected)} data files")
PY
python3 -m venv --system-site-packages "$work/venv"  # the dependencies from the system; shafaf from the wheel only
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-index --ignore-installed "$wheel"
elsewhere="$work/elsewhere"
mkdir -p "$elsewhere"
cd "$elsewhere"
env -u PYTHONPATH "$work/venv/bin/python" - "$work/venv" <<'PY'
import sys
from pathlib import Path
import shafaf
where = Path(shafaf.__file__).resolve()
assert where.is_relative_to(Path(sys.argv[1]).resolve()), f"shafaf imported from {where}, not from the wheel"
print(f"check_wheel: shafaf from {where.parent}")
PY
env -u PYTHONPATH -u SHAFAF_REGISTRY -u SHAFAF_DATA_DIR "$work/venv/bin/shafaf" demo --no-serve --data-dir "$elsewhere/var"
test -s "$elsewhere/var/shafaf.db"
demo_file="$(env -u PYTHONPATH "$work/venv/bin/python" -c \
    'import shafaf, pathlib; print(pathlib.Path(shafaf.__file__).parent / "bundled/demo/tax/services.csv")')"
env -u PYTHONPATH "$work/venv/bin/shafaf" validate "$demo_file" --lang en
env -u PYTHONPATH "$work/venv/bin/shafaf" validate "$demo_file" --lang fa >/dev/null
echo "check_wheel: ok"
