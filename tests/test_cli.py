"""The command line, run as a user runs it (python -m effdash), on real SQLite databases."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from effdash.cli import main
from effdash.records import MeasurementIn, RunEnergy, SourceRef, add_measurement, add_quality
from effdash.store import Store

ROOT = Path(__file__).resolve().parents[1]
SRC = SourceRef(kind="published", citation="hand-made test cohort")


def run_cli(*args, db=None):
    argv = list(args) + (["--db", db] if db else [])
    proc = subprocess.run([sys.executable, "-m", "effdash", *argv], capture_output=True, text=True, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def cohort_db(store, db_url):
    """Three classifiers on one GPU, GPU counter figures; worked values in the tests below.

    tiny:  1 Wh per 1000 (0.001 kWh / 1000 inferences), 10M params, accuracy 0.80
    small: 2 Wh per 1000, 60M params, accuracy 0.90
    large: 6 Wh per 1000, 300M params, accuracy 0.95
    """
    with store.session() as s:
        for name, wh, params, acc in (("org/tiny", 1.0, 10e6, 0.80), ("org/small", 2.0, 60e6, 0.90),
                                      ("org/large", 6.0, 300e6, 0.95)):
            add_measurement(s, MeasurementIn(
                model_id=name, task="text-classification", inferences=1000, hardware="NVIDIA H100 80GB",
                runs=[RunEnergy(gpu_energy_kwh=wh / 1000)], source=SRC, components=("gpu",),
                gpu_method="nvml_counter"))
            add_quality(s, model_id=name, task="text-classification", dataset="sst2", metric="accuracy",
                        value=acc, source=SRC)
        from effdash.schema import Model
        from sqlalchemy import select
        for m in s.scalars(select(Model)):
            m.parameters = {"org/tiny": 10_000_000, "org/small": 60_000_000, "org/large": 300_000_000}[m.model_id]
    return db_url


def test_help_lists_every_command():
    code, out, _ = run_cli("--help")
    assert code == 0
    for cmd in ("init", "recommend", "ratings", "export"):
        assert cmd in out


def test_recommend_json_and_exit_codes(cohort_db, capsys):
    assert main(["recommend", "--task", "text-classification", "--metric", "accuracy", "--min-quality", "0.85",
                 "--json", "--db", cohort_db]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model_id"] == "org/small"
    assert out["parameters"] == 60_000_000
    assert out["wh_per_1k"] == pytest.approx(2.0)
    assert out["quality_value"] == pytest.approx(0.90)
    # range 1..6 (width 1 per band): 2 Wh -> (2-1)/5*5 = 1 -> band 1 -> 4 stars
    assert out["stars"] == 4
    # saving vs org/large: 4 Wh per 1000; at 1e6 per day: 4 kWh/day -> 1460 kWh/year
    assert out["saving_vs_largest"]["kwh_per_year"] == pytest.approx(1460.0)
    assert main(["recommend", "--task", "text-classification", "--metric", "accuracy", "--min-quality", "0.99",
                 "--json", "--db", cohort_db]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["model_id"] is None and "0.99" in out["reason"]
    assert [c["model_id"] for c in out["closest"]] == ["org/large", "org/small", "org/tiny"]


def test_recommend_optimize_energy_and_task_alias(cohort_db, capsys):
    assert main(["recommend", "--task", "text_classification", "--metric", "accuracy", "--min-quality", "0.7",
                 "--optimize", "energy", "--json", "--db", cohort_db]) == 0
    assert json.loads(capsys.readouterr().out)["model_id"] == "org/tiny"


def test_ratings_json(cohort_db, capsys):
    assert main(["ratings", "--task", "text-classification", "--json", "--db", cohort_db]) == 0
    rows = json.loads(capsys.readouterr().out)
    # 1 Wh -> 5 stars; 2 Wh -> 4; 6 Wh (the top of the range) -> 1
    assert [(r["model_id"], r["stars"]) for r in rows] == [("org/tiny", 5), ("org/small", 4), ("org/large", 1)]


def test_export_json_and_formula_safe_csv(store, db_url, tmp_path, capsys):
    with store.session() as s:
        add_measurement(s, MeasurementIn(
            model_id="=HYPERLINK(\"http://evil\")", task="fill-mask", inferences=500, hardware="@cpu",
            runs=[RunEnergy(cpu_energy_kwh=0.002, ram_energy_kwh=0.001)], source=SRC, components=("cpu", "ram"),
            cpu_method="estimate", ram_method="estimate"))
    assert main(["export", "--what", "measurements", "--format", "json", "--db", db_url]) == 0
    rec = json.loads(capsys.readouterr().out)[0]
    # 0.003 kWh for 500 inferences = 3 Wh / 500 -> 6 Wh per 1000
    assert rec["wh_per_1k"] == pytest.approx(6.0)
    assert rec["task"] == "fill-mask" and rec["hardware"] == "@cpu" and rec["source"] == "hand-made test cohort"
    out = tmp_path / "m.csv"
    assert main(["export", "--what", "measurements", "--out", str(out), "--db", db_url]) == 0
    row = next(csv.DictReader(io.StringIO(out.read_text())))
    assert row["model_id"] == "'=HYPERLINK(\"http://evil\")"
    assert row["hardware"] == "'@cpu"
    assert row["wh_per_1k"] == "6.0"


def test_export_models_and_quality(cohort_db, capsys):
    assert main(["export", "--what", "models", "--format", "json", "--db", cohort_db]) == 0
    models = {m["model_id"]: m for m in json.loads(capsys.readouterr().out)}
    assert models["org/small"]["parameters"] == 60_000_000
    assert main(["export", "--what", "quality", "--format", "json", "--db", cohort_db]) == 0
    q = json.loads(capsys.readouterr().out)
    assert {(r["model_id"], r["dataset"], r["metric"], r["value"]) for r in q} >= {("org/tiny", "sst2", "accuracy", 0.8)}


def test_init_empty_then_init_is_idempotent(tmp_path):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    code, out, _ = run_cli("init", "--empty", db=db)
    assert code == 0 and "no data loaded" in out
    code, out, _ = run_cli("init", db=db)
    assert code == 0 and "loaded" in out
    code, out, _ = run_cli("init", db=db)
    assert code == 0 and "already loaded" in out


def test_errors_are_one_line_without_traceback(tmp_path):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    code, out, err = run_cli("recommend", "--task", "no-such-task", "--metric", "accuracy", "--min-quality", "0.5", db=db)
    assert code == 1
    assert "Unknown task 'no-such-task'" in err and "Traceback" not in err
    code, out, err = run_cli("ratings", "--task", "text-classification", db="notaurl://")
    assert code == 1 and "Traceback" not in err
    code, out, err = run_cli("recommend", "--task", "summarization", "--metric", "rouge", "--min-quality", "0.5", db=db)
    assert code == 1 and "effdash init" in err and "Traceback" not in err
