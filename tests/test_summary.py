"""The energy summary stays in step with the measurements it is built from, through every writer.

Numbers worked out by hand: Wh per 1000 inferences = kWh x 1e6 / inferences, so 0.001 kWh over
1000 inferences is 1.0, 0.006 kWh over 2000 is 3.0, 0.0005 over 1000 is 0.5, 0.0015 over 1000 is 1.5.
"""

import math

import pytest
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from effdash.compare import compare
from effdash.ingest import ImportOptions, Upload, import_file
from effdash.records import MeasurementIn, RunEnergy, SourceRef, add_measurement
from effdash.schema import EnergySummary, Model, Source
from effdash.store import Store

A100 = "NVIDIA A100-SXM4-80GB"
HEADER = "model_id,task,hardware,inferences,gpu_energy_kwh,method,repeats,dataset,quality_metric,quality_value,quality_dataset"
FIRST = [
    f"org/x,text-classification,{A100},1000,0.001,nvml_counter,3,sst2,accuracy,0.9,imdb",
    f"org/x,text-classification,{A100},2000,0.006,nvml_counter,3,imdb,,,",
    f"org/y,text-classification,{A100},1000,0.0005,nvml_counter,3,sst2,accuracy,0.8,imdb",
]
SECOND = FIRST[:2] + [f"org/y,text-classification,{A100},1000,0.0015,nvml_counter,3,imdb,,,"]


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def gpu_rows(store) -> dict[str, tuple]:
    """model -> (measurements, sum, sum of squares, repeats) of its GPU-basis summary row on the A100."""
    with store.session() as s:
        rows = s.execute(select(Model.model_id, EnergySummary.measurements, EnergySummary.wh_per_1k_sum,
                                EnergySummary.wh_per_1k_sum_sq, EnergySummary.repeats)
                         .join(Model, Model.id == EnergySummary.model_pk)
                         .where(EnergySummary.basis == "gpu", EnergySummary.hardware == A100,
                                EnergySummary.tier == "counter", EnergySummary.window == "inference")).all()
    return {m: (n, round(total, 9), round(sq, 9), r) for m, n, total, sq, r in rows}  # rounded: float sums


def add_one(store) -> None:
    """org/x measured again on the A100: two repeats of 0.002 kWh over 1000 inferences = 2.0 Wh per 1000."""
    with store.session() as s:
        add_measurement(s, MeasurementIn(
            model_id="org/x", task="text-classification", inferences=1000, hardware=A100,
            runs=[RunEnergy(gpu_energy_kwh=0.002), RunEnergy(gpu_energy_kwh=0.002)],
            source=SourceRef(kind="measured", citation="bench notebook"), dataset="ag_news", components=("gpu",),
            gpu_method="nvml_counter"))


def test_import_then_measurement_then_overlapping_import_keep_the_summary_in_step(store, tmp_path):
    import_file(store, Upload.from_path(write(tmp_path, "first.csv", FIRST)), ImportOptions())
    # org/x: 1.0 and 3.0 -> n 2, sum 4.0, squares 1 + 9 = 10; org/y: 0.5 -> sum 0.5, square 0.25
    assert gpu_rows(store) == {"org/x": (2, 4.0, 10.0, 6), "org/y": (1, 0.5, 0.25, 3)}

    add_one(store)  # org/x gains 2.0: n 3, sum 6.0, squares 14; repeats 6 + 2
    assert gpu_rows(store)["org/x"] == (3, 6.0, 14.0, 8)

    plan = import_file(store, Upload.from_path(write(tmp_path, "second.csv", SECOND)), ImportOptions())
    assert (plan.rows_new, plan.rows_duplicate) == (1, 2)  # only org/y's 1.5 is new
    assert gpu_rows(store) == {"org/x": (3, 6.0, 14.0, 8), "org/y": (2, 2.0, 2.5, 6)}


def test_the_recommendation_reads_the_summary(store, tmp_path):
    import_file(store, Upload.from_path(write(tmp_path, "first.csv", FIRST)), ImportOptions())
    add_one(store)
    with store.session() as s:
        cmp = compare(s, task="text-classification", threshold=0.85, metric="accuracy", dataset="imdb", basis="gpu")
    x = cmp.result.recommended
    assert x.model_id == "org/x" and x.measurements == 3
    assert math.isclose(x.wh_per_1k, 2.0)  # (1 + 3 + 2) / 3
    assert math.isclose(x.wh_per_1k_std, math.sqrt(2 / 3))  # sqrt(14 / 3 - 2 ** 2)
    assert cmp.result.saving_vs_hungriest is None  # org/y (0.5) is cheaper, so x is the hungriest
    assert [e.reason for e in cmp.result.excluded] == ["below threshold (0.8 < 0.85)"]


RACER = r"""
import sys
from effdash.records import MeasurementIn, RunEnergy, SourceRef, add_measurement
from effdash.store import open_store

url, w = sys.argv[1], int(sys.argv[2])
store = open_store(url)
for j in range(15):
    with store.session() as s:
        add_measurement(s, MeasurementIn(
            model_id=f"shared/m{j % 3}", task="text-classification", inferences=1000, hardware="Race GPU",
            runs=[RunEnergy(gpu_energy_kwh=0.001 * (w + 1))], source=SourceRef("measured", "racers"),
            components=("gpu",), gpu_method="nvml_counter", dataset=f"w{w}-{j}"))
"""


def test_eight_writers_of_the_same_models_leave_one_correct_summary_row_each(db_url):
    # Writer w stores 5 measurements of (w + 1) Wh per 1000 for each of the 3 models: per model
    # n = 8 x 5 = 40, sum = 5 x (1 + ... + 8) = 180, squares = 5 x (1 + 4 + ... + 64) = 1020.
    Store(db_url).dispose()
    racers = [subprocess.Popen([sys.executable, "-c", RACER, db_url, str(w)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for w in range(8)]
    for r in racers:
        _, err = r.communicate(timeout=300)
        assert r.returncode == 0 and err == "", err
    store = Store(db_url)
    try:
        with store.session() as s:
            rows = s.execute(select(Model.model_id, EnergySummary.measurements, EnergySummary.wh_per_1k_sum,
                                    EnergySummary.wh_per_1k_sum_sq).join(Model, Model.id == EnergySummary.model_pk)
                             .where(EnergySummary.basis == "gpu")).all()
    finally:
        store.dispose()
    assert sorted((m, n, round(t, 9), round(q, 9)) for m, n, t, q in rows) == [
        (f"shared/m{k}", 40, 180.0, 1020.0) for k in range(3)]


def summary_table(store) -> list[tuple]:
    """Every summary row (model id instead of key, floats rounded), in a fixed order."""
    s_ = EnergySummary
    with store.session() as s:
        rows = s.execute(select(Model.model_id, s_.task, s_.hardware, s_.basis, s_.tier, s_.window, s_.measurements,
                                s_.wh_per_1k_sum, s_.wh_per_1k_sum_sq, s_.repeats, s_.repeat_std_wh_per_1k_max,
                                s_.source_pk, s_.sources).join(Model, Model.id == s_.model_pk)).all()
    return sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in rows)


H100 = "NVIDIA H100 80GB HBM3"
STD_HEADER = "model_id,task,hardware,inferences,gpu_energy_kwh,energy_kwh,std_wh_per_1k,method,dataset"
STD_FIRST = [f"org/x,text-classification,{A100},1000,0.001,,0.1,nvml_counter,a",
             f"org/y,text-classification,{A100},1000,0.002,,,nvml_counter,a"]
STD_SECOND = [f"org/x,text-classification,{A100},1000,0.003,,0.4,nvml_counter,b",
              f"org/z,text-classification,{A100},1000,0.004,,,nvml_counter,a",
              f"org/y,text-classification,{H100},1000,0.001,0.0015,,gpu=nvml_counter;cpu=rapl;ram=estimate,a"]


def test_an_import_adds_to_the_summary_what_a_recompute_gives(store, tmp_path):
    """Imports fold only their own rows into the summary; the result equals recomputing every model
    from all its measurements. org/x on the A100 (GPU): 1.0, 2.0 (measured) and 3.0 Wh per 1000 from
    three sources -> n 3, sum 6.0, squares 14, largest spread 0.4, sources 3, lowest source the first file's."""
    from effdash.summary import refresh_energy_summary

    def write_std(name, lines):
        path = tmp_path / name
        path.write_text("\n".join([STD_HEADER, *lines]) + "\n", encoding="utf-8")
        return Upload.from_path(path)

    first = import_file(store, write_std("first.csv", STD_FIRST), ImportOptions())
    add_one(store)
    import_file(store, write_std("second.csv", STD_SECOND), ImportOptions())
    folded = summary_table(store)
    with store.engine.begin() as conn:
        refresh_energy_summary(conn, conn.scalars(select(Model.id)).all())
    assert summary_table(store) == folded
    x = [r for r in folded if r[0] == "org/x" and r[3] == "gpu"]
    assert len(x) == 1 and x[0][6:10] == (3, 6.0, 14.0, 4)  # repeats: 1 + 2 + 1
    assert x[0][10] == 0.4 and x[0][12] == 3
    with store.session() as s:
        first_source = s.scalar(select(func.min(Source.id)).where(Source.import_batch_id == first.batch_id))
    assert x[0][11] == first_source
    assert {(r[0], r[2], r[3]) for r in folded if r[0] == "org/y"} == {
        ("org/y", A100, "gpu"), ("org/y", H100, "gpu"), ("org/y", H100, "total")}


COLUMNAR_HEADER = "model_id,task,hardware,inferences,gpu_energy_kwh,cpu_energy_kwh,method,dataset,repeats"
COLUMNAR_FIRST = [f"org/x,text-classification,{A100},1000,0.001,,nvml_counter,a,2",
                  f"org/x,text-classification,{A100},1000,0.002,0.001,gpu=nvml_counter;cpu=rapl,b,3",
                  f"org/y,summarization,{H100},2000,0.004,,nvml_counter,a,1"]
COLUMNAR_SECOND = COLUMNAR_FIRST[1:] + [f"org/x,text-classification,{A100},1000,0.005,,nvml_counter,c,4",
                                        f"org/z,text-classification,{A100},500,0.001,,estimate,a,1"]


@pytest.mark.parametrize("path", ["columns", "rows"])
def test_large_file_imports_add_to_the_summary_what_a_recompute_gives(store, tmp_path, monkeypatch, path):
    """The columnar path hands each batch's sums over (first file) or, when the batch had stored
    duplicates, reads its rows back (second file); both end where a recompute ends. org/x on the A100
    (GPU, counter): 1.0, 2.0 and 5.0 Wh per 1000 -> n 3, sum 8, squares 30, repeats 9, 2 sources."""
    from effdash import ingest
    from effdash.summary import refresh_energy_summary

    monkeypatch.setattr(ingest, "COLUMNAR_MIN_BYTES", 0 if path == "columns" else 1 << 40)
    for name, lines in (("first.csv", COLUMNAR_FIRST), ("second.csv", COLUMNAR_SECOND)):
        file = tmp_path / name
        file.write_text("\n".join([COLUMNAR_HEADER, *lines]) + "\n", encoding="utf-8")
        import_file(store, Upload.from_path(file), ImportOptions())
    folded = summary_table(store)
    with store.engine.begin() as conn:
        refresh_energy_summary(conn, conn.scalars(select(Model.id)).all())
    assert summary_table(store) == folded
    x = [r for r in folded if r[0] == "org/x" and r[3] == "gpu"]
    assert len(x) == 1 and x[0][4] == "counter" and x[0][6:10] == (3, 8.0, 30.0, 9) and x[0][12] == 2
    z = [r for r in folded if r[0] == "org/z"]  # GPU only: 0.001 kWh over 500 inferences = 2 Wh per 1000
    assert [(r[3], r[4], r[6], r[7]) for r in z] == [("gpu", "estimate", 1, 2.0)]
