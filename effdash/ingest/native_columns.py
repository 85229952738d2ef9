"""The columnar fast path of the native CSV format, for large files.

The file is read in chunks by pandas' C parser as text, and each column is checked as a whole:
text columns by validating each *distinct* value with the same pydantic field as the row-by-row
path (``NativeRow``), numbers with vectorised finite/positive checks, the energy rules with array
arithmetic in the same order of operations as :func:`effdash.ingest.native._energy`. Rows are
stored with the same values and fingerprints as the row-by-row path would store. The reading and
checking run in a child process (:mod:`effdash.ingest.columns_worker`) while this one writes.

It is optimistic: at the first cell it does not accept (or a column it does not handle) it
raises :class:`Declined`, the transaction is rolled back, and the file is imported again row by
row, which names every bad row. Nothing from the file is evaluated.
"""

from __future__ import annotations

import marshal
import math
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
from pydantic import ValidationError
from sqlalchemy import func, select

from effdash.ingest.columns_worker import LENGTH
from effdash.ingest.loader import M_COLUMNS, ChunkWriter, Plan, measurement_values, preview_record
from effdash.ingest.native import NativeRow, parse_methods
from effdash.ingest.reading import FileInfo, Upload
from effdash.ingest.rows import Row, fingerprints
from effdash.schema import Measurement
from effdash.summary import NewSourceRows, batch_sums

#: Columns the fast path handles; a file with any other column goes row by row.
TEXT = ("model_id", "task", "hardware", "method", "dataset", "precision", "country_iso", "window", "basis")
FLOATS = ("wh_per_1k", "energy_kwh", "gpu_energy_kwh", "cpu_energy_kwh", "ram_energy_kwh")
INTS = ("inferences", "repeats", "batch_size")
HANDLED = frozenset(TEXT + FLOATS + INTS)
CHUNK = 50_000
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds the effdash package


class Declined(Exception):
    """The fast path does not handle this file (or a cell of it); import it row by row instead."""


def eligible(header: list[str], delimiter: str) -> bool:
    return delimiter != ";" and set(header) <= HANDLED and {"model_id", "task", "hardware"} <= set(header)


_TEMPLATE = NativeRow.model_construct(model_id="m", task="text-classification", hardware="h")


def _check_text(column: str, values: pd.Series) -> list:
    """Each distinct cell validated by NativeRow's own field (model config included); '' = not given."""
    mapping = {}
    for raw in values.unique():
        if raw == "" or raw.isspace():
            mapping[raw] = NativeRow.model_fields[column].get_default(call_default_factory=True)
            if column in ("model_id", "task", "hardware"):
                raise Declined(column)
            continue
        try:
            row = NativeRow.__pydantic_validator__.validate_assignment(_TEMPLATE.model_copy(), column, raw)
        except ValidationError:
            raise Declined(column) from None
        mapping[raw] = getattr(row, column)
    return [mapping[v] for v in values.tolist()]


def _numbers(values: pd.Series, integer: bool) -> np.ndarray:
    """Floats (NaN = not given); Declined for text that is not a finite positive number."""
    text = values.str.strip()
    given = text != ""
    if integer and not text[given].str.isdigit().all():
        raise Declined(values.name)
    nums = pd.to_numeric(text.where(given, None), errors="coerce").to_numpy(dtype=float)
    bad = given.to_numpy() & ~(np.isfinite(nums) & (nums > 0))
    if bad.any():
        raise Declined(values.name)
    return nums


def _py(arr: np.ndarray, integer: bool = False) -> list:
    """Python values (None for NaN), as the row-by-row path holds them."""
    if integer:
        return [None if v != v else int(v) for v in arr.tolist()]
    return [None if v != v else v for v in arr.tolist()]


def _energy(c: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(inferences, total kWh) by the rules of native._energy; Declined where a row breaks one."""
    nan = np.full(n, np.nan)
    energy, wh, inf = c.get("energy_kwh", nan), c.get("wh_per_1k", nan), c.get("inferences", nan)
    parts = [c.get(f"{k}_energy_kwh", nan) for k in ("gpu", "cpu", "ram")]
    if (~np.isnan(energy) & np.isnan(inf)).any():
        raise Declined("inferences")
    inferences = np.where(np.isnan(inf), 1000.0, inf)
    from_wh = wh * inferences / 1e6
    both = ~np.isnan(energy) & ~np.isnan(from_wh)
    if both.any() and not all(math.isclose(a, b, rel_tol=0.01) for a, b in zip(energy[both], from_wh[both])):
        raise Declined("wh_per_1k")
    total = np.where(np.isnan(energy), from_wh, energy)
    present = sum((~np.isnan(p)).astype(int) for p in parts)
    if (np.isnan(total) & (present == 0)).any():
        raise Declined("wh_per_1k")
    parts_sum = np.nansum(np.vstack(parts), axis=0) if parts else np.zeros(n)
    from_parts = np.where((present > 1) | np.isnan(parts[0]), parts_sum, np.nan)
    total_given = ~np.isnan(total)
    if (total_given & (parts_sum > total * 1.01)).any():
        raise Declined("energy_kwh")
    return inferences, np.where(total_given, total, np.where(present > 0, from_parts, np.nan))


def _methods(method: pd.Series | None, n: int) -> tuple[list, list, list]:
    if method is None:
        return ["unknown"] * n, ["unknown"] * n, ["unknown"] * n
    try:
        table = {m: parse_methods(m) for m in method.unique()}
    except ValueError:
        raise Declined("method") from None
    return ([table[m]["gpu"] for m in method], [table[m]["cpu"] for m in method], [table[m]["ram"] for m in method])


def columns_of(df: pd.DataFrame, hardware: str | None) -> dict[str, list]:
    """The chunk's normalised columns as Python lists (the values a Row would hold)."""
    n = len(df)
    nums = {c: _numbers(df[c], c in INTS) for c in FLOATS + INTS if c in df}
    text = {c: _check_text(c, df[c]) for c in TEXT if c in df}
    if "basis" in text and any(b != "total" for b in text["basis"]):
        raise Declined("basis")
    inferences, total = _energy(nums, n)
    gpu_m, cpu_m, ram_m = _methods(df["method"] if "method" in df else None, n)
    out = {
        "model_id": text["model_id"], "task": text["task"],
        "hardware": [hardware] * n if hardware else text["hardware"],
        "dataset": text["dataset"] if "dataset" in text else [""] * n,
        "window": text["window"] if "window" in text else ["inference"] * n,
        "inferences": [int(v) for v in inferences], "energy_kwh": _py(total),
        "repeats": _py(nums["repeats"], True) if "repeats" in nums else [1] * n,
        "batch_size": _py(nums["batch_size"], True) if "batch_size" in nums else [None] * n,
        "precision": text["precision"] if "precision" in text else [None] * n,
        "country_iso": text["country_iso"] if "country_iso" in text else [None] * n,
        "gpu_method": gpu_m, "cpu_method": cpu_m, "ram_method": ram_m,
    }
    out["repeats"] = [1 if r is None else r for r in out["repeats"]]
    for k in ("gpu", "cpu", "ram"):
        out[f"{k}_energy_kwh"] = _py(nums[f"{k}_energy_kwh"]) if f"{k}_energy_kwh" in nums else [None] * n
    return out


def with_tiers(c: dict[str, list]) -> dict[str, list]:
    """The columns with each row's tiers and its per-component methods as stored (see _tier)."""
    tiers = [_tier(g, cp, r, e, gm, cm, rm) for g, cp, r, e, gm, cm, rm in zip(
        c["gpu_energy_kwh"], c["cpu_energy_kwh"], c["ram_energy_kwh"], c["energy_kwh"],
        c["gpu_method"], c["cpu_method"], c["ram_method"])]
    return {**c, "tier_gpu": [t[0] for t in tiers], "tier_total": [t[1] for t in tiers],
            "gpu_method": [t[2] for t in tiers], "cpu_method": [t[3] for t in tiers],
            "ram_method": [t[4] for t in tiers]}


def row_at(c: dict[str, list], i: int, line: int) -> Row:
    return Row(line=line, **{k: v[i] for k, v in c.items() if k not in ("tier_gpu", "tier_total")})


def chunks(path: str, encoding: str, delimiter: str) -> Iterator[pd.DataFrame]:
    reader = pd.read_csv(path, sep=delimiter, dtype=object, keep_default_na=False, na_filter=False,
                         encoding=encoding, chunksize=CHUNK, skip_blank_lines=True, engine="c")
    with reader:
        for df in reader:
            df.columns = [h.strip().lstrip("\ufeff").strip().lower() for h in df.columns]
            yield df


def prepared_chunks(path: str, encoding: str, delimiter: str, hardware: str | None):
    """(columns, fingerprints, summary sums by model id) of each chunk of the file, checked; Declined
    at the first cell refused."""
    for df in chunks(path, encoding, delimiter):
        cols = columns_of(df, hardware)
        fps = fingerprints({**cols, "measured_at": [None] * len(df), "settings": [None] * len(df)})
        cols = with_tiers(cols)  # fingerprints of the methods as given, as the row-by-row path
        yield cols, fps, batch_sums(cols, model="model_id")


@contextmanager
def _on_disk(upload: Upload):
    """A path to the upload's bytes: its own file, or a temporary copy of bytes held in memory."""
    if upload.path is not None:
        yield upload.path
        return
    with tempfile.TemporaryDirectory(prefix="effdash-import-") as tmp:
        path = Path(tmp) / "upload"
        with upload.opener() as src, path.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        yield path


def _read_exact(stream, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise Declined("the parser process ended early")
    return data


def prepared_in_worker(upload: Upload, info: FileInfo, delimiter: str, hardware: str | None):
    """:func:`prepared_chunks` run by :mod:`effdash.ingest.columns_worker` in a child process, one
    chunk ahead of the caller (the pipe blocks it); the child is ended when the caller stops reading."""
    paths = (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    with _on_disk(upload) as path:
        proc = subprocess.Popen([sys.executable, "-m", "effdash.ingest.columns_worker", str(path), info.encoding,
                                 delimiter, *([hardware] if hardware else [])],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        try:
            while True:
                (size,) = LENGTH.unpack(_read_exact(proc.stdout, LENGTH.size))
                kind, *rest = marshal.loads(_read_exact(proc.stdout, size))
                if kind == "done":
                    return
                if kind == "declined":
                    raise Declined(rest[0])
                yield rest
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()


def load_columns(conn, plan: Plan, prepared: Iterator[tuple[dict, list, list]], *, source_pk: int,
                 hardware: str | None, progress=None, summary: NewSourceRows) -> int:
    """Loader for run_in_transaction: every chunk checked as columns (``prepared``, with ``hardware``
    applied there) and bulk inserted, its summary sums handed to ``summary``; 0 errors (any error
    raises Declined and the transaction is rolled back)."""
    writer = ChunkWriter(conn, source_pk, plan.file_name)
    line = 2
    with closing(prepared):  # ends the parser process however this loop ends
        for cols, fps, sums in prepared:
            n = len(fps)
            for i in range(min(n, 20 - len(plan.preview))):
                plan.preview.append(preview_record(row_at(cols, i, line + i)))
            _write(writer, plan, cols, fps, sums, summary)
            plan.rows_total += n
            line += n
            if progress:
                progress(plan.rows_new + plan.rows_duplicate)
    return 0


def _write(writer: ChunkWriter, plan: Plan, c: dict[str, list], fps: list[str], sums: list[tuple],
           summary: NewSourceRows) -> None:
    n = len(fps)
    pks = writer.ensure_models(set(c["model_id"]))
    # SQLite skips stored fingerprints in the insert itself (one index pass); elsewhere they are looked up first.
    skip_in_insert = writer.bulk.raw
    keep = None if skip_in_insert else _new_rows(writer, fps)
    if keep is not None:
        c = {k: [v[i] for i in keep] for k, v in c.items()}
        fps = [fps[i] for i in keep]
    values = {**c, "model_pk": [pks[m] for m in c["model_id"]], "fingerprint": fps, "source_pk": writer.source_pk,
              "created_at": writer.now_db}
    inserted = writer.bulk.run_columns([values.get(col) for col in M_COLUMNS], len(fps),
                                       skip_existing="fingerprint" if skip_in_insert else None)
    plan.rows_new += inserted
    plan.rows_duplicate += n - inserted
    last_id = writer.conn.execute(select(func.max(Measurement.id))).scalar() or 0
    if inserted == n:  # every row of the batch is in: its sums as the parser worked them out
        summary.add_sums(((*k[:5], pks[k[5]], *k[6:]) for k in sums), upto_id=last_id)
    else:  # which rows were skipped as duplicates is not known here: read this batch's rows back
        summary.read_back(writer.conn, upto_id=last_id)


_TIERS: dict = {}


def _tier(g, c, r, e, gm, cm, rm) -> tuple:
    """(tier_gpu, tier_total, gpu/cpu/ram method as stored) of one row, as measurement_values does."""
    key = (g is None, c is None, r is None, e is None, gm, cm, rm)
    if key not in _TIERS:
        row = Row(line=0, model_id="m", task="t", hardware="h", inferences=1, energy_kwh=e, gpu_energy_kwh=g,
                  cpu_energy_kwh=c, ram_energy_kwh=r, gpu_method=gm, cpu_method=cm, ram_method=rm)
        v = dict(zip(M_COLUMNS, measurement_values(row, 0, 0, "", None, None)))
        _TIERS[key] = (v["tier_gpu"], v["tier_total"], v["gpu_method"], v["cpu_method"], v["ram_method"])
    return _TIERS[key]


def _new_rows(writer: ChunkWriter, fps: list[str]) -> list[int] | None:
    """Indexes of rows not yet stored (nor earlier in the chunk); None when all are new."""
    seen = writer.existing(fps)
    if not seen and len(set(fps)) == len(fps):
        return None
    keep = []
    for i, fp in enumerate(fps):
        if fp not in seen:
            seen.add(fp)
            keep.append(i)
    return keep
