"""effdash's own CSV format: one measurement per row, with optional quality columns.

Energy is given either as ``wh_per_1k`` (Wh per 1000 inferences) or as ``energy_kwh`` for
``inferences`` inferences; component columns (``gpu_energy_kwh`` ...) are kWh for the same
inferences. ``method`` names how energy was measured, for all components
(``nvml_counter``) or per component (``gpu=nvml_counter;cpu=rapl;ram=estimate``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from effdash.ingest.errors import InvalidUpload, RowError
from effdash.ingest.fields import (
    Count, CountryIso, Fraction, ModelId, NonNegative, PositiveKwh, ShortText, Task, Text, check_method, fits, non_empty, row_errors,
)
from effdash.schema import Measurement, QualityScore
from effdash.ingest.rows import ImportOptions, Parsed, QualityIn, Row
from effdash.ingest.table import Table

FORMAT = "native"
REQUIRED = ("model_id", "task", "hardware")
#: Every column of the native format and what it means (shown on the Upload page and in the template).
COLUMNS: dict[str, str] = {
    "model_id": "Required. Hugging Face model id (org/name), or a local name for a model not on the Hub.",
    "task": "Required. Hugging Face pipeline tag, e.g. text-classification (AI Energy Score names such as "
            "text_classification are accepted).",
    "hardware": "Required. What ran the model, e.g. 'NVIDIA H100 80GB' or 'Intel Xeon 8375C (CPU only)'.",
    "wh_per_1k": "Energy in Wh per 1000 inferences. Give this, or energy_kwh with inferences.",
    "energy_kwh": "Energy in kWh of one run of `inferences` inferences (total of the components measured).",
    "inferences": "Number of inferences of one run (>= 1). Required with energy_kwh; default 1000.",
    "gpu_energy_kwh": "GPU part of the energy, kWh for the same inferences.",
    "cpu_energy_kwh": "CPU part of the energy, kWh for the same inferences.",
    "ram_energy_kwh": "RAM part of the energy, kWh for the same inferences.",
    "basis": "What wh_per_1k / energy_kwh covers: 'total' (GPU+CPU+RAM, default) or 'gpu' (GPU only).",
    "method": "How energy was measured: one of nvml_counter, rapl, nvml_power, sampled_power, estimate, "
              "unknown (default), or per component: gpu=nvml_counter;cpu=rapl;ram=estimate.",
    "repeats": "How many runs the figure averages (default 1).",
    "std_wh_per_1k": "Standard deviation across the repeats, Wh per 1000 inferences (of the total; of the GPU "
                     "figure when the row has GPU energy only).",
    "window": "What was measured: 'inference' (default) or 'whole_run' (including model loading).",
    "parameters": "Parameter count, for models not on the Hub.",
    "dataset": "Dataset the inferences ran on.",
    "batch_size": "Batch size (>= 1).",
    "precision": "Numeric precision, e.g. fp32, fp16, int8.",
    "country_iso": "ISO 3166 alpha-3 country of the electricity grid, e.g. FRA.",
    "measured_at": "When it was measured, ISO 8601 (2025-02-01 or 2025-02-01T12:00:00Z).",
    "source": "Where the figure was published or measured (kept as text with the measurement).",
    "quality_metric": "Quality metric, e.g. accuracy or f1 (with quality_value).",
    "quality_value": "Quality as a fraction 0..1 (write 91.3% as 0.913).",
    "quality_dataset": "Dataset of the quality figure (default: dataset).",
    "quality_slice": "Slice of the dataset, e.g. a language (default: whole dataset).",
}
COMPONENTS = ("gpu", "cpu", "ram")


class NativeRow(BaseModel):
    """One row of the native CSV, as typed values."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    model_id: ModelId
    task: Task
    hardware: Text
    wh_per_1k: PositiveKwh | None = None
    energy_kwh: PositiveKwh | None = None
    inferences: Count | None = None
    gpu_energy_kwh: PositiveKwh | None = None
    cpu_energy_kwh: PositiveKwh | None = None
    ram_energy_kwh: PositiveKwh | None = None
    basis: Literal["total", "gpu"] = "total"
    method: str = "unknown"
    repeats: Count = 1
    std_wh_per_1k: NonNegative | None = None
    window: Literal["inference", "whole_run"] = "inference"
    parameters: Count | None = None
    dataset: fits(Measurement.dataset) = ""
    batch_size: Count | None = None
    precision: fits(Measurement.precision) | None = None
    country_iso: CountryIso | None = None
    measured_at: datetime | None = None
    source: Text | None = None
    quality_metric: ShortText | None = None
    quality_value: Fraction | None = None
    quality_dataset: fits(QualityScore.dataset) | None = None
    quality_slice: ShortText = ""


@lru_cache(maxsize=64)
def parse_methods(text: str) -> dict[str, str]:
    """'nvml_counter' -> the same for every component; 'gpu=nvml_counter;cpu=rapl' -> per component.
    (Cached: callers must not modify the returned dict.)"""
    text = text.strip()
    if "=" not in text:
        return {c: check_method(text) for c in COMPONENTS}
    methods = {c: "unknown" for c in COMPONENTS}
    for part in filter(None, (p.strip() for p in text.replace(",", ";").split(";"))):
        name, _, method = (s.strip() for s in part.partition("="))
        if name not in COMPONENTS:
            raise ValueError(f"unknown component {name!r}; use gpu, cpu or ram")
        methods[name] = check_method(method)
    return methods


def _energy(r: NativeRow, line: int) -> tuple[int, float | None, list[RowError]]:
    """(inferences, total kWh, errors) from wh_per_1k and/or energy_kwh + inferences."""
    errors: list[RowError] = []
    parts = [getattr(r, f"{c}_energy_kwh") for c in COMPONENTS]
    if r.energy_kwh is not None and r.inferences is None:
        errors.append(RowError(line, "inferences", None, "required with energy_kwh (how many inferences it covers)"))
        return 1, None, errors
    inferences = r.inferences or 1000
    total = r.energy_kwh
    if r.wh_per_1k is not None:
        from_wh = r.wh_per_1k * inferences / 1e6
        if total is not None and not math.isclose(total, from_wh, rel_tol=0.01):
            ratio = total / from_wh
            hint = " (a factor of 1000: is one of them in Wh instead of kWh?)" if 300 < ratio or ratio < 1 / 300 else ""
            errors.append(RowError(line, "wh_per_1k", f"{r.wh_per_1k:g}", f"disagrees with energy_kwh x 1e6 / "
                                   f"inferences = {total * 1e6 / inferences:g}{hint}"))
        total = total if total is not None else from_wh
    if total is None and any(p is not None for p in parts):
        present = [p for p in parts if p is not None]
        total = sum(present) if len(present) > 1 or r.gpu_energy_kwh is None else None
    elif total is None:
        errors.append(RowError(line, "wh_per_1k", None, "no energy: give wh_per_1k, or energy_kwh with inferences"))
    elif sum(p for p in parts if p is not None) > total * 1.01:
        errors.append(RowError(line, "energy_kwh", f"{total:g}", "the components (gpu/cpu/ram_energy_kwh) add up to "
                               "more than the total; are they in the same unit (kWh) and for the same inferences?"))
    return inferences, total, errors


def _quality(r: NativeRow, line: int) -> tuple[tuple[QualityIn, ...], list[RowError]]:
    if r.quality_metric is None and r.quality_value is None:
        return (), []
    if r.quality_metric is None or r.quality_value is None:
        missing = "quality_metric" if r.quality_metric is None else "quality_value"
        return (), [RowError(line, missing, None, "quality_metric and quality_value go together")]
    dataset = r.quality_dataset or r.dataset
    if not dataset:
        return (), [RowError(line, "quality_dataset", None, "name the dataset of the quality figure")]
    return (QualityIn(r.quality_metric, r.quality_value, dataset, r.quality_slice),), []


def to_row(r: NativeRow, line: int, file_name: str) -> Row | list[RowError]:
    try:
        methods = parse_methods(r.method)
    except ValueError as exc:
        return [RowError(line, "method", r.method, str(exc))]
    inferences, total, errors = _energy(r, line)
    quality, q_errors = _quality(r, line)
    errors += q_errors
    if r.basis == "gpu" and (r.cpu_energy_kwh or r.ram_energy_kwh):
        errors.append(RowError(line, "basis", "gpu", "basis gpu means GPU energy only, but CPU/RAM energy is given"))
    if errors:
        return errors
    gpu = r.gpu_energy_kwh
    std = None if r.std_wh_per_1k is None else r.std_wh_per_1k * inferences / 1e6
    if r.basis == "gpu":
        gpu, total = (gpu if gpu is not None else total), None
    return Row(
        line=line, model_id=r.model_id, task=r.task, hardware=r.hardware, inferences=inferences,
        energy_kwh=total, gpu_energy_kwh=gpu, cpu_energy_kwh=r.cpu_energy_kwh, ram_energy_kwh=r.ram_energy_kwh,
        repeats=r.repeats, std_energy_kwh=std if total is not None else None,
        std_gpu_energy_kwh=std if total is None else None,  # a GPU-only figure's spread is the GPU's
        gpu_method=methods["gpu"], cpu_method=methods["cpu"], ram_method=methods["ram"], window=r.window,
        dataset=r.dataset, batch_size=r.batch_size, precision=r.precision, country_iso=r.country_iso,
        measured_at=r.measured_at, notes=f"Source named in the file: {r.source}" if r.source else None,
        parameters=r.parameters, quality=quality, origin=f"{file_name} row {line}",
    )


def _rows(table: Table):
    numeric = {"wh_per_1k", "energy_kwh", "gpu_energy_kwh", "cpu_energy_kwh", "ram_energy_kwh",
               "std_wh_per_1k", "quality_value"}
    for item in table.rows:
        if isinstance(item, RowError):
            yield item
            continue
        line, cells = item
        cells = non_empty(cells)
        if table.delimiter == ";":
            for col in numeric.intersection(cells):
                cells[col] = table.number(cells[col])
        try:
            typed = NativeRow.model_validate(cells)
        except ValidationError as exc:
            yield from row_errors(exc, line, cells)
            continue
        result = to_row(typed, line, table.name)
        if isinstance(result, list):
            yield from result
        else:
            yield result


def parse(table: Table, options: ImportOptions) -> Parsed:
    missing = [c for c in REQUIRED if c not in table.header]
    if missing:
        raise InvalidUpload(table.name, f"missing required column(s) {', '.join(missing)}. The header has: "
                            f"{', '.join(table.header)[:300]}. Columns are separated by comma, semicolon or tab; "
                            "download the template from the Upload page.")
    notes = []
    unknown = [c for c in table.header if c not in COLUMNS]
    if unknown:
        notes.append(f"Ignored unknown column(s): {', '.join(unknown)} (not part of the native format).")
    if any((options.task, options.model, options.inferences)):
        notes.append("The native format names model, task and inferences in each row; "
                     "--task/--model/--inferences were not used.")
    if options.hardware:
        notes.append(f"Hardware set to {options.hardware!r} for every row (overrides the file).")
    return Parsed(FORMAT, "effdash native CSV", _rows(table), notes, table.header, table.delimiter)
