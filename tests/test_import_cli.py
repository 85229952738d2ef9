"""`effdash import` as a user runs it: exit codes, the one-screen report, no traceback; two imports
at once, and an import killed midway (real subprocesses on real databases)."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from effdash.schema import ImportBatch, Measurement
from effdash.store import Store

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "import"


def effdash(*args):
    return subprocess.run([sys.executable, "-m", "effdash", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def counts(db_url) -> tuple[int, int]:
    s = Store(db_url)
    try:
        with s.session() as session:
            return (session.scalar(select(func.count(Measurement.id))),
                    session.scalar(select(func.count(ImportBatch.id))))
    finally:
        s.dispose()


def write_native(path: Path, rows: int, prefix: str) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["model_id", "task", "hardware", "energy_kwh", "inferences", "method"])
        for i in range(rows):
            w.writerow([f"org/{prefix}-{i % 20}", "text-classification", "NVIDIA H100 80GB",
                        f"{0.001 + i * 1e-9:.12f}", 1000, "nvml_counter"])
    return path


def test_exit_0_and_report_on_success(db_url):
    proc = effdash("import", DATA / "text_generation.csv", "--db", db_url)
    assert proc.returncode == 0, proc.stderr
    assert "text_generation.csv: AI Energy Score leaderboard file, import #1" in proc.stdout
    assert "3 rows: 3 new, 0 duplicates skipped, 0 rejected" in proc.stdout


def test_exit_1_on_rejection_with_rows_named_and_no_traceback(db_url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("model_id,task,hardware,wh_per_1k\norg/m,text-classification,H100,-3\n")
    proc = effdash("import", bad, "--db", db_url)
    assert proc.returncode == 1
    assert "row 2, column 'wh_per_1k' (value '-3')" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len((proc.stdout + proc.stderr).splitlines()) < 25  # one screen
    assert counts(db_url) == (0, 0)


def test_several_files_one_refused(db_url, tmp_path):
    missing = tmp_path / "nope.csv"
    proc = effdash("import", DATA / "text_generation.csv", missing, DATA / "text_generation.csv", "--db", db_url)
    assert proc.returncode == 1
    assert "nope.csv: no such file" in proc.stderr
    assert "already imported" in proc.stderr  # the same file twice
    assert "1 of 3 files imported" in proc.stdout
    assert counts(db_url) == (3, 1)


def test_codecarbon_needs_task_then_imports(db_url):
    proc = effdash("import", DATA / "codecarbon_2.3_31col.csv", "--db", db_url)
    assert proc.returncode == 1 and "--task" in proc.stderr
    proc = effdash("import", DATA / "codecarbon_2.3_31col.csv", "--task", "fill-mask", "--inferences", "1000",
                   "--db", db_url)
    assert proc.returncode == 0 and "2 new" in proc.stdout and "project_name" in proc.stdout


def test_usage_error_exit_2(db_url):
    proc = effdash("import", DATA / "native_good.csv", "--format", "excel", "--db", db_url)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


def test_two_imports_at_once_both_land(store, db_url, tmp_path):
    """(``store`` migrates the database first: two processes migrating one new database at once is
    the store's concern, not the import's.)"""
    a = write_native(tmp_path / "a.csv", 15_000, "a")
    b = write_native(tmp_path / "b.csv", 15_000, "b")
    procs = [subprocess.Popen([sys.executable, "-m", "effdash", "import", str(p), "--db", db_url], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in (a, b)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert counts(db_url) == (30_000, 2)


def parser_processes(path) -> list[int]:
    """Running (not zombie) parser processes of this file (effdash.ingest.columns_worker)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if b"effdash.ingest.columns_worker" in cmdline and str(path).encode() in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def test_killed_mid_import_leaves_nothing(db_url, tmp_path):
    path = write_native(tmp_path / "big.csv", 60_000, "k")
    proc = subprocess.Popen([sys.executable, "-m", "effdash", "import", str(path), "--progress", "--db", db_url],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()  # printed after the first chunk is written inside the transaction
    assert "rows written" in line, line
    assert parser_processes(path), "a file this large is parsed in a process of its own"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while parser_processes(path) and time.monotonic() < deadline:  # its next write fails: it ends
        time.sleep(0.2)
    assert parser_processes(path) == []
    assert counts(db_url) == (0, 0)
    again = effdash("import", path, "--db", db_url)  # the file is not 'already imported'
    assert again.returncode == 0, again.stderr
    assert counts(db_url) == (60_000, 1)
