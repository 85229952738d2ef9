"""optimum-benchmark ``benchmark_report.json`` (or ``benchmark.json`` with ``config`` and ``report``).

Each phase carries ``energy: {unit: kWh, cpu, ram, gpu, total}`` and ``efficiency: {unit, value}``.
The number of inferences of a phase is energy.total x efficiency (samples/kWh or images/kWh), so
Wh per 1000 inferences = 1e6 / efficiency. Text generation sums ``prefill`` and ``decode`` (decode's
efficiency is in tokens/kWh, so its samples are those of prefill), as the AI Energy Score does.
Model loading is not part of the inference window and is left out.
"""

from __future__ import annotations

import json
import math

from pydantic import BaseModel, ConfigDict, ValidationError

from effdash.ingest.errors import InvalidUpload, RowError
from effdash.ingest.fields import NonNegative, PositiveKwh, check_model_id, task_tag
from effdash.ingest.reading import FileInfo
from effdash.ingest.rows import ImportOptions, Parsed, Row

FORMAT = "optimum-benchmark"
SAMPLE_UNITS = ("samples/kwh", "images/kwh")
SINGLE_PHASES = ("forward", "call", "generate")


class Energy(BaseModel):
    model_config = ConfigDict(extra="ignore")
    unit: str
    cpu: NonNegative = 0.0
    ram: NonNegative = 0.0
    gpu: NonNegative = 0.0
    total: PositiveKwh


class Efficiency(BaseModel):
    model_config = ConfigDict(extra="ignore")
    unit: str
    value: PositiveKwh


def _phase(report: dict, name: str, name_of_file: str) -> tuple[Energy, Efficiency | None]:
    data = report.get(name) or {}
    try:
        energy = Energy.model_validate(data.get("energy"))
        eff = Efficiency.model_validate(data["efficiency"]) if data.get("efficiency") else None
    except ValidationError as exc:
        errs = [RowError(None, f"{name}." + ".".join(map(str, e["loc"])), str(e.get("input"))[:60], e["msg"])
                for e in exc.errors(include_url=False)]
        raise InvalidUpload(name_of_file, f"phase {name!r} cannot be read.", errs) from None
    if energy.unit.lower() != "kwh":
        raise InvalidUpload(name_of_file, f"phase {name!r}: energy unit {energy.unit!r}, expected kWh.")
    return energy, eff


def _inference_phases(report: dict, file_name: str) -> tuple[list[str], float]:
    """(phases summed, number of samples) of the inference part of the report."""
    if "prefill" in report and "decode" in report:
        energy, eff = _phase(report, "prefill", file_name)
        if eff is None or eff.unit.lower() not in SAMPLE_UNITS:
            raise InvalidUpload(file_name, "prefill efficiency must be in samples/kWh to count the samples.")
        return ["prefill", "decode"], energy.total * eff.value
    for name in SINGLE_PHASES:
        if name in report:
            energy, eff = _phase(report, name, file_name)
            if eff is None or eff.unit.lower() not in SAMPLE_UNITS:
                raise InvalidUpload(file_name, f"phase {name!r} has no efficiency in samples/kWh or images/kWh.")
            return [name], energy.total * eff.value
    raise InvalidUpload(file_name, "no inference phase (prefill+decode, forward, call or generate) in the report.")


def _identity(data: dict, options: ImportOptions, file_name: str) -> tuple[str, str, str]:
    backend = (data.get("config") or {}).get("backend") or {}
    env = (data.get("config") or {}).get("environment") or {}
    gpus = env.get("gpu") or []
    model = options.model or backend.get("model")
    task = options.task or backend.get("task")
    hardware = options.hardware or (f"{len(gpus)} x {gpus[0]}" if len(gpus) > 1 else (gpus[0] if gpus else None))
    missing = [n for n, v in (("--model", model), ("--task", task), ("--hardware", hardware)) if not v]
    if missing:
        raise InvalidUpload(file_name, f"a benchmark_report.json does not name the model, task and hardware: give "
                                       f"{', '.join(missing)}.")
    try:
        return check_model_id(model), task_tag(task), hardware
    except ValueError as exc:
        raise InvalidUpload(file_name, f"{exc}.") from None


def parse(data, info: FileInfo, options: ImportOptions) -> Parsed:
    report = data.get("report", data)
    model, task, hardware = _identity(data, options, info.name)
    phases, samples = _inference_phases(report, info.name)
    if not math.isfinite(samples) or samples < 0.5:
        raise InvalidUpload(info.name, f"energy x efficiency gives {samples:g} samples; expected at least 1.")
    energies = [_phase(report, p, info.name)[0] for p in phases]
    inferences = round(samples)
    gpu = sum(e.gpu for e in energies)
    row = Row(
        line=1, model_id=model, task=task, hardware=hardware, inferences=inferences,
        energy_kwh=sum(e.total for e in energies), gpu_energy_kwh=gpu or None,
        cpu_energy_kwh=sum(e.cpu for e in energies) or None, ram_energy_kwh=sum(e.ram for e in energies) or None,
        gpu_method="nvml_counter", cpu_method="estimate", ram_method="estimate",
        settings=json.dumps({"phases": phases}), origin=f"{info.name} phases {'+'.join(phases)}",
    )
    notes = [f"Inference = phases {' + '.join(phases)} over {inferences:,} samples (energy x efficiency); model "
             "loading left out. GPU from the NVML counter (CodeCarbon), CPU and RAM estimates."]
    return Parsed(FORMAT, "optimum-benchmark report", iter([row]), notes)
