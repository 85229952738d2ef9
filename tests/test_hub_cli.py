"""``effdash hub sync`` / ``effdash hub discover`` as a user runs them (in-process main, real database)."""

from __future__ import annotations

import json

import pytest

from effdash.cli import main
from hubserver import DISTIL, LLAMA, PRIVATE, SHA, SST2, SST2_INT8, TOKEN, XNLI, hub  # noqa: F401 (fixture)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sync_json_prints_the_stored_record(capsys, hub, db_url):
    code, out, err = run(capsys, "hub", "sync", SST2, DISTIL, "--json", "--db", db_url)
    assert code == 0, err
    first, second = json.loads(out)
    assert first["model_id"] == SST2 and first["status"] == "synced"
    assert (first["pipeline_tag"], first["parameters"], first["license"]) == ("text-classification", 66_955_010, "apache-2.0")
    assert [b["model_id"] for b in first["base_models"]] == [DISTIL]
    assert second["parameters_derived"] is True and second["base_models"][0]["relation"] == "distilled"
    code, out, _ = run(capsys, "hub", "sync", SST2, "--json", "--db", db_url)
    assert json.loads(out)[0]["status"] == "unchanged"


def test_sync_text_output_and_exit_code_when_one_fails(capsys, hub, db_url):
    code, out, err = run(capsys, "hub", "sync", SST2_INT8, "nobody/none", "--db", db_url)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"synced     {SST2_INT8} @ {SHA[SST2_INT8][:12]}: text-classification, 67.0M parameters")
    assert f"quantized of {SST2}" in lines[0] and "1 card score" in lines[0]
    assert lines[1].startswith("failed     nobody/none: The Hub has no model nobody/none")
    assert "Traceback" not in out + err


def test_timeout_option_bounds_a_hanging_server(capsys, hub, db_url):
    code, out, err = run(capsys, "hub", "sync", "slow/hanging", "--timeout", "0.5", "--db", db_url)
    assert code == 1 and "did not answer within 0.5 s" in out


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_bad_timeout_is_a_usage_error(capsys, value):
    with pytest.raises(SystemExit) as info:
        main(["hub", "sync", "a/b", "--timeout", value])
    assert info.value.code == 2
    assert "--timeout" in capsys.readouterr().err


def test_token_is_used_but_never_printed(capsys, hub, db_url, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    code, out, err = run(capsys, "hub", "sync", PRIVATE, LLAMA, "--json", "--db", db_url)
    assert code == 0
    assert TOKEN not in out + err
    assert json.loads(out)[1]["parameters"] == 1_235_746_816  # gated config.json read with the token


def test_discover_lists_and_stores_candidates(capsys, hub, db_url):
    code, out, err = run(capsys, "hub", "discover", "--task", "text_classification", "--limit", "2", "--db", db_url)
    assert code == 0, err
    assert out.splitlines()[0] == "2 most downloaded text-classification models stored as candidates (not measured yet unless shown):"
    assert out.splitlines()[1].split() == ["4,000,000", "downloads", "67.0M", "params", SST2]
    code, out, _ = run(capsys, "hub", "discover", "--task", "text-classification", "--limit", "2", "--json",
                       "--db", db_url)
    assert [(r["model_id"], r["discovered_for_task"]) for r in json.loads(out)] == [
        (SST2, "text-classification"), (XNLI, "text-classification")]


def test_discover_errors_are_one_line(capsys, hub, db_url):
    code, out, err = run(capsys, "hub", "discover", "--task", "nonsense", "--db", db_url)
    assert code == 1 and err.startswith("effdash: error: Unknown task 'nonsense'")
    hub.delay_s = 1
    code, out, err = run(capsys, "hub", "discover", "--task", "text-classification", "--timeout", "0.2", "--db", db_url)
    assert code == 1 and "did not answer within 0.2 s" in err and "Traceback" not in err
