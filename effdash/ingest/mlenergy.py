"""ML.ENERGY leaderboard model JSON (github.com/ml-energy/leaderboard ``public/data/models/*.json``).

One measurement per entry of ``configurations[]``: GPU energy only, measured with Zeus over a
steady-state window from the NVML energy counter. Energy per request (LLMs) or per image
(diffusion) in joules; Wh per 1000 = J / 3.6. Energy depends strongly on batch size and
parallelism, which are kept with each measurement.
"""

from __future__ import annotations

import json
from pathlib import PurePath

from pydantic import BaseModel, ConfigDict, ValidationError

from effdash.ingest.errors import InvalidUpload, RowError
from effdash.ingest.fields import Count, PositiveKwh, check_model_id, fits, task_tag
from effdash.schema import Measurement
from effdash.ingest.reading import FileInfo
from effdash.ingest.rows import ImportOptions, Parsed, Row

FORMAT = "mlenergy"
#: ML.ENERGY task names -> pipeline tags (chat, reasoning and code completion are text generation).
TASKS = {"lm-arena-chat": "text-generation", "gpqa": "text-generation", "sourcegraph-fim": "text-generation",
         "chat": "text-generation", "text-to-image": "text-to-image"}


class Configuration(BaseModel):
    model_config = ConfigDict(extra="ignore")
    gpu_model: fits(Measurement.gpu_model, reserve=len("NVIDIA "))
    num_gpus: Count = 1
    energy_per_request_joules: PositiveKwh | None = None
    energy_per_image_joules: PositiveKwh | None = None
    batch_size: Count | None = None
    max_num_seqs: Count | None = None
    avg_batch_size: float | None = None
    parallelization: dict | None = None


def _task(data: dict, info: FileInfo, options: ImportOptions) -> str:
    name = options.task or data.get("task") or PurePath(info.name).stem.split("__")[-1]
    try:
        return task_tag(TASKS.get(name, name))
    except ValueError:
        raise InvalidUpload(info.name, f"ML.ENERGY task {name!r} has no Hugging Face pipeline tag effdash knows; "
                                       "choose one with --task.") from None


def _config_row(i: int, c: Configuration, model: str, task: str, options: ImportOptions, name: str) -> Row | RowError:
    joules = c.energy_per_request_joules or c.energy_per_image_joules
    if joules is None:
        return RowError(i + 1, f"configurations[{i}].energy_per_request_joules", None,
                        "no energy per request or per image")
    gpu = f"NVIDIA {c.gpu_model}" if not c.gpu_model.upper().startswith("NVIDIA") else c.gpu_model
    settings = {k: v for k, v in (("max_num_seqs", c.max_num_seqs), ("avg_batch_size", c.avg_batch_size),
                                  ("parallelization", c.parallelization)) if v is not None}
    # J per inference -> kWh for 1000 inferences: J x 1000 / 3.6e6 (Wh per 1000 = J / 3.6).
    return Row(
        line=i + 1, model_id=model, task=task, inferences=1000, energy_kwh=None,
        gpu_energy_kwh=joules * 1000 / 3.6e6, gpu_method="nvml_counter",
        hardware=options.hardware or (gpu if c.num_gpus == 1 else f"{c.num_gpus} x {gpu}"),
        gpu_model=gpu, gpu_count=c.num_gpus, batch_size=c.batch_size or c.max_num_seqs,
        settings=json.dumps(settings, sort_keys=True) if settings else None,
        notes="ML.ENERGY: Zeus, steady-state window, GPU only", origin=f"{name} configurations[{i}]",
    )


def _rows(configs: list, model: str, task: str, options: ImportOptions, name: str):
    for i, raw in enumerate(configs):
        try:
            c = Configuration.model_validate(raw)
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                yield RowError(i + 1, f"configurations[{i}]." + ".".join(map(str, e["loc"])),
                               None if e["type"] == "missing" else str(e.get("input"))[:60], e["msg"])
            continue
        yield _config_row(i, c, model, task, options, name)


def parse(data, info: FileInfo, options: ImportOptions) -> Parsed:
    model = options.model or data.get("model_id")
    if not model:
        raise InvalidUpload(info.name, "the file has no model_id; give it with --model.")
    try:
        model = check_model_id(str(model).strip())
    except ValueError as exc:
        raise InvalidUpload(info.name, f"model_id {model!r}: {exc}.") from None
    task = _task(data, info, options)
    notes = ["GPU energy only (Zeus, NVML counter, steady-state window); J per request or image / 3.6 = Wh per 1000."]
    return Parsed(FORMAT, "ML.ENERGY model JSON", _rows(data["configurations"], model, task, options, info.name),
                  notes)
