"""``effdash measure`` as a user runs it: the stored record as JSON, the summary table, and
failures that leave a failed run and no partial measurement."""

from __future__ import annotations

import json

import pytest
import torch
from sqlalchemy import func, select

from effdash.cli import main
from effdash.measure.errors import OutOfMemory
from effdash.measure.protocol import MeasureRequest, ProtocolRun
from effdash.measure.testing import build_tiny_model
from effdash.schema import FailedRun, Job, Measurement, MeasurementRepeat, Model

QUICK = ["--samples", "8", "--batch-size", "4", "--repeats", "2", "--idle-s", "0.2", "--min-window-s", "0.3",
         "--warmup", "1"]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    return build_tiny_model("text-classification", tmp_path_factory.mktemp("tiny") / "clf")


def counts(store) -> tuple[int, int, int]:
    with store.session() as s:
        return tuple(s.scalar(select(func.count(t.id))) for t in (Measurement, MeasurementRepeat, FailedRun))


def test_measure_json_prints_the_stored_record(classifier, store, capsys):
    code = main(["measure", str(classifier), "--task", "text_classification", *QUICK, "--name", "tiny/clf",
                 "--country", "FRA", "--json", "--db", store.url])
    assert code == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["model_id"] == "tiny/clf" and rec["task"] == "text-classification"  # alias normalised
    assert rec["repeats"] == 2 and len(rec["repeats_detail"]) == 2
    assert rec["inferences"] % 8 == 0  # whole passes of the 8 samples
    assert {c: v["method"] for c, v in rec["components"].items()} == {"cpu": rec["cpu_method"], "ram": "estimate"}
    assert rec["components"]["ram"]["method_label"] == "CodeCarbon estimate (not measured)"
    assert "CodeCarbon estimates" in rec["notes"]
    # France's grid intensity from CodeCarbon's data; the stored carbon figure uses it.
    assert rec["country_iso"] == "FRA"
    assert rec["g_co2e_per_1k"] == pytest.approx(rec["wh_per_1k"] / 1000 * rec["carbon_intensity_g_per_kwh"])
    assert rec["wh_per_1k"] == pytest.approx(sum(r["wh_per_1k"] for r in rec["repeats_detail"]) / 2)
    assert rec["quality"][0]["metric"] == "accuracy"
    assert counts(store) == (1, 2, 0)


@pytest.mark.sqlite_only
def test_measure_prints_a_summary_table(classifier, store, capsys):
    assert main(["measure", str(classifier), "--task", "text-classification", *QUICK, "--db", store.url]) == 0
    out = capsys.readouterr().out
    assert "Wh per 1000 inferences (gross)" in out and "net of idle (derived)" in out
    assert "RAM Wh per 1000" in out and "CodeCarbon estimate (not measured)" in out
    assert "quality (accuracy)" in out and "over 2 repeats" in out


@pytest.mark.parametrize("argv_tail, error_type, message", [
    (["--task", "teleportation"], "unknown_task", "Unknown task 'teleportation'"),
    (["--task", "object-detection"], "unknown_task", "cannot measure object-detection"),
])
def test_unknown_tasks_are_failed_runs(classifier, store, capsys, argv_tail, error_type, message):
    assert main(["measure", str(classifier), *argv_tail, "--db", store.url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("effdash: error:") and message in err and "Traceback" not in err
    with store.session() as s:
        failed = s.scalar(select(FailedRun))
        assert (failed.error_type, failed.model_id) == (error_type, str(classifier))
    assert counts(store) == (0, 0, 1)


def test_a_model_that_cannot_load_is_a_failed_run(tmp_path, store, capsys):
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    assert main(["measure", str(empty), "--task", "fill-mask", *QUICK, "--db", store.url]) == 1
    assert "Cannot load" in capsys.readouterr().err
    with store.session() as s:
        assert s.scalar(select(FailedRun.error_type)) == "load_failed"
    assert counts(store) == (0, 0, 1)


@pytest.mark.sqlite_only
@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_says_what_to_do(classifier, store, capsys):
    assert main(["measure", str(classifier), "--task", "text-classification", "--device", "cuda", *QUICK,
                 "--db", store.url]) == 1
    assert "--device cpu" in capsys.readouterr().err
    assert counts(store) == (0, 0, 1)


def test_a_cancelled_job_leaves_no_measurement(classifier, store, capsys):
    with store.session() as s:
        job = Job(kind="measure", status="queued", params="{}", cancel_requested=True)
        s.add(job)
        s.flush()
        job_id = job.id
    assert main(["measure", str(classifier), "--task", "text-classification", *QUICK, "--db", store.url,
                 "--job", str(job_id)]) == 130
    with store.session() as s:
        assert s.get(Job, job_id).status == "cancelled"
        assert s.scalar(select(FailedRun.error_type)) == "interrupted"
    assert counts(store) == (0, 0, 1)


@pytest.mark.sqlite_only
def test_out_of_memory_is_reported_as_such(classifier):
    class Runner:
        def run_batch(self, batch):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    run = ProtocolRun(MeasureRequest(model="m", task="fill-mask", batch_size=64), Runner(), None,
                      lambda p: None, lambda: False)
    with pytest.raises(OutOfMemory, match="smaller --batch-size") as info:
        run._run(["x"])
    assert info.value.error_type == "out_of_memory"


@pytest.mark.sqlite_only
def test_bad_options_are_refused_before_anything_runs(classifier, store, capsys):
    assert main(["measure", str(classifier), "--task", "fill-mask", "--samples", "0", "--db", store.url]) == 1
    assert "--samples must be at least 1" in capsys.readouterr().err
    assert main(["measure", str(classifier), "--task", "fill-mask", "--country", "XXX", "--db", store.url]) == 1
    assert "No carbon intensity for country code" in capsys.readouterr().err


@pytest.mark.sqlite_only
def test_without_the_measurement_stack_the_cli_says_how_to_install_it(classifier, store, capsys, monkeypatch):
    import effdash.measure as measure

    monkeypatch.setattr(measure, "MEASURE_PACKAGES", {"torch_not_installed_here": "torch"})
    assert main(["measure", str(classifier), "--task", "fill-mask", "--db", store.url]) == 1
    err = capsys.readouterr().err
    assert "pip install -r requirements-measure.txt" in err and "Traceback" not in err
    with store.session() as s:
        assert s.scalar(select(FailedRun.error_type)) == "missing_dependencies"


def test_a_measured_hub_model_gets_its_metadata_in_the_background(classifier, store, capsys, monkeypatch):
    """After `effdash measure`, a detached `effdash hub sync` fills in the model's Hub metadata."""
    import time

    from hubserver import SHA, SST2, make_hub

    hub = make_hub().start()
    try:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("EFFDASH_HUB_AUTOSYNC", "1")
        assert main(["measure", str(classifier), "--task", "text-classification", *QUICK, "--meter", "replay",
                     "--name", SST2, "--no-quality", "--db", store.url]) == 0
        deadline = time.monotonic() + 60
        revision = None
        while time.monotonic() < deadline and revision != SHA[SST2]:
            time.sleep(0.5)
            with store.session() as s:
                revision = s.scalar(select(Model.revision).where(Model.model_id == SST2))
        assert revision == SHA[SST2]
    finally:
        hub.stop()
