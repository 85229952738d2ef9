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
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"streamlit did not answer within {timeout_s:.0f} s")


def serve(workdir: Path) -> tuple[str, subprocess.Popen]:
    db_url = f"sqlite:///{workdir / 'effdash.db'}"
    env = {**os.environ, "EFFDASH_DATABASE_URL": db_url, "HOME": str(workdir)}
    subprocess.run([sys.executable, "-m", "effdash", "init"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc)
    return url, proc


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
        url, proc = serve(Path(tmp))
        try:
            photograph(f"{url}/?{args.query}" if args.query else url, args.out, args.width, args.height)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
