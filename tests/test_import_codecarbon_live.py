"""An emissions.csv written by the real CodeCarbon (OfflineEmissionsTracker) during the test, imported."""

import csv
import time

import pytest
from sqlalchemy import select

from effdash.ingest import ImportOptions, Upload, import_file
from effdash.schema import Measurement, MeasurementRepeat


@pytest.fixture(scope="module")
def emissions_csv(tmp_path_factory):
    from codecarbon import OfflineEmissionsTracker

    out = tmp_path_factory.mktemp("codecarbon")
    tracker = OfflineEmissionsTracker(output_dir=str(out), country_iso_code="FRA", measure_power_secs=1,
                                      allow_multiple_runs=True, log_level="error", project_name="org/tiny-model")
    tracker.start()
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:  # a little CPU work to measure
        sum(i * i for i in range(10_000))
    assert tracker.stop() is not None
    return out / "emissions.csv"


def test_real_codecarbon_file_imports_with_its_figures(store, emissions_csv):
    with emissions_csv.open(newline="") as fh:
        written = list(csv.DictReader(fh))
    assert len(written) == 1 and len(written[0]) >= 32  # a 3.x layout
    plan = import_file(store, Upload.from_path(emissions_csv), ImportOptions(task="text-classification",
                                                                          inferences=100))
    assert (plan.format, plan.rows_new) == ("codecarbon", 1)
    with store.session() as s:
        m = s.scalar(select(Measurement))
        run = s.scalar(select(MeasurementRepeat))
    row = written[0]
    # The figures are the file's: energy_consumed kWh for 100 inferences -> x 1e6 / 100 Wh per 1000.
    assert m.energy_kwh == pytest.approx(float(row["energy_consumed"]))
    assert m.wh_per_1k == pytest.approx(float(row["energy_consumed"]) * 1e4)
    assert m.cpu_energy_kwh == pytest.approx(float(row["cpu_energy"]))
    assert m.country_iso == "FRA" and m.duration_s == pytest.approx(float(row["duration"]))
    assert (m.cpu_method, m.ram_method, m.tier_total) == ("estimate", "estimate", "estimate")
    if float(row["gpu_energy"]) == 0:  # no GPU here: a CPU-only measurement, GPU not claimed
        assert m.gpu_energy_kwh is None and m.tier_gpu is None and m.hardware.endswith("(CPU only)")
    assert row["codecarbon_version"] in m.software
    assert run.energy_kwh == pytest.approx(m.energy_kwh)
