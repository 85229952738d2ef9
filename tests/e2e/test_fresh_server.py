"""A freshly started dashboard: on PostgreSQL, and opened first through a deep link."""

from __future__ import annotations

import subprocess
from urllib.parse import quote

import pytest
from dashboard_server import start_app

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips these tests (fails them under CI=true)
    expect = None


@pytest.fixture
def fresh_app(tmp_path, chromium, fresh_database):
    """The dashboard just started on a new database of ``backend`` with the reference data loaded."""
    app, proc = start_app(tmp_path, fresh_database(reference=True), init=False)
    yield app
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_the_dashboard_serves_compare_on_both_backends(page, fresh_app, backend):
    page.goto(fresh_app.url)
    # data/sources/co2_inference/eval_performance.csv: lvwerra/distilbert-imdb has imdb accuracy 0.928 and
    # (model_parameters.csv) 66M parameters, the fewest of the models at >= 0.85 there.
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
        "Recommended: lvwerra/distilbert-imdb", timeout=60_000)
    expect(page.get_by_test_id("stSidebarUserContent")).to_contain_text(f"{backend} database")


@pytest.mark.sqlite_only
def test_a_shared_model_link_opened_first_on_a_fresh_server(page, fresh_app):
    page.goto(f"{fresh_app.url}/model?model={quote('lvwerra/distilbert-imdb', safe='')}")
    expect(page.get_by_role("heading", name="lvwerra/distilbert-imdb")).to_be_visible(timeout=30_000)
    assert "goto" not in page.url and "model=lvwerra" in page.url  # the link stays shareable
    expect(page.get_by_test_id("stSidebarNav")).to_contain_text("Compare")  # the router's navigation
