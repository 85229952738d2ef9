"""Regenerate the README screenshot of the Compare page.

    .venv/bin/python scripts/screenshot.py                 # writes docs/compare.png
    .venv/bin/python scripts/screenshot.py --out /tmp/c.png --query "task=question-answering"

Loads the bundled reference data into a temporary SQLite database (``effdash init``), serves
the dashboard with ``streamlit run app.py`` on a free localhost port, and photographs it with
Debian's Chromium (/usr/bin/chromium) through Playwright's Python API. Nothing is downloaded.
For colour emoji in the navigation, install the Debian package fonts-noto-color-emoji.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from dashboard_server import start_app  # noqa: E402 (the launcher the browser tests use)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def photograph(url: str, out: Path, width: int, height: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
        page.goto(url)
        expect(page.get_by_test_id("stAlertContentSuccess").or_(page.get_by_test_id("stAlertContentError"))
               ).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
        expect(page.locator("canvas").first).to_be_visible(timeout=60_000)  # the candidates table is drawn
        page.wait_for_timeout(1500)  # let the chart finish its first draw
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Save a screenshot of effdash's Compare page.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "compare.png")
    parser.add_argument("--query", default="", help="query string for the page, e.g. task=question-answering")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1100)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"screenshot: {CHROMIUM} is missing; install the Debian package chromium", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="effdash-shot-") as tmp:
        app, proc = start_app(Path(tmp), f"sqlite:///{Path(tmp) / 'effdash.db'}")
        try:
            url = app.url
            photograph(f"{url}/?{args.query}" if args.query else url, args.out, args.width, args.height)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
