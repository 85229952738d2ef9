"""Sync, discover and the background sync against a local Hub, stored in a real SQLite database."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from sqlalchemy import select, text

from effdash.hub.catalog import (
    discovered_candidates,
    family_side_by_side,
    list_known_models,
    model_family,
    stored_record,
)
from effdash.hub.client import HubClient
from effdash.hub.errors import HubBadResponse, HubRateLimited, HubServerError
from effdash.hub.localhub import LISTING, Fault
from effdash.hub.parse import parameters_from_config
from effdash.hub.sync import discover, schedule_sync, sync_models
from effdash.records import MeasurementIn, RunEnergy, SourceRef, add_measurement
from effdash.schema import QualityScore
from hubserver import (  # noqa: F401 (fixture)
    BERT,
    DISTIL,
    DISTILBERT_CONFIG,
    DISTILBERT_DERIVED,
    LLAMA,
    LLAMA_CONFIG,
    LLAMA_DERIVED,
    PRIVATE,
    SHA,
    SST2,
    SST2_INT8,
    TOKEN,
    XNLI,
    hub,
)


def _client(**kw) -> HubClient:
    return HubClient(timeout_s=kw.pop("timeout_s", 5), **kw)


def _record(store, model_id):
    with store.session() as s:
        return stored_record(s, model_id)


def _dump(store) -> list:
    with store.engine.connect() as conn:
        tables = ["models", "lineage", "quality_scores", "sources"]
        return [list(conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))) for t in tables]


def test_sync_stores_every_field_of_a_fine_tune_with_card_results(store, hub):
    report = sync_models(store, [SST2], client=_client())
    assert [o.status for o in report.outcomes] == ["synced"]
    r = _record(store, SST2)
    assert r["revision"] == SHA[SST2] and r["pipeline_tag"] == "text-classification"
    assert r["parameters"] == 66_955_010 and r["parameters_derived"] is False
    assert r["parameters_source"] == f"Hub safetensors metadata (total) at revision {SHA[SST2]}"
    assert (r["library"], r["license"], r["downloads"], r["likes"]) == ("transformers", "apache-2.0", 4_000_000, 800)
    assert (r["gated"], r["private"], r["author"]) == ("no", False, "distilbert")
    assert "dataset:sst2" in r["tags"] and r["last_modified"].startswith("2024-03-01T12:00:00")
    assert r["base_models"] == [{"model_id": DISTIL, "relation": "finetune",
                                 "source": f"Hugging Face Hub: baseModels at revision {SHA[SST2]}"}]
    assert r["metadata_source"] == "Hugging Face Hub API" and r["metadata_fetched_at"]
    with store.session() as s:
        scores = {(q.dataset, q.split, q.metric): (q.value, q.scale_max, q.source.citation)
                  for q in s.scalars(select(QualityScore))}
    citation = f"Hugging Face model card of {SST2} at revision {SHA[SST2]}"
    # glue config sst2 names the dataset "sst2" (as the bundled Power Hungry Processing scores do)
    assert scores == {("sst2", "validation", "accuracy"): (0.9105504587155964, 1.0, citation),
                      ("sst2", "validation", "f1"): (0.9134, 1.0, citation)}


def test_percent_scores_language_slices_eval_results_and_training_emissions(store, hub):
    sync_models(store, [XNLI], client=_client())
    with store.session() as s:
        scores = sorted((q.dataset, q.slice, q.split, q.metric, q.value, q.scale_max, q.higher_is_better)
                        for q in s.scalars(select(QualityScore)))
    assert scores == [
        ("imdb", "", "", "score", 0.93, 1.0, True),  # evalResults entry stanfordnlp/imdb
        ("xnli", "de", "test", "accuracy", 77.8, 100.0, True),  # "77.8 ± 0.4" -> 77.8 percent
        ("xnli", "fr", "test", "accuracy", 79.3, 100.0, True),  # config "fr" is a card language -> slice
    ]  # the perplexity 512 fits no 0..1 / 0..100 scale and is skipped
    r = _record(store, XNLI)
    assert r["training_co2e_kg"] == pytest.approx(149.2)  # card: emissions 149200 g
    assert "CodeCarbon" in r["training_co2e_source"] and "Paris, France" in r["training_co2e_source"]
    assert r["license"] == "mit" and r["author"] == "acme"


def test_parameters_derived_from_config_when_safetensors_is_absent(store, hub):
    sync_models(store, [DISTIL], client=_client())
    r = _record(store, DISTIL)
    assert r["parameters"] == DISTILBERT_DERIVED and r["parameters_derived"] is True
    assert r["parameters_source"].startswith(f"derived from config.json at revision {SHA[DISTIL]}")


def test_a_derived_count_never_replaces_a_published_one(store, hub):
    from effdash.records import get_or_create_model

    with store.session() as s:
        get_or_create_model(s, DISTIL, parameters=66_000_000, parameters_source="DistilBERT paper: 66M")
    sync_models(store, [DISTIL], client=_client())
    r = _record(store, DISTIL)
    assert (r["parameters"], r["parameters_derived"], r["parameters_source"]) == (66_000_000, False,
                                                                                 "DistilBERT paper: 66M")
    assert r["license"] == "apache-2.0"  # the rest of the metadata is still filled in


def test_unreadable_card_data_is_a_bad_response_not_a_crash(store, hub):
    hub.models[SST2]["cardData"] = {"co2_eq_emissions": {"emissions": [1, 2]}, "base_model": {"odd": 1}}
    hub.models[SST2]["baseModels"] = {"relation": "finetune", "models": [{"no_id": 1}]}
    (o,) = sync_models(store, [SST2], client=_client()).outcomes
    assert o.status == "failed" and "could not be read" in o.error
    with store.session() as s:
        assert stored_revisions_of(s) == {}


def stored_revisions_of(session) -> dict:
    from effdash.schema import Model

    return {m.model_id: m.revision for m in session.scalars(select(Model))}


def test_config_estimates_worked_out_by_hand():
    assert parameters_from_config(DISTILBERT_CONFIG) == 66_301_440
    assert parameters_from_config(LLAMA_CONFIG) == 1_235_746_816
    # BERT-base: 30522*768 + 512*768 + 12*(4*768^2 + 2*768*3072) = 23_834_112 + 84_934_656
    bert = {"vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12, "intermediate_size": 3072,
            "max_position_embeddings": 512, "num_attention_heads": 12}
    assert parameters_from_config(bert) == 108_768_768
    # GPT-2 names, untied head: 50257*768 + 1024*768 + 12*(4*768^2 + 2*768*3072) + 50257*768
    gpt2 = {"vocab_size": 50257, "n_embd": 768, "n_layer": 12, "n_positions": 1024, "tie_word_embeddings": False}
    assert parameters_from_config(gpt2) == 38_597_376 + 786_432 + 84_934_656 + 38_597_376
    assert parameters_from_config({"model_type": "bert"}) is None


def test_distilled_lineage_where_the_card_says_so(store, hub):
    sync_models(store, [DISTIL], client=_client())
    (edge,) = _record(store, DISTIL)["base_models"]
    assert (edge["model_id"], edge["relation"]) == (BERT, "distilled")
    assert "the card says the model is distilled" in edge["source"]


def test_quantized_lineage_from_relation_tag_and_card(store, hub):
    sync_models(store, [SST2_INT8], client=_client())
    assert [(b["model_id"], b["relation"]) for b in _record(store, SST2_INT8)["base_models"]] == [(SST2, "quantized")]


def test_gated_model_is_stored_with_a_warning_then_with_its_size_given_a_token(store, hub):
    (o,) = sync_models(store, [LLAMA], client=_client(token="")).outcomes
    assert o.status == "synced" and "gated" in o.warnings[0]
    assert _record(store, LLAMA)["gated"] == "manual" and _record(store, LLAMA)["parameters"] is None
    sync_models(store, [LLAMA], client=_client(token=TOKEN), force=True)
    assert _record(store, LLAMA)["parameters"] == LLAMA_DERIVED


def test_unchanged_revision_is_skipped_and_a_new_one_replaces_card_scores(store, hub):
    sync_models(store, [SST2], client=_client())
    before = hub.count(f"/api/models/{SST2}")
    report = sync_models(store, [SST2], client=_client())
    assert report.outcomes[0].status == "unchanged"
    assert hub.count(f"/api/models/{SST2}") - before == 1  # only the small sha request
    model = hub.models[SST2]
    model["sha"] = "f" * 40
    model["cardData"]["model-index"][0]["results"][0]["metrics"] = [{"type": "accuracy", "value": 0.95}]
    assert sync_models(store, [SST2], client=_client()).outcomes[0].status == "synced"
    with store.session() as s:
        rows = [(q.metric, q.value, q.source.commit) for q in s.scalars(select(QualityScore))]
    assert rows == [("accuracy", 0.95, "f" * 40)]


def test_failures_leave_the_database_exactly_as_it_was(store, hub):
    sync_models(store, [SST2], client=_client())
    before = _dump(store)
    hub.faults["distilbert/distilbert-base-uncased-finetuned-sst-2-english"] = hub.faults["broken/malformed"]
    report = sync_models(store, [SST2, "broken/partial", "broken/server-error", "nobody/none"], client=_client())
    assert [o.status for o in report.outcomes] == ["failed"] * 4 and not report.ok
    assert _dump(store) == before


def test_one_failure_does_not_stop_the_others(store, hub):
    report = sync_models(store, [BERT, "broken/server-error", PRIVATE], client=_client())
    assert [o.status for o in report.outcomes] == ["synced", "failed", "failed"]
    assert "server error (503)" in report.outcomes[1].error
    assert _record(store, BERT)["parameters"] == 110_106_428


def test_the_token_is_never_stored(store, hub):
    sync_models(store, [PRIVATE, LLAMA], client=_client(token=TOKEN))
    assert _record(store, PRIVATE)["parameters"] == 4_000_000
    dumped = json.dumps(_dump(store), default=str)
    assert TOKEN not in dumped


def test_discover_stores_most_downloaded_as_candidates(store, hub):
    listed = discover(store, "text-classification", 3, client=_client())
    assert [m.model_id for m in listed] == [SST2, XNLI, SST2_INT8]  # 4_000_000 > 50_000 > 1_200 downloads
    r = _record(store, XNLI)
    assert r["discovered_for_task"] == "text-classification"
    assert r["metadata_source"] == "Hugging Face Hub model listing" and r["parameters"] == 278_045_955
    with store.session() as s:
        add_measurement(s, MeasurementIn(
            model_id=SST2, task="text-classification", inferences=1000, hardware="test GPU",
            runs=[RunEnergy(gpu_energy_kwh=0.002)], source=SourceRef("measured", "test"), components=("gpu",),
            gpu_method="nvml_counter"))
    with store.session() as s:
        candidates = discovered_candidates(s, "text-classification")
    # SST2 has a measurement now, so only the other two are "not measured yet"
    assert [c.model_id for c in candidates] == [XNLI, SST2_INT8]
    assert candidates[0].downloads == 50_000


def test_discover_after_a_full_sync_keeps_the_full_metadata(store, hub):
    sync_models(store, [SST2], client=_client())
    hub.models[SST2]["downloads"] = 4_100_000
    discover(store, "text-classification", 1, client=_client())
    r = _record(store, SST2)
    assert r["metadata_source"] == "Hugging Face Hub API" and r["downloads"] == 4_100_000
    assert r["discovered_for_task"] == "text-classification" and r["quality_scores"] == 2


@pytest.mark.parametrize("fault, error, words", [
    (Fault("malformed"), HubBadResponse, "invalid JSON"),
    (Fault("partial"), HubBadResponse, "malformed or incomplete"),  # an object where a list belongs
    (Fault("server_error", status=502), HubServerError, "server error (502)"),
    (Fault("rate_limit", retry_after_s=120), HubRateLimited, "wait 120 s"),
])
def test_discover_failures_store_nothing(store, hub, fault, error, words):
    hub.faults[LISTING] = fault
    before = _dump(store)
    with pytest.raises(error, match=re.escape(words)):
        discover(store, "text-classification", 3, client=_client())
    assert _dump(store) == before


def test_discover_refuses_a_limit_below_one(store, hub):
    from effdash.errors import EffdashError

    with pytest.raises(EffdashError, match="at least 1"):
        discover(store, "text-classification", 0, client=_client())


def test_schedule_sync_returns_at_once_and_fills_in_metadata(store, hub):
    hub.delay_s = 0.2
    thread = schedule_sync([SST2], store)
    assert thread is not None and thread.is_alive()  # the caller did not wait for the Hub
    thread.join(10)
    assert _record(store, SST2)["revision"] == SHA[SST2]
    assert schedule_sync([SST2], store) is None  # already known: nothing to do


def test_schedule_sync_never_fails_its_caller(store, hub, monkeypatch):
    thread = schedule_sync(["slow/hanging", "broken/server-error"], store, client=_client(timeout_s=0.3))
    thread.join(10)
    assert not thread.is_alive()
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    thread = schedule_sync(["nobody/none"], store)
    thread.join(10)
    store.dispose()
    assert schedule_sync(["x/y"], object()) is None  # even a broken store argument does not raise


def test_schedule_sync_can_be_switched_off(store, hub, monkeypatch):
    monkeypatch.setenv("EFFDASH_HUB_AUTOSYNC", "0")
    assert schedule_sync([SST2], store) is None
    assert hub.requests == []


def test_family_shows_base_fine_tunes_quantised_and_distilled_side_by_side(store, hub):
    sync_models(store, [BERT, DISTIL, SST2, SST2_INT8], client=_client())
    with store.session() as s:
        for mid, kwh in ((SST2, 0.0020), (SST2_INT8, 0.0012)):
            add_measurement(s, MeasurementIn(
                model_id=mid, task="text-classification", dataset="sst2", inferences=1000, hardware="A100",
                runs=[RunEnergy(gpu_energy_kwh=kwh)], source=SourceRef("measured", "t"), components=("gpu",),
                gpu_method="nvml_counter"))
        family = model_family(s, SST2_INT8)
    assert family.root == BERT
    assert [(m.model_id, m.role) for m in family.members] == [
        (BERT, "base"), (DISTIL, "distilled"), (SST2, "finetune"), (SST2_INT8, "quantized")]
    groups = {r["group"] for r in family.energy}
    # GPU-only figures have no whole-machine total: they form the GPU-only group alone
    assert groups == {"A100 · GPU energy only · hardware energy counter · inference only"}
    group = next(iter(groups))
    rows = family_side_by_side(family, group=group, metric="accuracy")
    int8 = next(r for r in rows if r["model_id"] == SST2_INT8)
    # energy 0.0012 kWh / 1000 = 1.2 Wh per 1000 vs 2.0: -40 %; accuracy 90.2 % vs 91.055 %: -0.855 points
    assert int8["wh_per_1k"] == pytest.approx(1.2) and int8["energy_vs_base_pct"] == pytest.approx(-40.0)
    assert int8["quality_vs_base_points"] == pytest.approx(90.2 - 91.05504587155964)


def test_known_models_filters(store, hub):
    sync_models(store, [BERT, DISTIL, SST2, SST2_INT8, XNLI], client=_client())
    with store.session() as s:
        ids = lambda **kw: [m.model_id for m in list_known_models(s, **kw)]  # noqa: E731
        assert ids(task="text-classification") == [SST2, XNLI, SST2_INT8]  # by downloads
        assert ids(license="mit") == [XNLI]
        assert ids(max_parameters=70_000_000) == [DISTIL, SST2, SST2_INT8]
        assert ids(min_parameters=200_000_000) == [XNLI]
        assert ids(text="DISTILBERT", measured=False) == [DISTIL, SST2, SST2_INT8]
        assert ids(measured=True) == []
        known = list_known_models(s, text=XNLI)[0]
    assert known.quality_scores == 3 and isinstance(known.metadata_fetched_at, datetime)


def test_a_cli_import_syncs_unknown_models_in_the_background(store, hub, tmp_path):
    """`effdash import` returns without waiting; a detached `effdash hub sync` fills in the metadata."""
    import subprocess
    import sys
    import time

    path = tmp_path / "m.csv"
    path.write_text(f"model_id,task,hardware,wh_per_1k\n{SST2},text-classification,NVIDIA H100 80GB,1.5\n")
    hub.delay_s = 0.2
    done = subprocess.run([sys.executable, "-m", "effdash", "import", str(path), "--db", store.url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _record(store, SST2).get("revision") != SHA[SST2]:
        time.sleep(0.5)
    assert _record(store, SST2)["revision"] == SHA[SST2]
