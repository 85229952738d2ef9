"""Import speed: `effdash import` of a 1,000,000-row native CSV vs a naive pandas load.

Writes the CSV, then in the same run times, each in a fresh subprocess and a fresh SQLite file:
  (a) `python -m effdash import FILE --db sqlite:///...` (validated, normalised, one transaction)
  (b) `pandas.read_csv(FILE).to_sql(...)` into SQLite (no validation at all)
and prints both times, the ratio (a)/(b) (target <= 1.0) and each run's peak memory (a process and
its children together: effdash parses large files in a child process). For the
record it also times (c), the storage floor: only the INSERT of rows prepared beforehand (model keys
and fingerprints worked out, nothing validated) into effdash's measurements table, with its indexes,
by bare sqlite3 executemany; no import that keeps those indexes can beat (c).

    .venv/bin/python benchmarks/import_speed.py            # 1,000,000 rows
    .venv/bin/python benchmarks/import_speed.py --rows 100000
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["model_id", "task", "hardware", "energy_kwh", "inferences", "gpu_energy_kwh", "cpu_energy_kwh",
          "ram_energy_kwh", "method", "dataset", "batch_size", "country_iso"]
TASKS = ["text-classification", "question-answering", "summarization", "image-classification"]

BASELINE = """
import sqlite3, sys
import pandas as pd
df = pd.read_csv(sys.argv[1])
with sqlite3.connect(sys.argv[2]) as conn:
    df.to_sql("measurements", conn, index=False)
"""


FLOOR = """
import hashlib, sqlite3, sys, time
import pandas as pd
from effdash.store import Store

Store("sqlite:///" + sys.argv[2]).dispose()  # effdash's schema, migrated to head
df = pd.read_csv(sys.argv[1], dtype={"batch_size": "Int64"})
codes, models = pd.factorize(df["model_id"])
con = sqlite3.connect(sys.argv[2], isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=NORMAL")
con.execute("PRAGMA cache_size=-65536")  # as effdash import sets it
con.execute("INSERT INTO sources (kind, citation, created_at) VALUES ('imported', 'floor', '2026-01-01')")
con.executemany("INSERT INTO models (id, model_id, parameters_derived, created_at) VALUES (?, ?, 0, '2026-01-01')",
                [(i + 1, m) for i, m in enumerate(models)])
cols = ["task", "dataset", "energy_kwh", "gpu_energy_kwh", "cpu_energy_kwh", "ram_energy_kwh", "batch_size"]
rows = [(int(pk) + 1, *(None if v != v else v for v in r), hashlib.sha256(repr(r).encode()).hexdigest())
        for pk, r in zip(codes, df[cols].astype(object).itertuples(index=False, name=None))]
sql = ("INSERT INTO measurements (model_pk, task, dataset, energy_kwh, gpu_energy_kwh, cpu_energy_kwh, "
       "ram_energy_kwh, batch_size, fingerprint, inferences, repeats, hardware, gpu_method, cpu_method, ram_method, "
       "tier_gpu, tier_total, window, country_iso, source_pk, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1000, 1, "
       "'NVIDIA A100-SXM4-80GB', 'nvml_counter', 'estimate', 'estimate', 'counter', 'estimate', 'inference', 'FRA', 1, "
       "'2026-01-01 00:00:00.000000')")
start = time.perf_counter()
con.execute("BEGIN IMMEDIATE")
for i in range(0, len(rows), 50_000):
    con.executemany(sql, rows[i:i + 50_000])
con.execute("COMMIT")
print(time.perf_counter() - start)
"""


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(rows):
            gpu, cpu, ram = rng.uniform(1e-4, 5e-3), rng.uniform(1e-5, 5e-4), rng.uniform(1e-5, 5e-4)
            w.writerow([f"org{i % 50}/model-{i % 1000}", TASKS[i % 4], "NVIDIA A100-SXM4-80GB",
                        f"{gpu + cpu + ram:.9g}", 1000, f"{gpu:.9g}", f"{cpu:.9g}", f"{ram:.9g}",
                        "gpu=nvml_counter;cpu=estimate;ram=estimate", f"dataset-{i % 7}", 1 + i % 8, "FRA"])


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (effdash parses large files in a child)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return _rss_mb(pid) + sum(_rss_mb(int(c)) for c in children)


def run(cmd: list[str]) -> tuple[float, float, int]:
    """(seconds, peak resident memory in MB of the process and its children together, sampled every
    50 ms, or the kernel's peak of the largest of them where /proc is missing, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_rss_mb(proc.pid))
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if status:
        print(err, file=sys.stderr)
    return elapsed, peak or usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "measurements.csv"
        write_csv(path, args.rows)
        print(f"{args.rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB CSV")
        ours, ours_mb, rc = run([sys.executable, "-m", "effdash", "import", str(path),
                                 "--db", f"sqlite:///{tmp / 'effdash.db'}"])
        if rc:
            print(f"effdash import failed (exit {rc})")
            return 1
        base, base_mb, rc = run([sys.executable, "-c", BASELINE, str(path), str(tmp / "naive.db")])
        if rc:
            print(f"baseline failed (exit {rc})")
            return 1
        floor = subprocess.run([sys.executable, "-c", FLOOR, str(path), str(tmp / "floor.db")], cwd=ROOT,
                               capture_output=True, text=True)
        if floor.returncode:
            print(floor.stderr, file=sys.stderr)
            print(f"storage floor failed (exit {floor.returncode})")
            return 1
        floor_s = float(floor.stdout.split()[-1])
    print(f"effdash import (validated): {ours:7.2f} s, peak memory {ours_mb:6.0f} MB")
    print(f"pandas read_csv + to_sql  : {base:7.2f} s, peak memory {base_mb:6.0f} MB")
    print(f"ratio effdash / naive     : {ours / base:7.2f}  (target <= 1.0)")
    print(f"storage floor (c)         : {floor_s:7.2f} s = {floor_s / base:.2f} x naive: the INSERT alone into "
          "effdash's indexed table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
