"""Orchestration: check the stack, pick the meter, load the model, run the protocol."""

from __future__ import annotations

from typing import Callable

from effdash.measure.environment import Environment, detect
from effdash.measure.errors import MeasureStackMissing, MeterUnavailable, UnsupportedTask
from effdash.measure.protocol import MeasureRequest, MeasureResult, Progress, run_protocol


def check_request(request: MeasureRequest) -> MeasureRequest:
    """Validate and normalise a request (task alias -> pipeline tag); errors name the option."""
    from effdash.carbon import grid_intensity
    from effdash.errors import ConfigurationError, UnknownTask
    from effdash.measure.runners import SUPPORTED_TASKS
    from effdash.tasks import normalise_task

    try:
        task = normalise_task(request.task)
    except UnknownTask as exc:
        raise UnsupportedTask(str(exc)) from exc
    if task not in SUPPORTED_TASKS:
        raise UnsupportedTask(f"effdash cannot measure {task} yet. Measurable tasks: {', '.join(SUPPORTED_TASKS)}.")
    for name in ("samples", "batch_size", "repeats"):
        if getattr(request, name) < 1:
            raise ConfigurationError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(request, name)}.")
    if request.device not in ("cpu", "cuda") and not request.device.startswith("cuda:"):
        raise ConfigurationError(f"--device must be cpu or cuda, got {request.device!r}.")
    grid_intensity(request.country)  # raises ConfigurationError for an unknown country
    request.task = task
    return request


def require_stack() -> None:
    from effdash.measure import missing_packages

    missing = missing_packages()
    if missing:
        raise MeasureStackMissing(f"Measuring needs {', '.join(missing)}, which is not installed. "
                                  "Install the measurement stack: pip install -r requirements-measure.txt")


def _gpu_index(device: str) -> int:
    return int(device.split(":", 1)[1]) if ":" in device else 0


def _cuda_uuid(index: int) -> str | None:
    """NVML-style UUID (``GPU-...``) of CUDA device ``index``, if torch knows it."""
    import torch

    try:
        uuid = torch.cuda.get_device_properties(index).uuid
    except (AttributeError, RuntimeError, AssertionError):
        return None
    return f"GPU-{uuid}" if uuid else None


def build_meter(request: MeasureRequest):
    """The meter for ``request``: NVML (GPU) + CodeCarbon (CPU, RAM), or the replay demo meter."""
    from effdash.measure.meters import CompositeMeter, ReplayMeter

    min_window = request.min_window_s
    if request.meter == "replay":
        return ReplayMeter.from_trace("demo_cpu", min_window_s=min_window or 0.0), None
    from effdash.measure.codecarbon_meter import CodeCarbonMeter

    cc_kwargs = {} if min_window is None else {"min_window_s": min_window}
    if request.device == "cpu":
        return CodeCarbonMeter(country_iso=request.country, **cc_kwargs), None
    import torch

    if not torch.cuda.is_available():
        raise MeterUnavailable("--device cuda was asked for, but torch sees no CUDA GPU. Install a CUDA build "
                               "of torch on a machine with an NVIDIA GPU, or measure with --device cpu.")
    from effdash.measure.nvml import NvmlMeter, index_for_uuid

    cuda_index = _gpu_index(request.device)
    nvml = NvmlMeter(index_for_uuid(_cuda_uuid(cuda_index), cuda_index), min_window_s=min_window)
    return CompositeMeter([nvml, CodeCarbonMeter(country_iso=request.country, **cc_kwargs)]), nvml.device


def measure(request: MeasureRequest, *, progress: Callable[[Progress], None] = lambda p: None,
            should_cancel: Callable[[], bool] = lambda: False) -> tuple[MeasureResult, Environment]:
    """Run one measurement; raises a MeasureError subclass (nothing stored) on failure."""
    require_stack()
    check_request(request)
    from effdash.measure.inputs import load_input_set
    from effdash.measure.runners import load_runner

    input_set = load_input_set(request.task)
    meter, gpu = build_meter(request)
    try:
        progress(Progress("loading", message=f"loading {request.model}"))
        runner = load_runner(request.model, request.task, device=request.device, new_tokens=request.new_tokens)
        result = run_protocol(request, runner, meter, input_set=input_set, progress=progress,
                              should_cancel=should_cancel)
    finally:
        meter.close()
    return result, detect(gpu)

