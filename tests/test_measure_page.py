"""The Measure page in Streamlit's AppTest: start a real background measurement (a CLI
subprocess on a tiny model), see its progress, see the result, find it on Compare; cancel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from effdash.measure.jobs import list_jobs
from effdash.measure.testing import build_tiny_model
from effdash.schema import FailedRun, Measurement

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.sqlite_only  # the subprocesses and the page share one SQLite file


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    return build_tiny_model("text-classification", tmp_path_factory.mktemp("tiny") / "clf")


@pytest.fixture
def page(store, monkeypatch):
    monkeypatch.setenv("EFFDASH_DATABASE_URL", store.url)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the worker shares 2 cores with the test run
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/measure.py").run()
    assert not at.exception
    return at


def start(at, model: Path, samples: int, repeats: int, idle_s: float):
    at.text_input[0].set_value(str(model))
    at.selectbox[0].set_value("text-classification")
    at.number_input[0].set_value(samples)
    at.number_input[1].set_value(4)
    at.number_input[2].set_value(repeats)
    at.number_input[3].set_value(idle_s)
    at.number_input[4].set_value(0.3)
    at.button[0].click().run()
    assert not at.exception


def wait_for(store, predicate, timeout_s: float = 120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        jobs = list_jobs(store)
        if jobs and predicate(jobs[0]):
            return jobs[0]
        time.sleep(0.2)
    raise AssertionError(f"job did not reach the expected state: {list_jobs(store)}")


def test_start_progress_and_result_on_compare(page, store, classifier):
    start(page, classifier, samples=8, repeats=2, idle_s=2.0)
    assert "Started measurement #1" in page.success[0].value
    # While the worker measures idle power (2 s), the page shows the job's progress.
    wait_for(store, lambda j: j.status == "running" and j.message.startswith("idle"))
    page.run()
    bars = page.get("progress")
    assert bars and "idle" in bars[0].proto.text
    assert page.button(key="cancel-1")  # a running job can be cancelled
    job = wait_for(store, lambda j: j.status not in ("queued", "running"))
    assert job.status == "done", job.message
    assert "Wh per 1000 inferences" in job.message
    page.run()
    assert any(f"Done: {job.message}" in s.value for s in page.success)
    with store.session() as s:
        m = s.get(Measurement, job.measurement_pk)
        assert (m.model.model_id, m.task, m.repeats) == (str(classifier), "text-classification", 2)
    # The result is on Compare at once (its cache is keyed on the data version).
    page.switch_page("pages/compare.py")
    page.query_params["task"] = "text-classification"
    page.run()
    assert not page.exception
    assert str(classifier) in page.dataframe[0].value["model"].tolist()


def test_cancel_stops_the_worker_and_stores_no_measurement(page, store, classifier):
    start(page, classifier, samples=1000, repeats=5, idle_s=0.2)
    wait_for(store, lambda j: j.status == "running" and j.message.startswith(("warm-up", "measuring")))
    page.run()
    page.button(key="cancel-1").click().run()
    job = wait_for(store, lambda j: j.status not in ("queued", "running"))
    assert job.status == "cancelled"
    page.run()
    assert any("Cancelled" in e.value for e in page.error)
    with store.session() as s:
        assert s.scalar(select(func.count(Measurement.id))) == 0
        assert s.scalar(select(FailedRun.error_type)) == "interrupted"


def test_page_explains_how_to_enable_measuring_when_torch_is_missing(page, monkeypatch):
    import effdash.measure as measure

    monkeypatch.setattr(measure, "MEASURE_PACKAGES", {"torch_not_installed_here": "torch"})
    page.run()
    assert "pip install -r requirements-measure.txt" in page.info[0].value
    assert not page.button


def test_a_job_whose_worker_died_is_shown_as_failed(store):
    import json
    import subprocess
    import sys

    from effdash.schema import Job

    worker = subprocess.Popen([sys.executable, "-c", "pass"])
    worker.wait()  # the worker ended without reporting
    with store.session() as s:
        s.add(Job(kind="measure", status="running", params=json.dumps({"model": "m", "pid": worker.pid})))
    job = list_jobs(store)[0]
    assert job.status == "failed" and "ended without reporting" in job.message
