"""Screenshots of a served portal in Debian's chromium, for the README and docs/images.

    python scripts/screenshots.py http://127.0.0.1:8001 docs/images \\
        home-fa=/ home-en=/?lang=en agency-fa=/agencies/tax --width 390 --width 1366

Each NAME=PATH is saved as ``<out>/<NAME>-<width>.png`` (full page). Drives
``/usr/bin/chromium`` through Playwright; never downloads a browser.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base")
    parser.add_argument("out", type=Path)
    parser.add_argument("pages", nargs="+", help="NAME=PATH")
    parser.add_argument("--width", type=int, action="append", help="viewport width in CSS px (repeatable)")
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--clip", type=int, help="keep only the top CLIP px of each page (smaller files for docs)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for width in args.width or [1366]:
                page = browser.new_page(viewport={"width": width, "height": args.height})
                for item in args.pages:
                    name, _, path = item.partition("=")
                    page.goto(args.base.rstrip("/") + path, wait_until="networkidle")
                    target = args.out / f"{name}-{width}.png"
                    if args.clip:
                        page.screenshot(
                            path=str(target), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": args.clip}
                        )
                    else:
                        page.screenshot(path=str(target), full_page=True)
                    print(target)
                page.close()
        finally:
            browser.close()


if __name__ == "__main__":
    main()
