"""Fixtures: a local Hub (effdash.hub.localhub) on 127.0.0.1 with models in the Hub's response shape.

The expected numbers the tests check are worked out in the comments next to the data.
"""

from __future__ import annotations

import pytest

from effdash.hub.localhub import Fault, LocalHub, hub_model_json

TOKEN = "hf_TestTokenThatMustNeverBeStored123"

BERT = "google-bert/bert-base-uncased"
DISTIL = "distilbert/distilbert-base-uncased"
SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
SST2_INT8 = "acme/distilbert-sst2-int8"
XNLI = "acme/xlmr-base-xnli"
LLAMA = "meta-llama/Llama-3.2-1B"
PRIVATE = "acme/private-model"
SHA = {m: f"{i:x}" * 40 for i, m in enumerate([BERT, DISTIL, SST2, SST2_INT8, XNLI, LLAMA, PRIVATE], start=1)}

DISTILBERT_CONFIG = {"model_type": "distilbert", "vocab_size": 30522, "dim": 768, "n_layers": 6, "n_heads": 12,
                     "hidden_dim": 3072, "max_position_embeddings": 512, "activation": "gelu"}
# 30522*768 + 512*768 + 6*(4*768^2 + 2*768*3072) = 23_440_896 + 393_216 + 6*7_077_888 = 66_301_440
DISTILBERT_DERIVED = 66_301_440

LLAMA_CONFIG = {"model_type": "llama", "vocab_size": 128256, "hidden_size": 2048, "num_hidden_layers": 16,
                "intermediate_size": 8192, "num_attention_heads": 32, "num_key_value_heads": 8,
                "hidden_act": "silu", "rope_theta": 500000.0, "tie_word_embeddings": True,
                "max_position_embeddings": 131072}
# embeddings 128256*2048 = 262_668_288 (rotary: no position table; tied head: no extra matrix)
# per layer: q,o 2*2048^2 = 8_388_608; k,v 2*2048*512 = 2_097_152 (512 = 2048*8/32); MLP 3*2048*8192 = 50_331_648
# 16 * 60_817_408 = 973_078_528; total 1_235_746_816 (the published 1_235_814_400 adds 67_584 norm weights)
LLAMA_DERIVED = 1_235_746_816


def catalogue() -> list[dict]:
    return [
        hub_model_json(
            BERT, sha=SHA[BERT], downloads=50_000_000, pipeline_tag="fill-mask", likes=2300,
            tags=["transformers", "pytorch", "safetensors", "bert", "fill-mask", "exbert", "en",
                  "dataset:bookcorpus", "license:apache-2.0"],
            cardData={"language": "en", "tags": ["exbert"], "license": "apache-2.0",
                      "datasets": ["bookcorpus", "wikipedia"]},
            safetensors={"parameters": {"F32": 110_106_428}, "total": 110_106_428},
        ),
        hub_model_json(
            DISTIL, sha=SHA[DISTIL], downloads=9_000_000, pipeline_tag="fill-mask", likes=700,
            lastModified="2024-05-06T13:44:53.000Z",
            tags=["transformers", "pytorch", "distilbert", "fill-mask", "exbert", "en",
                  f"base_model:{BERT}", f"base_model:finetune:{BERT}", "license:apache-2.0"],
            cardData={"language": "en", "tags": ["exbert", "distillation"], "license": "apache-2.0",
                      "base_model": BERT},
            baseModels={"relation": "finetune", "models": [{"_id": "621ffdc036468d709f174338", "id": BERT}]},
        ),
        hub_model_json(
            SST2, sha=SHA[SST2], downloads=4_000_000, pipeline_tag="text-classification", likes=800,
            tags=["transformers", "safetensors", "distilbert", "text-classification", "en", "dataset:sst2",
                  f"base_model:{DISTIL}", f"base_model:finetune:{DISTIL}", "license:apache-2.0",
                  "model-index"],
            cardData={"language": "en", "license": "apache-2.0", "base_model": DISTIL, "datasets": ["sst2"],
                      "model-index": [{"name": SST2, "results": [
                          {"task": {"type": "text-classification", "name": "Text Classification"},
                           "dataset": {"name": "glue", "type": "glue", "config": "sst2", "split": "validation"},
                           "metrics": [{"type": "accuracy", "value": 0.9105504587155964, "name": "Accuracy"},
                                       {"type": "f1", "value": 0.9134, "name": "F1"}]},
                      ]}]},
            safetensors={"parameters": {"F32": 66_955_010}, "total": 66_955_010},
            baseModels={"relation": "finetune", "models": [{"_id": "621ffdc036468d709f174339", "id": DISTIL}]},
        ),
        hub_model_json(
            SST2_INT8, sha=SHA[SST2_INT8], downloads=1200, pipeline_tag="text-classification", likes=3,
            library_name="optimum",
            tags=["optimum", "onnx", "text-classification", f"base_model:{SST2}", f"base_model:quantized:{SST2}",
                  "license:apache-2.0"],
            cardData={"license": "apache-2.0", "base_model": SST2, "base_model_relation": "quantized",
                      "model-index": [{"name": "int8", "results": [
                          {"task": {"type": "text-classification"},
                           "dataset": {"name": "glue", "type": "glue", "config": "sst2", "split": "validation"},
                           "metrics": [{"type": "accuracy", "value": 90.2}]}]}]},
            safetensors={"parameters": {"I8": 66_955_010}, "total": 66_955_010},
            baseModels={"relation": "quantized", "models": [{"_id": "x", "id": SST2}]},
        ),
        hub_model_json(
            XNLI, sha=SHA[XNLI], downloads=50_000, pipeline_tag="text-classification", likes=12,
            author="acme", tags=["transformers", "text-classification", "fr", "de", "license:mit"],
            cardData={"language": ["fr", "de", "en"], "license": "mit",
                      "co2_eq_emissions": {"emissions": 149200, "source": "CodeCarbon", "training_type": "fine-tuning",
                                           "geographical_location": "Paris, France", "hardware_used": "8 x V100"},
                      "model-index": [{"name": "xnli", "results": [
                          {"task": {"type": "text-classification"},
                           "dataset": {"name": "XNLI", "type": "facebook/xnli", "config": "fr", "split": "test"},
                           "metrics": [{"type": "accuracy", "value": 79.3}]},
                          {"task": {"type": "text-classification"},
                           "dataset": {"name": "XNLI", "type": "facebook/xnli", "config": "de", "split": "test"},
                           "metrics": [{"type": "accuracy", "value": "77.8 ± 0.4"},
                                       {"type": "perplexity", "value": 512.0}]},
                      ]}]},
            evalResults=[{"dataset": {"id": "stanfordnlp/imdb", "task_id": "default"}, "value": 0.93}],
            safetensors={"parameters": {"F32": 278_045_955}, "total": 278_045_955},
        ),
        hub_model_json(
            LLAMA, sha=SHA[LLAMA], downloads=3_000_000, pipeline_tag="text-generation", gated="manual",
            likes=1900, tags=["transformers", "llama", "text-generation", "license:llama3.2"],
            cardData={"license": "llama3.2", "language": ["en"]},
        ),
        hub_model_json(PRIVATE, sha=SHA[PRIVATE], downloads=0, pipeline_tag="text-classification", private=True,
                       safetensors={"parameters": {"F32": 4_000_000}, "total": 4_000_000}),
    ]


FAULTS = {
    "flaky/rate-limited": lambda: Fault("rate_limit", times=1, retry_after_s=1),
    "slow/rate-limited": lambda: Fault("rate_limit", retry_after_s=3600),
    "broken/server-error": lambda: Fault("server_error", status=503),
    "slow/hanging": lambda: Fault("hang"),
    "broken/malformed": lambda: Fault("malformed"),
    "broken/partial": lambda: Fault("partial"),
    "broken/truncated": lambda: Fault("truncated"),
    "gated/api": lambda: Fault("gated_api"),
}


def make_hub() -> LocalHub:
    hub = LocalHub(tokens={TOKEN})
    for model in catalogue():
        hub.add_model(model)
    hub.add_model(hub_model_json("flaky/rate-limited", sha="c" * 40, pipeline_tag="text-classification",
                                 safetensors={"parameters": {}, "total": 1000}))
    hub.add_file(DISTIL, "config.json", DISTILBERT_CONFIG)
    hub.add_file(LLAMA, "config.json", LLAMA_CONFIG)
    hub.private.add(PRIVATE)
    hub.gated.add(LLAMA)
    hub.faults.update({k: make() for k, make in FAULTS.items()})
    return hub


@pytest.fixture
def hub(monkeypatch):
    """A running local Hub; HF_ENDPOINT points at it (read by HubClient when no endpoint is given)."""
    server = make_hub().start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("EFFDASH_HUB_AUTOSYNC", "1")  # tests with a Hub may sync in the background
    yield server
    server.stop()
