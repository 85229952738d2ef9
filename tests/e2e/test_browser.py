"""The dashboard in a real browser: Chromium driven by Playwright against ``streamlit run app.py``.

The database holds the bundled reference data (``effdash init``) plus two hand-built cohorts
added through effdash.records while the app is running (so they also show that new data
appears without a restart):

sentence-similarity, Spearman on stsb, "E2E GPU", GPU counter, 1000 inferences per repeat:
  e2e/mini    22M params, 0.001 kWh -> 1.0 Wh per 1000, spearman 0.80
  e2e/base   110M params, 0.002 kWh -> 2.0 Wh per 1000, spearman 0.88
  e2e/large  335M params, 0.006 kWh -> 6.0 Wh per 1000, spearman 0.93
  fewest parameters at >= 0.85: e2e/base (mini is below); at >= 0.90: e2e/large.

object-detection: one model whose id is HTML with script, which must show as plain text.
"""

from __future__ import annotations

import csv
import re
from urllib.parse import quote

import pytest

from effdash.records import MeasurementIn, RunEnergy, SourceRef, add_measurement, add_quality, get_or_create_model
from effdash.store import Store

try:
    from playwright.sync_api import expect
    expect.set_options(timeout=30_000)  # a rerun on a 2-core machine can take seconds
except ImportError:  # the chromium fixture skips these tests (fails them under CI=true)
    expect = None

SOURCE = SourceRef(kind="measured", citation="e2e cohort (hand-built)")
COHORT = {"e2e/mini": (22_000_000, 0.001, 0.80), "e2e/base": (110_000_000, 0.002, 0.88),
          "e2e/large": (335_000_000, 0.006, 0.93)}
E2E_GROUP = "E2E GPU|gpu|counter|inference"  # the group token of the cohorts (ComparisonGroup.as_token)
EVIL_ID = 'evil/<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def add_model(session, model_id, task, dataset, metric, params, kwh, value) -> None:
    get_or_create_model(session, model_id, parameters=params)
    add_measurement(session, MeasurementIn(
        model_id=model_id, task=task, inferences=1000, hardware="E2E GPU", runs=[RunEnergy(gpu_energy_kwh=kwh)],
        source=SOURCE, dataset=dataset, components=("gpu",), gpu_method="nvml_counter"))
    add_quality(session, model_id=model_id, task=task, dataset=dataset, metric=metric, value=value, source=SOURCE)


@pytest.fixture(scope="module")
def app_with_cohorts(app):
    store = Store(app.db_url)
    with store.session() as s:
        for model_id, (params, kwh, spearman) in COHORT.items():
            add_model(s, model_id, "sentence-similarity", "stsb", "spearman", params, kwh, spearman)
        add_model(s, EVIL_ID, "object-detection", "coco", "map", 5_000_000, 0.0005, 0.5)
    store.dispose()
    return app


def wait_idle(page) -> None:
    """Wait until Streamlit's script run has finished and no stale element is left on the page."""
    page.wait_for_timeout(200)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    expect(page.locator('[data-stale="true"]')).to_have_count(0)


def open_compare(page, app, query: str = "") -> None:
    page.goto(f"{app.url}/{query}")
    expect(page.get_by_role("combobox", name="Task")).to_be_visible()
    wait_idle(page)


def choose(page, label: str, option: str | re.Pattern) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=isinstance(option, str)).click()
    wait_idle(page)


def the_slider(page, label: str):
    thumb = page.get_by_role("slider", name=re.compile(label))
    expect(thumb).to_have_count(1)
    return thumb


def set_slider(page, label: str, value: float) -> None:
    """Move a slider with the keyboard (step 0.01) to ``value``, reading it back after every run.

    The page gives the slider its default from the query string, which each run rewrites, so
    each run replaces the widget: a key pressed while a run is in flight can be lost. Reading
    the value back after each run and pressing again makes up for it.
    """
    for _ in range(200):
        wait_idle(page)
        thumb = the_slider(page, label)
        current = float(thumb.get_attribute("aria-valuetext"))
        if current == pytest.approx(value):
            break
        thumb.press("ArrowRight" if value > current else "ArrowLeft")
    wait_idle(page)
    expect(the_slider(page, label)).to_have_attribute("aria-valuetext", f"{value:.2f}")


def success(page):
    return page.get_by_test_id("stAlertContentSuccess")


def test_compare_task_and_threshold_change_the_recommendation(page, app_with_cohorts):
    open_compare(page, app_with_cohorts)
    expect(page.get_by_role("combobox", name="Task")).to_have_value("Text classification")  # the default task
    expect(success(page)).to_contain_text("Recommended: ")  # from the bundled reference data
    expect(success(page)).not_to_contain_text("e2e/")

    choose(page, "Task", "Sentence similarity")
    choose(page, "Compare figures measured on", re.compile(r"^E2E GPU · GPU energy only"))
    set_slider(page, "Minimum spearman", 0.85)  # the default threshold
    expect(success(page)).to_contain_text("Recommended: e2e/base")  # mini (0.80) is below 0.85
    set_slider(page, "Minimum spearman", 0.90)  # only e2e/large (0.93) reaches it
    expect(success(page)).to_contain_text("Recommended: e2e/large")
    assert "min=0.90" in page.url and "task=sentence-similarity" in page.url  # shareable link


def test_model_page_shows_a_models_details(page, app_with_cohorts):
    page.goto(f"{app_with_cohorts.url}/model?model={quote('e2e/base', safe='')}")
    expect(page.get_by_role("heading", name="e2e/base")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Parameters")).to_contain_text("110.0 M")


def test_html_in_a_model_id_is_shown_as_plain_text(page, app_with_cohorts):
    open_compare(page, app_with_cohorts, f"?task=object-detection&min=0.40&group={quote(E2E_GROUP, safe='')}")
    expect(success(page)).to_contain_text(f"Recommended: {EVIL_ID}")
    page.goto(f"{app_with_cohorts.url}/model?model={quote(EVIL_ID, safe='')}")
    expect(page.get_by_role("heading", name=EVIL_ID)).to_be_visible()
    assert page.evaluate("window.__xss") is None  # neither the onerror nor the script ran
    assert page.locator('img[src="x"]').count() == 0  # and no element was made from the id


def test_download_the_comparison_as_csv(page, app_with_cohorts, tmp_path):
    open_compare(page, app_with_cohorts, f"?task=sentence-similarity&min=0.85&group={quote(E2E_GROUP, safe='')}")
    expect(success(page)).to_contain_text("Recommended: e2e/base")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download this comparison (CSV)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "effdash-sentence-similarity-stsb.csv"
    rows = {r["model"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}
    assert set(rows) == set(COHORT)
    # kWh x 1e6 / 1000 inferences: 0.001 -> 1.0, 0.002 -> 2.0, 0.006 -> 6.0 Wh per 1000
    assert {m: float(r["Wh per 1000 inferences"]) for m, r in rows.items()} == {
        "e2e/mini": 1.0, "e2e/base": 2.0, "e2e/large": 6.0}
    assert float(rows["e2e/large"]["spearman"]) == 0.93


UPLOAD_CSV = (
    "model_id,task,hardware,wh_per_1k,basis,method,parameters,dataset,quality_metric,quality_value\n"
    "up/asr-small,automatic-speech-recognition,Upload GPU,1.5,gpu,nvml_counter,39000000,librispeech,accuracy,0.87\n"
    "up/asr-large,automatic-speech-recognition,Upload GPU,9.0,gpu,nvml_counter,1550000000,librispeech,accuracy,0.95\n"
)


def test_upload_a_csv_then_see_it_on_compare(page, app_with_cohorts, tmp_path):
    # Two speech models: at accuracy >= 0.85 both qualify and up/asr-small (39M) has fewer parameters;
    # at >= 0.90 only up/asr-large (0.95) does.
    csv_path = tmp_path / "team-asr.csv"
    csv_path.write_text(UPLOAD_CSV, encoding="utf-8")
    open_compare(page, app_with_cohorts)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Upload").click()
    page.locator('input[type="file"]').set_input_files(str(csv_path))
    expect(page.get_by_test_id("stMarkdownContainer").filter(has_text="Plan:")).to_contain_text(
        "2 new, 0 duplicates skipped, 0 rejected")
    wait_idle(page)
    page.get_by_role("button", name="Import 1 file(s)").click()
    expect(success(page)).to_contain_text("Imported team-asr.csv")
    expect(success(page)).to_contain_text("2 new measurements")

    group = quote("Upload GPU|gpu|counter|inference", safe="")
    open_compare(page, app_with_cohorts, f"?task=automatic-speech-recognition&min=0.85&group={group}")
    expect(success(page)).to_contain_text("Recommended: up/asr-small")
    set_slider(page, "Minimum accuracy", 0.90)
    expect(success(page)).to_contain_text("Recommended: up/asr-large")
