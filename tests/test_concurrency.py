"""Many processes at once, on SQLite and PostgreSQL: 8 ``effdash import`` processes write
different files while 3 reader processes read the whole time.

Each file w0..w7 holds 101 rows: 100 models of its own (conc/w<i>-m000..m099, each with an
accuracy) and one row for the model conc/shared that every file names (on its own dataset),
so the 8 imports race to create that model. Expected afterwards, worked out from the files:
  measurements 8 x 101 = 808, models 8 x 100 + 1 = 801, quality scores 8 x 100 = 800,
  import batches 8, and no user-visible error. A file is one transaction, so every reader
  must only ever see a multiple of 101 measurements.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from effdash.schema import ImportBatch, Measurement, Model, QualityScore
from effdash.store import Store

WRITERS, ROWS_PER_FILE = 8, 101
HEADER = "model_id,task,hardware,wh_per_1k,basis,method,dataset,quality_metric,quality_value\n"

READER = r"""
import json, sys, time
from pathlib import Path
from effdash.errors import EffdashError
from effdash.store import open_store, data_version
from effdash.compare import compare

url, stop = sys.argv[1], Path(sys.argv[2])
store = open_store(url)
seen, errors, reads = set(), [], 0
while not stop.exists() or reads == 0:
    try:
        measurements = data_version(store)[0][0]
        seen.add(measurements)
        if measurements:  # what the Compare page asks for
            with store.session() as s:
                compare(s, task="text-classification", threshold=0.5, metric="accuracy")
        reads += 1
    except EffdashError as exc:
        errors.append(str(exc))
    time.sleep(0.05)
print(json.dumps({"seen": sorted(seen), "errors": errors, "reads": reads}))
"""


def write_files(folder: Path) -> list[Path]:
    paths = []
    for i in range(WRITERS):
        lines = [f"conc/w{i}-m{j:03d},text-classification,Conc GPU,{1 + i + j / 1000:.3f},gpu,nvml_counter,sst2,"
                 f"accuracy,{0.4 + j / 1000:.3f}\n" for j in range(ROWS_PER_FILE - 1)]
        lines.append(f"conc/shared,text-classification,Conc GPU,{10 + i},gpu,nvml_counter,w{i},,\n")
        path = folder / f"w{i}.csv"
        path.write_text(HEADER + "".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def counts(url: str) -> dict[str, int]:
    store = Store(url)
    try:
        with store.session() as s:
            return {t.__tablename__: s.scalar(select(func.count()).select_from(t))
                    for t in (Measurement, Model, QualityScore, ImportBatch)}
    finally:
        store.dispose()


def test_eight_importers_and_three_readers_at_once(db_url, tmp_path):
    Store(db_url).dispose()  # the schema exists before the crowd arrives
    files = write_files(tmp_path)
    stop = tmp_path / "stop"
    effdash = [sys.executable, "-m", "effdash"]
    readers = [subprocess.Popen([sys.executable, "-c", READER, db_url, str(stop)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(3)]
    time.sleep(0.5)
    writers = [subprocess.Popen([*effdash, "import", str(f), "--db", db_url], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for f in files]
    results = [w.communicate(timeout=300) + (w.returncode,) for w in writers]
    stop.touch()
    seen = [r.communicate(timeout=120) + (r.returncode,) for r in readers]

    for out, err, code in results:
        assert code == 0, err
        assert err == "" and "101 new, 0 duplicates skipped, 0 rejected" in out
    for out, err, code in seen:
        assert code == 0 and "Traceback" not in err, err
        report = json.loads(out)
        assert report["errors"] == []
        assert report["reads"] >= 1
        print("reader saw measurement counts", report["seen"], "in", report["reads"], "reads")
        assert all(n % ROWS_PER_FILE == 0 and 0 <= n <= WRITERS * ROWS_PER_FILE for n in report["seen"])
    assert counts(db_url) == {"measurements": 808, "models": 801, "quality_scores": 800, "import_batches": 8}


WRITER = r"""
import sys
from effdash.records import MeasurementIn, RunEnergy, SourceRef, add_measurement
from effdash.store import open_store

url, w = sys.argv[1], int(sys.argv[2])
store = open_store(url)
for j in range(15):
    with store.session() as s:  # one transaction per measurement, as the Measure page stores them
        add_measurement(s, MeasurementIn(
            model_id=f"shared/m{j % 3}", task="text-classification", inferences=1000, hardware="Conc GPU",
            runs=[RunEnergy(gpu_energy_kwh=0.001 * (w + 1))], source=SourceRef("measured", "concurrent writers"),
            components=("gpu",), gpu_method="nvml_counter", dataset=f"w{w}-{j}"))
"""


def test_eight_writers_through_records_create_shared_models_once(db_url):
    # 8 processes x 15 measurements, all naming the same 3 models and the same source:
    # 120 measurements, 3 models, 1 source; the processes race to create the models and the source.
    Store(db_url).dispose()
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, db_url, str(w)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for w in range(WRITERS)]
    for w in writers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0 and err == "", err
    store = Store(db_url)
    try:
        with store.session() as s:
            assert s.scalar(select(func.count()).select_from(Measurement)) == 120
            assert sorted(s.scalars(select(Model.model_id))) == ["shared/m0", "shared/m1", "shared/m2"]
            per_model = {m: n for m, n in s.execute(select(Model.model_id, func.count()).join(Measurement).group_by(Model.model_id))}
    finally:
        store.dispose()
    assert per_model == {"shared/m0": 40, "shared/m1": 40, "shared/m2": 40}  # j % 3 over 15 x 8
