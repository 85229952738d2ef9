"""HubClient against a local Hub: real huggingface_hub over HTTP; every error path and the token."""

from __future__ import annotations

import time

import pytest

from effdash.hub.client import DEFAULT_TIMEOUT_S, HubClient, resolve_token
from effdash.hub.errors import (
    HubAccessDenied,
    HubBadResponse,
    HubError,
    HubModelNotFound,
    HubRateLimited,
    HubServerError,
    HubUnavailable,
)
from effdash.hub.localhub import LocalHub
from hubserver import BERT, LLAMA, PRIVATE, SHA, TOKEN, hub  # noqa: F401 (fixture)


def test_default_timeout_is_30_s_and_endpoint_comes_from_hf_endpoint(hub):
    client = HubClient()
    assert client.timeout_s == DEFAULT_TIMEOUT_S == 30.0
    assert client.endpoint == hub.url
    assert client.revision(BERT) == SHA[BERT]


def test_model_info_at_a_revision_uses_the_revision_endpoint(hub):
    info = HubClient().model_info(BERT, revision=SHA[BERT])
    assert info.id == BERT and info.safetensors.total == 110_106_428
    assert hub.count(f"/api/models/{BERT}/revision/{SHA[BERT]}") == 1


@pytest.mark.parametrize("model_id, error, words", [
    ("nobody/no-such-model", HubModelNotFound, ["no model nobody/no-such-model", "HF_TOKEN"]),
    (PRIVATE, HubModelNotFound, ["private", "HF_TOKEN"]),
    ("gated/api", HubAccessDenied, ["gated", "accept its conditions", "HF_TOKEN"]),
    ("broken/server-error", HubServerError, ["server error (503)", "retry"]),
    ("broken/malformed", HubBadResponse, ["malformed", "invalid JSON"]),
    ("broken/partial", HubBadResponse, ["missing field 'id'"]),
    ("broken/truncated", HubBadResponse, ["cut off"]),
    ("slow/rate-limited", HubRateLimited, ["429", "wait 3600 s"]),
])
def test_each_hub_failure_becomes_an_effdash_error_with_a_remedy(hub, model_id, error, words):
    with pytest.raises(error) as info:
        HubClient(timeout_s=2).revision(model_id)
    for word in words:
        assert word in str(info.value)


def test_rate_limit_keeps_the_wait_the_hub_asked_for(hub):
    with pytest.raises(HubRateLimited) as info:
        HubClient().revision("slow/rate-limited")
    assert info.value.retry_after_s == 3600.0  # Retry-After: 3600 is longer than the 10 s effdash waits


def test_short_retry_after_is_waited_out_then_retried(hub):
    start = time.monotonic()
    assert HubClient().revision("flaky/rate-limited") == "c" * 40
    assert time.monotonic() - start >= 1.0  # the server said Retry-After: 1
    assert hub.count("/api/models/flaky/rate-limited") == 2  # the 429, then the retry


def test_a_server_that_does_not_answer_times_out(hub):
    start = time.monotonic()
    with pytest.raises(HubUnavailable) as info:
        HubClient(timeout_s=0.5).revision("slow/hanging")
    assert time.monotonic() - start < 5
    assert "did not answer within 0.5 s" in str(info.value)


def test_a_server_that_is_not_there_is_unavailable():
    closed = LocalHub().start()
    url = closed.url
    closed.stop()
    with pytest.raises(HubUnavailable, match="Cannot reach the Hub"):
        HubClient(endpoint=url, timeout_s=2).revision(BERT)


def test_offline_mode_is_reported_not_raised_raw(hub, monkeypatch):
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubUnavailable, match="HF_HUB_OFFLINE"):
        HubClient().revision(BERT)


def test_non_positive_timeout_is_refused():
    with pytest.raises(HubError, match="positive number of seconds"):
        HubClient(endpoint="http://127.0.0.1:9", timeout_s=0)


def test_token_from_environment_goes_into_requests_only(hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    client = HubClient()
    assert client.revision(PRIVATE) == SHA[PRIVATE]  # the private repo answers with the token
    assert hub.requests[-1]["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in repr(client) and "token=set" in repr(client)


def test_token_from_streamlit_secrets(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / ".streamlit").mkdir(parents=True)
    (project / ".streamlit" / "secrets.toml").write_text(f'HF_TOKEN = "{TOKEN}"\n')
    monkeypatch.chdir(project)
    assert resolve_token() == TOKEN
    assert resolve_token({"hub": {"token": "hf_other"}}) == "hf_other"
    monkeypatch.setenv("HF_TOKEN", "hf_env_wins")
    assert resolve_token() == "hf_env_wins"


def test_no_token_anywhere_means_anonymous(hub):
    assert resolve_token({}) is None
    client = HubClient(token="")
    client.revision(BERT)
    assert hub.requests[-1]["authorization"] is None


def test_gated_config_with_a_token_is_read(hub):
    config = HubClient(token=TOKEN).config_json(LLAMA, SHA[LLAMA])
    assert config["hidden_size"] == 2048
    with pytest.raises(HubAccessDenied, match="gated"):
        HubClient(token="").config_json(LLAMA, SHA[LLAMA])


def test_wrong_token_on_gated_says_the_account_needs_access(hub):
    with pytest.raises(HubAccessDenied, match="has no access yet"):
        HubClient(token="hf_wrong").config_json(LLAMA, SHA[LLAMA])


def test_listing_is_most_downloaded_first_and_limited(hub):
    models = HubClient().list_models(task="text-classification", limit=2)
    # text-classification downloads: SST2 4_000_000 > XNLI 50_000 > INT8 1_200 > flaky 0 (private hidden)
    assert [m.id for m in models] == ["distilbert/distilbert-base-uncased-finetuned-sst-2-english",
                                      "acme/xlmr-base-xnli"]


def test_listing_errors_are_translated(hub):
    hub.faults.clear()
    hub.delay_s = 1.0
    with pytest.raises(HubUnavailable, match="within 0.3 s for the text-classification listing"):
        HubClient(timeout_s=0.3).list_models(task="text-classification", limit=2)
