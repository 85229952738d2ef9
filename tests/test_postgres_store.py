"""The library on both backends: the same rows give the same answers on SQLite and PostgreSQL.

Every test here takes ``store`` (or ``db_url``) and so runs twice, once per backend.

The cohort, all on "Test GPU" with the GPU measured by an NVML counter, 1000 inferences per repeat:
  tiny/a   66M params, repeats 0.0018 and 0.0022 kWh -> mean 0.002 kWh = 2.0 Wh per 1000,
           spread across repeats sqrt(2 * 0.0002^2 / 1) = 0.000283 kWh = 0.2828 Wh per 1000;
           accuracy 0.91 on sst2
  mid/b   125M params, 0.003 kWh -> 3.0 Wh per 1000, accuracy 0.94
  big/c   355M params, 0.008 kWh -> 8.0 Wh per 1000, accuracy 0.96
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from effdash.cli import main
from effdash.compare import compare
from effdash.models_view import model_detail, search_models
from effdash.records import MeasurementIn, RunEnergy, SourceRef, add_measurement, add_quality, get_or_create_model
from effdash.schema import Measurement, Model, QualityScore
from effdash.store import data_version

SOURCE = SourceRef(kind="measured", citation="cohort measured for the backend tests")
COHORT = {"tiny/a": (66_000_000, [0.0018, 0.0022], 0.91),
          "mid/b": (125_000_000, [0.003], 0.94),
          "big/c": (355_000_000, [0.008], 0.96)}
MEASURED_AT = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)


def add_cohort(store) -> None:
    with store.session() as s:
        for model_id, (params, runs_kwh, accuracy) in COHORT.items():
            get_or_create_model(s, model_id, parameters=params)
            add_measurement(s, MeasurementIn(
                model_id=model_id, task="text-classification", inferences=1000, hardware="Test GPU",
                runs=[RunEnergy(gpu_energy_kwh=kwh) for kwh in runs_kwh], source=SOURCE, dataset="sst2",
                components=("gpu",), gpu_method="nvml_counter", extra={"measured_at": MEASURED_AT},
            ))
            add_quality(s, model_id=model_id, task="text-classification", dataset="sst2", metric="accuracy",
                        value=accuracy, source=SOURCE)


def test_recommendation_is_the_same_on_both_backends(store):
    add_cohort(store)
    with store.session() as s:
        cmp = compare(s, task="text-classification", threshold=0.90, metric="accuracy")
    rec = cmp.result.recommended
    assert rec.model_id == "tiny/a"  # fewest parameters among the three that reach 0.90
    assert rec.wh_per_1k == pytest.approx(2.0)
    assert rec.wh_per_1k_std == pytest.approx(0.2828, abs=1e-4)
    assert rec.repeats == 2
    saving = cmp.result.saving_vs_largest
    assert saving.versus.model_id == "big/c"
    assert saving.wh_per_1k == pytest.approx(6.0)  # 8.0 - 2.0
    assert saving.percent == pytest.approx(75.0)  # 6 / 8
    assert saving.kwh_per_year == pytest.approx(2190.0)  # 6 Wh x 1000 (per 1M a day) x 365 / 1000
    assert cmp.request.higher_is_better is True  # a boolean column read back as a bool


def test_threshold_changes_the_answer_on_both_backends(store):
    add_cohort(store)
    with store.session() as s:
        answers = [compare(s, task="text-classification", threshold=t, metric="accuracy").result.recommended.model_id
                   for t in (0.90, 0.93, 0.95)]
    assert answers == ["tiny/a", "mid/b", "big/c"]


def test_data_version_changes_when_rows_arrive(store):
    before = data_version(store)
    assert before == ((0, None), (0, None), (0, None))
    add_cohort(store)
    # 3 measurements, 3 quality scores, 3 models; ids 1..3 on a fresh database of either backend
    assert data_version(store) == ((3, 3), (3, 3), (3, 3))


def test_search_is_case_insensitive_on_both_backends(store):
    add_cohort(store)
    with store.session() as s:
        assert search_models(s, "TINY") == ["tiny/a"]
        assert search_models(s, "/") == ["big/c", "mid/b", "tiny/a"]


def test_values_round_trip_with_their_types(store):
    add_cohort(store)
    with store.session() as s:
        detail = model_detail(s, "tiny/a")
        m = s.scalar(select(Measurement).join(Model).where(Model.model_id == "tiny/a"))
        q = s.scalar(select(QualityScore).join(Model).where(Model.model_id == "tiny/a"))
    assert detail.measurements[0]["Wh per 1000 (GPU)"] == pytest.approx(2.0)
    assert detail.measurements[0]["measured"] == "2026-03-01"
    assert m.measured_at.replace(tzinfo=timezone.utc) == MEASURED_AT  # SQLite hands it back naive, in UTC
    assert m.tier_gpu == "counter" and m.tier_total is None  # GPU only: no whole-machine total
    assert q.higher_is_better is True and q.value == pytest.approx(0.91)


def test_cli_recommend_and_export_on_both_backends(store, db_url, capsys, tmp_path):
    add_cohort(store)
    code = main(["recommend", "--db", db_url, "--task", "text-classification", "--metric", "accuracy",
                 "--min-quality", "0.93", "--json"])
    assert code == 0
    assert '"model_id": "mid/b"' in capsys.readouterr().out
    out = tmp_path / "m.csv"
    assert main(["export", "--db", db_url, "--what", "measurements", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 4  # header + 3 measurements
    assert lines[1].startswith("big/c,text-classification,sst2,Test GPU")  # ordered by model id


def test_reference_store_has_the_bundled_data_on_both_backends(reference_store):
    with reference_store.session() as s:
        cmp = compare(s, task="text-classification", threshold=0.85, metric="accuracy", dataset="imdb")
    # data/sources/co2_inference/eval_performance.csv: lvwerra/distilbert-imdb, imdb accuracy 0.928,
    # and model_parameters.csv gives it 66M parameters, the fewest among the models above 0.85.
    rec = cmp.result.recommended
    assert (rec.model_id, rec.quality, rec.parameters) == ("lvwerra/distilbert-imdb", pytest.approx(0.928), 66_000_000)


def test_text_longer_than_its_column_is_refused_naming_row_and_column(store, tmp_path):
    from effdash.ingest import InvalidUpload, Upload, import_file

    csv_text = ("model_id,task,hardware,wh_per_1k,dataset\n"
                f"org/m,text-classification,GPU X,1.5,{'d' * 200}\n")  # 200 > 128 characters
    with pytest.raises(InvalidUpload) as exc:
        import_file(store, Upload.from_bytes("long.csv", csv_text.encode()))
    assert "dataset" in str(exc.value) and "2" in str(exc.value)  # the column, and the file's line 2
    assert data_version(store) == ((0, None), (0, None), (0, None))  # nothing stored


def test_a_model_measured_elsewhere_is_excluded_naming_where(store):
    add_cohort(store)
    with store.session() as s:  # accuracy 0.99, but its only measurement is on another GPU
        add_measurement(s, MeasurementIn(
            model_id="other/hw", task="text-classification", inferences=1000, hardware="Other GPU",
            runs=[RunEnergy(gpu_energy_kwh=0.001)], source=SOURCE, dataset="sst2", components=("gpu",),
            gpu_method="nvml_counter"))
        add_quality(s, model_id="other/hw", task="text-classification", dataset="sst2", metric="accuracy",
                    value=0.99, source=SOURCE)
        cmp = compare(s, task="text-classification", threshold=0.90, metric="accuracy", hardware="Test GPU",
                      basis="gpu")
    reasons = {e.candidate.model_id: e.reason for e in cmp.result.excluded}
    # A GPU-only figure has no whole-machine total, so it sits in Other GPU's GPU-only group alone.
    assert reasons["other/hw"] == (
        "measured only on other hardware or method tier: "
        "Other GPU · GPU energy only · hardware energy counter · inference only")
    assert cmp.result.recommended.model_id == "tiny/a"
