"""The transactional loader: one file = one transaction, bulk inserts in chunks.

Policy for overlapping rows: a row whose fingerprint (see :meth:`Row.fingerprint`) is already in
the database, or earlier in the same file, is a duplicate: it is skipped and counted, and the
stored row is kept unchanged (first import wins). A file whose content hash was imported
before is refused as a whole.
"""

from __future__ import annotations

import time
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from effdash.ingest.bulk import BulkInsert, in_background
from effdash.ingest.errors import DuplicateFile, InvalidUpload, RowError
from effdash.ingest.rows import Row, fingerprints, rows_as_columns
from effdash.records import measurement_tiers
from effdash.schema import ImportBatch, Measurement, MeasurementRepeat, Model, QualityScore, Source
from effdash.summary import NewSourceRows

CHUNK_ROWS = 10_000
LOOKUP_SLICE = 5_000
KEPT_ERRORS = 1_000
PREVIEW_ROWS = 20
LOCK_WAIT_S = 600
SQLITE_CACHE_KIB = 65_536

M, R, Q = Measurement.__table__, MeasurementRepeat.__table__, QualityScore.__table__


@dataclass
class Plan:
    """What an import did (or, for a dry run, would do)."""

    file_name: str
    format: str
    label: str
    sha256: str
    rows_total: int = 0
    rows_new: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    quality_new: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = False


def begin_write(conn: Connection) -> None:
    """Take the write lock up front so that concurrent imports queue instead of failing midway."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            if conn.dialect.name == "sqlite":
                # A page cache that holds the indexes a large import updates (64 MB, this connection only).
                conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif conn.dialect.name == "postgresql":
                conn.execute(text("LOCK TABLE import_batches IN SHARE ROW EXCLUSIVE MODE"))
            return
        except OperationalError as exc:
            if "locked" not in str(exc.orig) or time.monotonic() > deadline:
                raise
            conn.rollback()


@lru_cache(maxsize=256)
def _tiers(gpu_method, cpu_method, ram_method, components, has_gpu: bool, has_total: bool):
    """(tier_gpu, tier_total) of a row, via records.measurement_tiers; None where that figure is absent."""
    tier_gpu, tier_total = measurement_tiers(gpu_method, cpu_method, ram_method, components)
    return (tier_gpu if has_gpu else None, tier_total if has_total else None)


#: The Measurement columns an import sets, in the order of :func:`measurement_values`.
M_COLUMNS = (
    "model_pk", "task", "dataset", "inferences", "repeats", "energy_kwh", "gpu_energy_kwh", "cpu_energy_kwh",
    "ram_energy_kwh", "std_energy_kwh", "std_gpu_energy_kwh", "duration_s", "batch_size", "precision", "hardware",
    "gpu_model", "gpu_count", "cpu_model", "cpu_count", "ram_gb", "gpu_method", "cpu_method", "ram_method",
    "tier_gpu", "tier_total", "window", "country_iso", "region", "carbon_intensity_g_per_kwh", "software",
    "settings", "source_stars", "source_class", "fingerprint", "notes", "measured_at", "source_pk", "created_at",
)


def measurement_values(row: Row, model_pk: int, source_pk: int, fingerprint: str, now, measured_at) -> tuple:
    """One Measurement row as a tuple in M_COLUMNS order (times already converted for the driver)."""
    comps = row.components
    tier_gpu, tier_total = _tiers(row.gpu_method, row.cpu_method, row.ram_method, comps,
                                  row.gpu_energy_kwh is not None, row.energy_kwh is not None)
    return (
        model_pk, row.task, row.dataset, row.inferences, row.repeats, row.energy_kwh, row.gpu_energy_kwh,
        row.cpu_energy_kwh, row.ram_energy_kwh, row.std_energy_kwh, row.std_gpu_energy_kwh, row.duration_s,
        row.batch_size, row.precision, row.hardware, row.gpu_model, row.gpu_count, row.cpu_model, row.cpu_count,
        row.ram_gb, row.gpu_method if "gpu" in comps else None, row.cpu_method if "cpu" in comps else None,
        row.ram_method if "ram" in comps else None, tier_gpu, tier_total, row.window, row.country_iso, row.region,
        row.carbon_intensity_g_per_kwh, row.software, row.settings, row.source_stars, row.source_class,
        fingerprint, row.notes, measured_at, source_pk, now,
    )


def preview_record(row: Row) -> dict:
    """A normalised row as the user sees it before importing."""
    q = row.quality[0] if row.quality else None
    return {
        "row": row.line, "model": row.model_id, "task": row.task, "hardware": row.hardware,
        "Wh per 1000 (total)": row.wh_per_1k, "Wh per 1000 (GPU)": row.gpu_wh_per_1k,
        "GPU kWh": row.gpu_energy_kwh, "CPU kWh": row.cpu_energy_kwh, "RAM kWh": row.ram_energy_kwh,
        "inferences": row.inferences, "repeats": row.repeats, "window": row.window,
        "methods": "/".join(f"{c}:{getattr(row, c + '_method')}" for c in row.components),
        "quality": f"{q.metric} {q.value:g} on {q.dataset}" if q else "", "stars (source)": row.source_stars,
    }


class ChunkWriter:
    """Writes one file's rows inside one open transaction."""

    def __init__(self, conn: Connection, source_pk: int, file_name: str):
        self.conn, self.source_pk, self.file_name = conn, source_pk, file_name
        self.now = datetime.now(timezone.utc)
        self.bulk = BulkInsert(conn, M, M_COLUMNS)
        self.now_db = self.bulk.convert_datetime("created_at", self.now)
        self.models: dict[str, int] = {}
        self.quality: dict[tuple, tuple[float, int]] = {}

    def model_pk(self, row: Row) -> int:
        pk = self.models.get(row.model_id)
        if pk is None:
            found = self.conn.execute(select(Model.id, Model.parameters).where(Model.model_id == row.model_id)).first()
            if found is None:
                pk = self.conn.execute(insert(Model).values(
                    model_id=row.model_id, parameters=row.parameters, created_at=self.now,
                    parameters_source=f"imported from {self.file_name}" if row.parameters else None,
                )).inserted_primary_key[0]
            else:
                pk = found.id
                if found.parameters is None and row.parameters:
                    self.conn.execute(update(Model).where(Model.id == pk).values(
                        parameters=row.parameters, parameters_source=f"imported from {self.file_name}"))
            self.models[row.model_id] = pk
        return pk

    def ensure_models(self, model_ids: set[str]) -> dict[str, int]:
        """Primary keys of these models, creating the missing ones, in three statements."""
        missing = [m for m in model_ids if m not in self.models]
        if missing:
            found = dict(self.conn.execute(select(Model.model_id, Model.id).where(Model.model_id.in_(missing))).all())
            new = [m for m in missing if m not in found]
            if new:
                self.conn.execute(insert(Model), [{"model_id": m, "created_at": self.now} for m in new])
                found.update(self.conn.execute(select(Model.model_id, Model.id).where(Model.model_id.in_(new))).all())
            self.models.update(found)
        return self.models

    def existing(self, fingerprints: list[str]) -> set[str]:
        """Which of these fingerprints are stored already (including earlier chunks of this file)."""
        found: set[str] = set()
        for i in range(0, len(fingerprints), LOOKUP_SLICE):
            part = fingerprints[i:i + LOOKUP_SLICE]
            if self.bulk.raw:
                sql = f"SELECT fingerprint FROM measurements WHERE fingerprint IN ({','.join('?' * len(part))})"
                found.update(r[0] for r in self.conn.exec_driver_sql(sql, tuple(part)))
            else:
                found.update(self.conn.scalars(select(Measurement.fingerprint)
                                               .where(Measurement.fingerprint.in_(part))))
        return found

    def write(self, chunk: list[Row], fps: list[str], errors: list[RowError]) -> tuple[int, int]:
        """Insert a chunk; returns (new, duplicates). Conflicting quality figures become row errors."""
        skip = self.existing(fps)
        with_parameters = {r.model_id for r in chunk if r.parameters}
        self.ensure_models({r.model_id for r in chunk} - with_parameters)  # the rest one by one (may set parameters)
        params, runs = [], []
        for row, fp in zip(chunk, fps):
            if fp in skip:
                continue
            skip.add(fp)
            measured_at = self.bulk.convert_datetime("measured_at", row.measured_at)
            params.append(measurement_values(row, self.model_pk(row), self.source_pk, fp, self.now_db, measured_at))
            if row.per_run:
                runs.append((fp, row))
            self._quality(row, errors)
        self.bulk.run(params)
        if runs:
            self._repeats(runs)
        return len(params), len(chunk) - len(params)

    def _repeats(self, runs: list[tuple[str, Row]]) -> None:
        ids = dict(self.conn.execute(select(Measurement.fingerprint, Measurement.id)
                                     .where(Measurement.fingerprint.in_([fp for fp, _ in runs]))).all())
        self.conn.execute(insert(R), [{
            "measurement_pk": ids[fp], "repeat_index": 0, "energy_kwh": r.energy_kwh,
            "gpu_energy_kwh": r.gpu_energy_kwh, "cpu_energy_kwh": r.cpu_energy_kwh,
            "ram_energy_kwh": r.ram_energy_kwh, "duration_s": r.duration_s, "started_at": r.measured_at,
            "origin": r.origin,
        } for fp, r in runs])

    def _quality(self, row: Row, errors: list[RowError]) -> None:
        for q in row.quality:
            key = (self.models[row.model_id], row.task, q.dataset, q.metric, q.slice)
            seen = self.quality.get(key)
            if seen is None:
                self.quality[key] = (q.value, row.line)
            elif seen[0] != q.value:
                errors.append(RowError(row.line, "quality_value", f"{q.value:g}", f"conflicts with {seen[0]:g} for "
                                       f"the same model, task, dataset and metric in row {seen[1]}"))

    def finish_quality(self) -> int:
        params = [{
            "model_pk": k[0], "task": k[1], "dataset": k[2], "split": "", "metric": k[3], "value": v[0],
            "scale_max": 1.0, "higher_is_better": True, "slice": k[4], "source_pk": self.source_pk,
            "created_at": self.now,
        } for k, v in self.quality.items()]
        if params:
            self.conn.execute(insert(Q), params)
        return len(params)


def refuse_duplicate_file(conn: Connection, name: str, sha256: str) -> None:
    batch = conn.execute(select(ImportBatch.id, ImportBatch.file_name, ImportBatch.imported_at)
                         .where(ImportBatch.content_sha256 == sha256)).first()
    if batch is not None:
        raise DuplicateFile(name, f"this file was already imported (same content, SHA-256 {sha256[:12]}…) as "
                                  f"{batch.file_name!r}, import #{batch.id} on {batch.imported_at:%Y-%m-%d %H:%M}. "
                                  "Nothing was imported again.")


def open_batch(conn: Connection, plan: Plan) -> int:
    """The ImportBatch and its Source (kind 'imported'); returns the source's primary key."""
    now = datetime.now(timezone.utc)
    batch_id = conn.execute(insert(ImportBatch).values(
        file_name=plan.file_name, format=plan.format, content_sha256=plan.sha256, imported_at=now,
    )).inserted_primary_key[0]
    plan.batch_id = batch_id
    citation = (f"Imported from {plan.file_name} ({plan.label}; SHA-256 {plan.sha256[:12]}) "
                f"on {now:%Y-%m-%d %H:%M} UTC, import #{batch_id}")
    return conn.execute(insert(Source).values(
        kind="imported", citation=citation, path=plan.file_name, import_batch_id=batch_id, created_at=now,
    )).inserted_primary_key[0]


def close_batch(conn: Connection, plan: Plan) -> None:
    conn.execute(update(ImportBatch).where(ImportBatch.id == plan.batch_id).values(
        rows_total=plan.rows_total, rows_imported=plan.rows_new, rows_duplicate=plan.rows_duplicate,
        rows_rejected=plan.rows_rejected))


class _Rejections:
    """Row errors of one file: all counted, the first KEPT_ERRORS kept for the report."""

    def __init__(self):
        self.kept: list[RowError] = []
        self.count = 0
        self.rows: set[int] = set()

    def add(self, err: RowError) -> None:
        self.count += 1
        self.rows.add(err.row if err.row is not None else -1)
        if len(self.kept) < KEPT_ERRORS:
            self.kept.append(err)


@dataclass
class _Batch:
    """A run of parsed rows (with their fingerprints) and row errors, in file order."""

    rows: list[Row] = field(default_factory=list)
    fingerprints: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows) + len(self.errors)


def _batches(rows: Iterable[Row | RowError], hardware: str | None) -> Iterator[_Batch]:
    batch = _Batch()
    for item in rows:
        if isinstance(item, RowError):
            batch.errors.append(item)
        else:
            if hardware:
                item.hardware = hardware
            batch.rows.append(item)
        if len(batch) >= CHUNK_ROWS:
            yield _fingerprinted(batch)
            batch = _Batch()
    if len(batch):
        yield _fingerprinted(batch)


def _fingerprinted(batch: _Batch) -> _Batch:
    batch.fingerprints = fingerprints(rows_as_columns(batch.rows)) if batch.rows else []
    return batch


def load_rows(conn: Connection, plan: Plan, rows: Iterable[Row | RowError], *, source_pk: int,
              hardware: str | None, progress: Callable[[int], None] | None, summary: NewSourceRows) -> int:
    """Stream rows into the open transaction, chunk by chunk; returns the number of errors. The rows'
    summary sums are read back from the table at the end (``summary`` is left as it is)."""
    writer = ChunkWriter(conn, source_pk, plan.file_name)
    rejected = _Rejections()
    valid = 0
    for batch in in_background(_batches(rows, hardware)):
        for err in batch.errors:
            rejected.add(err)
        valid += len(batch.rows)
        for row in batch.rows[:PREVIEW_ROWS - len(plan.preview)]:
            plan.preview.append(preview_record(row))
        if batch.rows:
            _write(writer, plan, batch, rejected, progress)
    plan.quality_new = writer.finish_quality()
    plan.rows_rejected = len(rejected.rows)
    plan.rows_total = valid + len(rejected.rows - {-1})
    plan.errors = rejected.kept
    return rejected.count


def _write(writer: ChunkWriter, plan: Plan, batch: _Batch, rejected: _Rejections, progress) -> None:
    conflicts: list[RowError] = []
    new, dup = writer.write(batch.rows, batch.fingerprints, conflicts)
    for err in conflicts:
        rejected.add(err)
    plan.rows_new += new
    plan.rows_duplicate += dup
    if progress:
        progress(plan.rows_new + plan.rows_duplicate)


def run_in_transaction(engine, plan: Plan, rows, *, valid_rows_only: bool, dry_run: bool,
                       hardware: str | None = None, progress=None, loader=None) -> Plan:
    """Import ``rows`` as one transaction: committed only if every row is valid (or the user chose
    to import the valid rows only) and this is not a dry run; otherwise rolled back.
    ``loader`` replaces :func:`load_rows` (same signature), e.g. the columnar native loader, which
    hands the summary sums of what it inserts to ``summary`` as it goes."""
    with engine.connect() as conn:
        begin_write(conn)
        try:
            refuse_duplicate_file(conn, plan.file_name, plan.sha256)
            source_pk = open_batch(conn, plan)
            summary = NewSourceRows(conn, source_pk)
            n_errors = (loader or load_rows)(conn, plan, rows, source_pk=source_pk, hardware=hardware,
                                             progress=progress, summary=summary)
            _check_outcome(plan, n_errors, valid_rows_only, dry_run)
            if dry_run:
                conn.rollback()
                plan.batch_id = None
                return plan
            summary.fold(conn)
            close_batch(conn, plan)
            conn.commit()
        except IntegrityError as exc:
            conn.rollback()
            if "content_sha256" in str(exc.orig):
                refuse_again = DuplicateFile(plan.file_name, "this file was imported by another session at the "
                                                             "same time. Nothing was imported again.")
                raise refuse_again from None
            raise
        except BaseException:
            conn.rollback()
            raise
        finally:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA cache_size=-2000")  # SQLite's default, for the pooled connection
    return plan


def _check_outcome(plan: Plan, n_errors: int, valid_rows_only: bool, dry_run: bool) -> None:
    if plan.rows_total == 0:
        raise InvalidUpload(plan.file_name, "the file has a header but no data rows. Nothing was imported.")
    if plan.rows_rejected and (plan.rows_new + plan.rows_duplicate == 0 and not dry_run):
        raise InvalidUpload(plan.file_name, f"every row was rejected ({plan.rows_rejected}). Nothing was imported.",
                            plan.errors, n_errors)
    if plan.rows_rejected and not valid_rows_only and not dry_run:
        raise InvalidUpload(plan.file_name, f"{plan.rows_rejected} of {plan.rows_total} rows rejected, so nothing "
                            "was imported (each file is all-or-nothing). Fix these rows, or import only the valid "
                            "rows with --valid-rows-only:", plan.errors, n_errors)
