"""AI Energy Score files (huggingface/AIEnergyScore): GPU energy only, on one NVIDIA H100 80GB.

Three shapes are read:
- per-task leaderboard files: ``model, total_gpu_energy, energy_score, class[, test date]`` with
  ``total_gpu_energy`` in kWh per 1000 queries (= Wh per query); Wh per 1000 = value x 1000;
- the leaderboard's download CSV: ``GPU Energy (Wh) per 1k tasks`` (Wh per 1000, as is);
- the benchmark runner's ``master_results.csv``: ``gpu_energy_wh`` over ``successful_prompts``.
Stars and classes published by the source are kept as the source's (``source_stars``,
``source_class``); effdash computes its own ratings separately.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import PurePath
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from effdash.ingest.errors import InvalidUpload, RowError
from effdash.ingest.fields import (
    Count, ModelId, NonNegative, PositiveKwh, ShortText, Task, non_empty, row_errors, task_tag,
)
from effdash.ingest.rows import ImportOptions, Parsed, Row
from effdash.ingest.table import Table

FORMAT = "aienergyscore"
HARDWARE = "NVIDIA H100 80GB"
RUNS = 10  # each model is run 10 times and averaged (AI Energy Score methodology)
Stars = Annotated[int, Field(ge=1, le=5)]
SizeClass = Literal["A", "B", "C"]


class LeaderboardRow(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    model: ModelId
    total_gpu_energy: PositiveKwh  # kWh per 1000 queries
    energy_score: Stars | None = None
    size_class: SizeClass | None = Field(None, alias="class")
    test_date: datetime | None = Field(None, alias="test date")


class DownloadRow(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    model: ModelId
    task: Task | None = None
    gpu_wh_per_1k: PositiveKwh
    stars: Stars | None = None
    size_class: SizeClass | None = None


class MasterRow(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    model_name: ModelId
    model_class: SizeClass | None = None
    task: Task
    reasoning_state: ShortText | None = None
    successful_prompts: Count
    total_duration_seconds: NonNegative | None = None
    gpu_energy_wh: PositiveKwh
    wh_per_1000_queries: PositiveKwh | None = None
    timestamp: datetime | None = None
    error_message: str | None = None


def _row(line: int, model: str, task: str, gpu_kwh: float, inferences: int, options: ImportOptions, **extra) -> Row:
    return Row(
        line=line, model_id=model, task=task, hardware=options.hardware or HARDWARE, inferences=inferences,
        energy_kwh=None, gpu_energy_kwh=gpu_kwh, gpu_method="nvml_counter", batch_size=1,
        precision="fp16" if task == "text-generation" else "fp32", **extra,
    )


def _task_from(table: Table, options: ImportOptions) -> str | None:
    for name in (options.task, PurePath(table.name).stem):
        if name:
            try:
                return task_tag(name)
            except ValueError:
                if name is options.task:
                    raise InvalidUpload(table.name, f"--task {name!r}: unknown task.") from None
    return None


def _validated(model, cells: dict, line: int):
    try:
        return model.model_validate(cells)
    except ValidationError as exc:
        return row_errors(exc, line, cells)


def _leaderboard_rows(table: Table, options: ImportOptions, task: str):
    for item in table.rows:
        if isinstance(item, RowError):
            yield item
            continue
        line, cells = item
        r = _validated(LeaderboardRow, non_empty(cells), line)
        if isinstance(r, list):
            yield from r
            continue
        # total_gpu_energy is kWh per 1000 queries: the GPU energy of 1000 inferences.
        yield _row(line, r.model, task, r.total_gpu_energy, 1000, options, repeats=RUNS, source_stars=r.energy_score,
                   source_class=r.size_class, measured_at=r.test_date, origin=f"{table.name} row {line}")


def _download_columns(header: list[str]) -> dict[str, str]:
    """Map the download CSV's display headers to field names."""
    out = {}
    for h in header:
        if h.startswith("gpu energy (wh)"):
            out[h] = "gpu_wh_per_1k"
        elif h.startswith("model class"):
            out[h] = "size_class"
        elif h in ("model", "model name", "model_id", "model id"):
            out[h] = "model"
        elif h == "task":
            out[h] = "task"
        elif "score" in h or "rating" in h or "stars" in h:
            out[h] = "stars"
    return out


def _download_rows(table: Table, options: ImportOptions, task: str | None):
    names = _download_columns(table.header)
    for item in table.rows:
        if isinstance(item, RowError):
            yield item
            continue
        line, cells = item
        cells = {names[k]: v.replace(",", "") if names[k] == "gpu_wh_per_1k" and table.delimiter != ";" else v
                 for k, v in non_empty(cells).items() if k in names}
        r = _validated(DownloadRow, cells, line)
        if isinstance(r, list):
            yield from (RowError(e.row, _header_of(names, e.column), e.value, e.reason) for e in r)
            continue
        row_task = r.task or task
        if row_task is None:
            yield RowError(line, "task", None, "no task in the row or the file name; choose it with --task")
            continue
        # GPU Energy (Wh) per 1k tasks -> kWh for 1000 inferences: / 1000.
        yield _row(line, r.model, row_task, r.gpu_wh_per_1k / 1000, 1000, options, repeats=RUNS,
                   source_stars=r.stars, source_class=r.size_class, origin=f"{table.name} row {line}")


def _header_of(names: dict[str, str], field: str | None) -> str | None:
    return next((h for h, f in names.items() if f == field), field)


def _master_rows(table: Table, options: ImportOptions):
    for item in table.rows:
        if isinstance(item, RowError):
            yield item
            continue
        line, cells = item
        r = _validated(MasterRow, non_empty(cells), line)
        if isinstance(r, list):
            yield from r
            continue
        if r.error_message:
            yield RowError(line, "error_message", r.error_message, "the benchmark run failed; it has no valid energy")
            continue
        per_1k = r.gpu_energy_wh * 1000 / r.successful_prompts
        if r.wh_per_1000_queries is not None and not math.isclose(per_1k, r.wh_per_1000_queries, rel_tol=0.01):
            yield RowError(line, "wh_per_1000_queries", f"{r.wh_per_1000_queries:g}", f"disagrees with gpu_energy_wh "
                           f"x 1000 / successful_prompts = {per_1k:g}: mixed units?")
            continue
        settings = json.dumps({"reasoning_state": r.reasoning_state}) if r.reasoning_state else None
        yield _row(line, r.model_name, r.task, r.gpu_energy_wh / 1000, r.successful_prompts, options,
                   source_class=r.model_class, duration_s=r.total_duration_seconds, measured_at=r.timestamp,
                   settings=settings, origin=f"{table.name} row {line}")


def parse(table: Table, options: ImportOptions) -> Parsed:
    notes = [f"GPU energy only, measured with the NVML counter (CodeCarbon in optimum-benchmark); hardware "
             f"{options.hardware or HARDWARE}" + (" (from --hardware)." if options.hardware else
                                                   " (the AI Energy Score setup).")]
    task = _task_from(table, options)
    if table.has("model_name", "gpu_energy_wh"):
        return Parsed(FORMAT, "AI Energy Score master_results.csv", _master_rows(table, options), notes)
    if table.has("model", "total_gpu_energy"):
        if task is None:
            raise InvalidUpload(table.name, "a leaderboard file does not name its task, and the file name does not "
                                            "either: choose the task (--task, e.g. text_classification).")
        notes.append(f"Task {task!r} from " + ("--task." if options.task else "the file name.")
                     + " total_gpu_energy read as kWh per 1000 queries (x 1000 = Wh per 1000).")
        return Parsed(FORMAT, "AI Energy Score leaderboard file", _leaderboard_rows(table, options, task), notes)
    names = _download_columns(table.header)
    if "gpu_wh_per_1k" in names.values() and "model" in names.values():
        return Parsed(FORMAT, "AI Energy Score download CSV", _download_rows(table, options, task), notes)
    raise InvalidUpload(table.name, "this looks like an AI Energy Score file but lacks the columns of any of its "
                                    "shapes: model + total_gpu_energy, Model + 'GPU Energy (Wh) per 1k tasks', or "
                                    "master_results.csv's model_name + gpu_energy_wh.")
