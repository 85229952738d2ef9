"""Scale: the Compare page and the recommendation query at 1,000 and at 1,000,000 measurements.

    .venv/bin/python benchmarks/scale.py                # builds both databases in a temp folder
    .venv/bin/python benchmarks/scale.py --keep /tmp/sc # keep (and reuse) the built databases

Builds two SQLite databases with SQLAlchemy Core bulk inserts (executemany of plain tuples):
  small: 100 models x 10 measurements = 1,000 measurements
  large: 100,000 models x 10 measurements = 1,000,000 measurements
Models are spread round-robin over every task effdash knows; each model is measured on two of
four GPUs, 5 datasets each (GPU counter + CPU/RAM estimates), and has one accuracy score.

Then, in this one run, times on both:
  - the recommendation query, effdash.compare.compare(), as the CLI calls it (group chosen by
    the library, complete lists), as the Compare page calls it (group given, complete=False: the
    lists cut to the shown candidates) and with the group given and complete lists (the CSV);
  - the Compare page rerun in Streamlit's AppTest with a warm cache (median of the reruns
    after the first).
and prints the ratios. Targets: page rerun at 1M <= 3 x the rerun at 1k; recommendation
(page path) at 1M < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from effdash.schema import Measurement, Model, QualityScore, Source  # noqa: E402
from effdash.store import Store  # noqa: E402
from effdash.summary import refresh_energy_summary  # noqa: E402
from effdash.tasks import TASKS  # noqa: E402

GPUS = ("NVIDIA A100-SXM4-80GB", "NVIDIA H100 80GB HBM3", "NVIDIA L4", "NVIDIA T4")
DATASETS = ("bench-a", "bench-b", "bench-c", "bench-d", "bench-e")
PER_MODEL = 2 * len(DATASETS)  # 10 measurements per model
CHUNK = 50_000
TASK = "text-classification"
THRESHOLD = 0.6  # low enough that the small database has a recommendation too (like for like)


def _raw_insert(conn, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    sql = str(insert(table).compile(dialect=conn.dialect, column_keys=list(columns)))
    for i in range(0, len(rows), CHUNK):
        conn.exec_driver_sql(sql, rows[i:i + CHUNK])


def build(path: Path, models: int, seed: int = 7) -> None:
    """A migrated SQLite database with ``models`` models and 10 measurements each."""
    rng = random.Random(seed)
    store = Store(f"sqlite:///{path}")
    now = datetime(2026, 1, 1, tzinfo=timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    tasks = list(TASKS)
    with store.engine.begin() as conn:
        _raw_insert(conn, Source.__table__, ("id", "kind", "citation", "created_at"),
                    [(1, "published", "scale benchmark (synthetic)", now)])
        _raw_insert(conn, Model.__table__, ("id", "model_id", "parameters", "parameters_derived", "created_at"),
                    [(i + 1, f"bench/model-{i:06d}", rng.randint(5, 5000) * 1_000_000, 0, now) for i in range(models)])
        _raw_insert(conn, QualityScore.__table__,
                    ("model_pk", "task", "dataset", "split", "metric", "value", "scale_max", "higher_is_better",
                     "slice", "source_pk", "created_at"),
                    [(i + 1, tasks[i % len(tasks)], "bench-a", "", "accuracy", rng.uniform(0.5, 0.99), 1.0, 1, "", 1, now)
                     for i in range(models)])
        cols = ("model_pk", "task", "dataset", "inferences", "repeats", "energy_kwh", "gpu_energy_kwh",
                "cpu_energy_kwh", "ram_energy_kwh", "hardware", "gpu_method", "cpu_method", "ram_method",
                "tier_gpu", "tier_total", "window", "source_pk", "created_at")
        rows = []
        for i in range(models):
            size = rng.uniform(0.2, 20.0)
            for g in (i % len(GPUS), (i + 1) % len(GPUS)):
                for d in DATASETS:
                    gpu = size * rng.uniform(0.8, 1.2) * 1e-3
                    cpu, ram = gpu * 0.2, gpu * 0.05
                    rows.append((i + 1, tasks[i % len(tasks)], d, 1000, 3, gpu + cpu + ram, gpu, cpu, ram, GPUS[g],
                                 "nvml_counter", "estimate", "estimate", "counter", "estimate", "inference", 1, now))
            if len(rows) >= CHUNK:
                _raw_insert(conn, Measurement.__table__, cols, rows)
                rows = []
        _raw_insert(conn, Measurement.__table__, cols, rows)
        refresh_energy_summary(conn, range(1, models + 1))  # like every writer, in the same transaction
    with store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    store.dispose()


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def time_recommendation(url: str, runs: int) -> tuple[float, float, float, str]:
    """(ms with the group chosen by the library (CLI), ms with the group given and the lists cut (the
    page), ms with the group given and complete lists (the CSV download), recommended model)."""
    from effdash.compare import compare

    store = Store(url)
    ask = dict(task=TASK, threshold=THRESHOLD, metric="accuracy")
    with store.session() as s:
        first = compare(s, **ask)
        chosen_ms = median_ms(lambda: compare(s, **ask), runs)
        given_ms = median_ms(lambda: compare(s, **ask, group=first.group, complete=False), runs)
        complete_ms = median_ms(lambda: compare(s, **ask, group=first.group), runs)
        page = compare(s, **ask, group=first.group, complete=False)
    store.dispose()
    rec = first.result.recommended
    assert page.result.recommended == rec, "the page and the CLI must recommend the same model"
    return chosen_ms, given_ms, complete_ms, rec.model_id if rec else "none"


def time_page(url: str, runs: int) -> tuple[float, float]:
    """(first run ms, median warm rerun ms) of the Compare page in AppTest."""
    from streamlit.testing.v1 import AppTest

    os.environ["EFFDASH_DATABASE_URL"] = url
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.query_params["task"] = TASK
    at.query_params["metric"] = "accuracy|bench-a||"
    at.query_params["min"] = f"{THRESHOLD:.2f}"
    t0 = time.perf_counter()
    at.run()
    first_ms = (time.perf_counter() - t0) * 1000
    if at.exception:
        raise SystemExit(f"the Compare page failed on {url}: {at.exception[0].message}")
    warm = median_ms(at.run, runs)
    return first_ms, warm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="folder to keep the databases in (reused when present)")
    parser.add_argument("--large-models", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="effdash-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, models in (("1k", 100), ("1M", args.large_models)):
        path = folder / f"scale-{models}.db"
        if not path.exists():
            t0 = time.perf_counter()
            build(path, models)
            print(f"built {name}: {models:,} models, {models * PER_MODEL:,} measurements "
                  f"in {time.perf_counter() - t0:.1f} s ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
        url = f"sqlite:///{path}"
        chosen_ms, given_ms, complete_ms, rec = time_recommendation(url, args.runs)
        first_ms, warm_ms = time_page(url, args.runs)
        results[name] = (chosen_ms, given_ms, first_ms, warm_ms, complete_ms)
        print(f"{name:>3}: recommendation {given_ms:8.1f} ms (group given, as the page) "
              f"{complete_ms:8.1f} ms (group given, complete lists) "
              f"{chosen_ms:8.1f} ms (group chosen, as the CLI) -> {rec}; "
              f"page first run {first_ms:8.0f} ms, warm rerun {warm_ms:8.1f} ms", flush=True)
    small, large = results["1k"], results["1M"]
    print(f"page rerun 1M / 1k = {large[3] / small[3]:.2f} (target <= 3)")
    print(f"recommendation at 1M (group given) = {large[1]:.1f} ms (target < 50 ms); "
          f"ratio to 1k {large[1] / small[1]:.1f}")
    print(f"recommendation at 1M (group given, complete lists) = {large[4]:.1f} ms; ratio to 1k {large[4] / small[4]:.1f}")
    print(f"recommendation at 1M (group chosen) = {large[0]:.1f} ms; ratio to 1k {large[0] / small[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
