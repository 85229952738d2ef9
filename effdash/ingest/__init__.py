"""Import of measurement files: detect the format, parse and validate every row into effdash's
own terms, then store the file as one transaction (all-or-nothing unless the user chose to import
only the valid rows).

    from effdash.ingest import ImportOptions, Upload, import_file
    plan = import_file(store, Upload.from_path("emissions.csv"), ImportOptions(task="text-classification",
                       inferences=1000))
"""

from __future__ import annotations

import functools
import importlib
from typing import Callable

from effdash.ingest.detect import FORMATS, check_format, detect_csv, detect_json, unknown_format
from effdash.ingest.errors import DuplicateFile, InvalidUpload, RowError
from effdash.ingest.loader import Plan, run_in_transaction
from effdash.ingest.reading import DEFAULT_MAX_BYTES, FileInfo, Upload, inspect, load_json
from effdash.ingest.rows import ImportOptions, Parsed, Row
from effdash.ingest.table import open_table

__all__ = [
    "FORMATS", "DEFAULT_MAX_BYTES", "DuplicateFile", "ImportOptions", "InvalidUpload", "Plan", "Row", "RowError",
    "Upload", "detect_format", "import_file", "parse_upload", "plan_file",
]

_JSON_FORMATS = ("optimum-benchmark", "mlenergy")


_MODULES = {"native": "native", "codecarbon": "codecarbon", "aienergyscore": "aienergyscore",
            "optimum-benchmark": "optimum", "mlenergy": "mlenergy"}


def _parser(fmt: str):
    return importlib.import_module(f"effdash.ingest.{_MODULES[fmt]}").parse


def parse_upload(upload: Upload, info: FileInfo, options: ImportOptions) -> Parsed:
    """Detect (or take the user's) format and return the parser's stream of rows."""
    fmt = check_format(options.format)
    if info.is_json:
        data = load_json(upload, info)
        fmt = fmt or detect_json(data)
        if fmt is None:
            raise unknown_format(info.name, "JSON file")
        if fmt not in _JSON_FORMATS:
            raise InvalidUpload(info.name, f"this is a JSON file, but the {fmt} format is CSV.")
        return _parser(fmt)(data, info, options)
    table = open_table(upload, info)
    fmt = fmt or detect_csv(table.header)
    if fmt is None:
        raise unknown_format(info.name, f"CSV file (its header reads: {', '.join(table.header)[:200]})")
    if fmt in _JSON_FORMATS:
        raise InvalidUpload(info.name, f"this is a CSV file, but the {fmt} format is JSON.")
    return _parser(fmt)(table, options)


def detect_format(upload: Upload, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
    """The detected format of a file, or None when it cannot be told (never raises for unknown formats)."""
    info = inspect(upload, max_bytes)
    if info.is_json:
        return detect_json(load_json(upload, info))
    return detect_csv(open_table(upload, info).header)


def import_file(store, upload: Upload, options: ImportOptions | None = None, *, dry_run: bool = False,
                progress: Callable[[int], None] | None = None) -> Plan:
    """Import one file as one transaction; raises InvalidUpload (nothing stored) when it is refused.

    With ``dry_run`` the same work is done and rolled back: the returned plan says how many rows
    are new, duplicates or rejected, with the reasons and a preview of the normalised rows.
    """
    options = options or ImportOptions()
    info = inspect(upload, options.max_bytes or DEFAULT_MAX_BYTES)
    parsed = parse_upload(upload, info, options)
    run = functools.partial(run_in_transaction, store.engine, valid_rows_only=options.valid_rows_only,
                            dry_run=dry_run, hardware=options.hardware, progress=progress)
    if _columnar(parsed, info):
        from effdash.ingest import native_columns

        try:
            return run(_plan(info, parsed, dry_run),
                       native_columns.prepared_in_worker(upload, info, parsed.delimiter, options.hardware),
                       loader=native_columns.load_columns)
        except native_columns.Declined:  # a cell the fast path does not take: row by row, naming the rows
            parsed = parse_upload(upload, info, options)
    return run(_plan(info, parsed, dry_run), parsed.rows)


#: Native files from this size on are loaded by columns (see effdash.ingest.native_columns).
COLUMNAR_MIN_BYTES = 1 << 20


def _columnar(parsed: Parsed, info: FileInfo) -> bool:
    if parsed.format != "native" or info.size_bytes < COLUMNAR_MIN_BYTES:
        return False
    from effdash.ingest import native_columns  # pandas: imported only for the files that need it

    return native_columns.eligible(parsed.header, parsed.delimiter)


def _plan(info: FileInfo, parsed: Parsed, dry_run: bool) -> Plan:
    return Plan(info.name, parsed.format, parsed.label, info.sha256, notes=list(parsed.notes), dry_run=dry_run)


def plan_file(store, upload: Upload, options: ImportOptions | None = None) -> Plan:
    """What importing the file would do, without storing anything."""
    return import_file(store, upload, options, dry_run=True)


def imported_model_ids(store, batch_id: int) -> list[str]:
    """The models an import batch holds measurements or scores of (for the background Hub sync)."""
    from sqlalchemy import select, union

    from effdash.schema import Measurement, Model, QualityScore, Source

    batch_sources = select(Source.id).where(Source.import_batch_id == batch_id)
    pks = union(select(Measurement.model_pk).where(Measurement.source_pk.in_(batch_sources)),
                select(QualityScore.model_pk).where(QualityScore.source_pk.in_(batch_sources))).subquery()
    with store.session() as session:
        return list(session.scalars(select(Model.model_id).where(Model.id.in_(select(pks.c[0])))))
