"""Browser fixtures: the dashboard served by ``streamlit run app.py`` on a free localhost port,
with a temporary SQLite database, driven by Playwright through Debian's /usr/bin/chromium.

Without Chromium or the playwright package these tests are skipped (they fail under CI=true,
where scripts/test.sh installs both). Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dashboard_server import ROOT, start_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium(missing):
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing (Debian package chromium): no browser to test with")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package is missing (pip install playwright)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory, chromium):
    """The dashboard on a fresh SQLite database holding the bundled reference data."""
    workdir = tmp_path_factory.mktemp("e2e")
    running, proc = start_app(workdir, f"sqlite:///{workdir / 'effdash.db'}")
    yield running
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def page(chromium, request, tmp_path):
    """A fresh browser tab; its screenshot is saved to test-artifacts/<test name>.png afterwards."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    try:
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
