"""CodeCarbon ``emissions.csv`` (2.x: 31 columns; 3.x: 32, 34 or 38 columns): one measurement per run row.

The file has energies in kWh for the whole tracked run, but no model id, task or inference
count: the task and inferences come from the user; the model from --model or, by the
convention of published logs, from each row's ``project_name`` (the import says which).
Methods: GPU from the NVML energy counter; CPU and RAM are CodeCarbon estimates (the CSV does
not record whether CPU energy came from RAPL, so it cannot be trusted as a counter).
"""

from __future__ import annotations

import json
import math
from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationError

from effdash.ingest.errors import InvalidUpload, RowError
from effdash.ingest.fields import NonNegative, PositiveKwh, Text, check_model_id, fits, non_empty, row_errors, task_tag
from effdash.schema import Measurement
from effdash.ingest.rows import ImportOptions, Parsed, Row
from effdash.ingest.table import Table

FORMAT = "codecarbon"
REQUIRED = ("timestamp", "project_name", "duration", "cpu_energy", "gpu_energy", "ram_energy", "energy_consumed")


class CodeCarbonRow(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    timestamp: datetime
    project_name: Text
    run_id: Text | None = None
    duration: NonNegative
    emissions: NonNegative | None = None
    cpu_energy: NonNegative
    gpu_energy: NonNegative
    ram_energy: NonNegative
    energy_consumed: PositiveKwh
    country_iso_code: Text | None = None
    region: fits(Measurement.region) | None = None
    os: Text | None = None
    python_version: Text | None = None
    codecarbon_version: Text | None = None
    cpu_count: NonNegative | None = None
    cpu_model: Text | None = None
    gpu_count: NonNegative | None = None
    gpu_model: fits(Measurement.gpu_model) | None = None
    ram_total_size: NonNegative | None = None
    tracking_mode: Text | None = None


def _check(r: CodeCarbonRow, line: int) -> list[RowError]:
    errors = []
    has_gpu = bool(r.gpu_count) or r.gpu_energy > 0
    if has_gpu and r.gpu_energy == 0:
        errors.append(RowError(line, "gpu_energy", "0", "0 kWh although the run had a GPU: CodeCarbon could not read "
                               "its energy (mlco2/codecarbon#1316, fixed in 3.3.2); the run would understate energy"))
    for col in ("cpu_energy", "ram_energy"):
        if getattr(r, col) == 0:
            errors.append(RowError(line, col, "0", "0 kWh: CodeCarbon measured nothing (run too short?)"))
    parts = r.cpu_energy + r.gpu_energy + r.ram_energy
    if not math.isclose(parts, r.energy_consumed, rel_tol=0.01, abs_tol=1e-9):
        errors.append(RowError(line, "energy_consumed", f"{r.energy_consumed:g}", f"is not cpu + gpu + ram energy "
                               f"({parts:g} kWh): are the columns in mixed units?"))
    return errors


def _hardware(r: CodeCarbonRow) -> str:
    if r.gpu_count and r.gpu_model:
        return r.gpu_model
    return f"{r.cpu_model or 'unknown CPU'} (CPU only)"


def to_row(r: CodeCarbonRow, line: int, options: ImportOptions, file_name: str) -> Row | list[RowError]:
    model = options.model or r.project_name
    try:
        check_model_id(model)
    except ValueError as exc:
        column = "--model" if options.model else "project_name"
        return [RowError(line, column, model, f"{exc}; pass the model id with --model")]
    errors = _check(r, line)
    if errors:
        return errors
    has_gpu = bool(r.gpu_count) or r.gpu_energy > 0
    software = {k: v for k, v in (("codecarbon", r.codecarbon_version), ("python", r.python_version),
                                  ("os", r.os)) if v}
    return Row(
        line=line, model_id=model, task=options.task, hardware=_hardware(r), inferences=options.inferences,
        energy_kwh=r.energy_consumed, gpu_energy_kwh=r.gpu_energy if has_gpu else None,
        cpu_energy_kwh=r.cpu_energy, ram_energy_kwh=r.ram_energy, gpu_method="nvml_counter",
        cpu_method="estimate", ram_method="estimate", window=options.window or "inference",
        duration_s=r.duration, country_iso=(r.country_iso_code or "").upper()[:3] or None, region=r.region,
        measured_at=r.timestamp, gpu_model=r.gpu_model if has_gpu else None,
        gpu_count=int(r.gpu_count) if r.gpu_count else None, cpu_model=r.cpu_model,
        cpu_count=int(r.cpu_count) if r.cpu_count else None, ram_gb=r.ram_total_size,
        carbon_intensity_g_per_kwh=r.emissions * 1000 / r.energy_consumed if r.emissions else None,
        software=json.dumps(software, sort_keys=True) if software else None,
        settings=json.dumps({"tracking_mode": r.tracking_mode}) if r.tracking_mode else None,
        notes=f"CodeCarbon run {r.run_id}" if r.run_id else None, per_run=True,
        origin=f"{file_name} row {line}" + (f" (run {r.run_id})" if r.run_id else ""),
    )


def _rows(table: Table, options: ImportOptions):
    for item in table.rows:
        if isinstance(item, RowError):
            yield item
            continue
        line, cells = item
        cells = non_empty(cells)
        try:
            typed = CodeCarbonRow.model_validate(cells)
        except ValidationError as exc:
            yield from row_errors(exc, line, cells)
            continue
        result = to_row(typed, line, options, table.name)
        yield from (result if isinstance(result, list) else [result])


def _require_user_values(table: Table, options: ImportOptions) -> None:
    missing = []
    if not options.task:
        missing.append("the task (--task, e.g. text-classification)")
    if not options.inferences:
        missing.append("the number of inferences per run (--inferences, e.g. 1000)")
    if missing:
        raise InvalidUpload(table.name, "a CodeCarbon file does not say " + " or ".join(missing) + ". Give "
                            + ("them" if len(missing) > 1 else "it") + " and import again.")
    if options.inferences < 1:
        raise InvalidUpload(table.name, f"--inferences must be at least 1 (got {options.inferences}).")
    try:
        options.task = task_tag(options.task)
    except ValueError as exc:
        raise InvalidUpload(table.name, f"--task {options.task!r}: {exc}.") from None


def parse(table: Table, options: ImportOptions) -> Parsed:
    missing = [c for c in REQUIRED if c not in table.header]
    if missing:
        raise InvalidUpload(table.name, f"missing CodeCarbon column(s) {', '.join(missing)}; is this an "
                                        "emissions.csv written by CodeCarbon?")
    _require_user_values(table, options)
    version = "2.x" if "experiment_id" not in table.header else "3.x"
    notes = [
        f"Task {options.task!r} and {options.inferences:,} inferences per run were given by you "
        "(a CodeCarbon file does not record them).",
        f"Model from --model: {options.model}." if options.model else
        "Model taken from each row's project_name (no model given), the convention of published logs.",
        "Methods: GPU from the NVML energy counter; CPU and RAM are CodeCarbon estimates.",
    ]
    if options.hardware:
        notes.append(f"Hardware set to {options.hardware!r} for every row (overrides the file's GPU/CPU model).")
    label = f"CodeCarbon emissions.csv ({len(table.header)} columns, CodeCarbon {version} layout)"
    return Parsed(FORMAT, label, _rows(table, options), notes)
