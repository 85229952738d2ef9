"""The measurement protocol.

1. Load the model and the task's fixed input set (outside any measured window).
2. Measure idle power over an idle window (model loaded, nothing running).
3. Warm up (``warmup_batches`` batches), then time one full pass over the N inputs.
4. If one pass is shorter than the meter can resolve (``min_window_s``), each window runs
   ``k`` whole passes (k = ceil(min_window_s / pass time)); the inferences counted are the
   ones run, N x k. A window the meter still reads as zero is refused, never stored.
5. R repeats, each one window: CUDA synchronised before the window opens and before it
   closes; the meter reads every component it covers.
6. Quality on the task's labelled evaluation set, if one ships (outside the windows).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from effdash.measure.errors import InferenceFailed, MeasurementInterrupted, OutOfMemory
from effdash.measure.inputs import InputSet, load_input_set
from effdash.measure.meters import Reading


WINDOW_MARGIN = 1.5


@dataclass
class MeasureRequest:
    model: str  # Hub id or local folder
    task: str
    samples: int = 1000
    batch_size: int = 1
    repeats: int = 5
    device: str = "cpu"
    country: str | None = None
    warmup_batches: int = 3
    idle_s: float = 5.0
    min_window_s: float | None = None  # None: the meter's own minimum
    new_tokens: int = 32
    model_name: str | None = None  # the id to record the model under (default: model)
    meter: str = "auto"  # auto | replay
    measure_quality: bool = True

    @property
    def model_id(self) -> str:
        return self.model_name or self.model

    def settings(self) -> dict:
        return {k: getattr(self, k) for k in ("samples", "batch_size", "repeats", "device", "warmup_batches",
                                               "idle_s", "min_window_s", "meter")}


@dataclass(frozen=True)
class Progress:
    phase: str  # loading | idle | warm-up | measuring | quality
    done: int = 0
    total: int = 0
    message: str = ""


@dataclass
class Repeat:
    reading: Reading
    started_at: datetime


@dataclass
class MeasureResult:
    request: MeasureRequest
    input_set: InputSet
    inferences: int  # per repeat (N x passes_per_window)
    passes_per_window: int
    repeats: list[Repeat]
    idle: Reading
    methods: dict[str, str]
    runner_settings: dict
    parameters: int
    quality: object | None = None  # quality.QualityResult
    meter_detail: dict = field(default_factory=dict)

    @property
    def idle_power_w(self) -> float:
        return self.idle.mean_power_w


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def _batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class ProtocolRun:
    """One protocol run: holds the runner, meter and callbacks."""

    def __init__(self, request: MeasureRequest, runner, meter, progress: Callable[[Progress], None],
                 should_cancel: Callable[[], bool]):
        self.req, self.runner, self.meter = request, runner, meter
        self.progress, self.should_cancel = progress, should_cancel

    def _check_cancel(self) -> None:
        if self.should_cancel():
            raise MeasurementInterrupted("The measurement was cancelled; nothing was stored but the failed run.")

    def _run(self, batch: list) -> None:
        import torch

        try:
            self.runner.run_batch(batch)
        except torch.OutOfMemoryError as exc:
            raise OutOfMemory(f"Out of memory at batch size {self.req.batch_size}: {str(exc).splitlines()[0]}. "
                              "Try a smaller --batch-size.") from exc
        except MemoryError as exc:
            raise OutOfMemory(f"Out of memory at batch size {self.req.batch_size}. Try a smaller --batch-size.") from exc
        except Exception as exc:
            raise InferenceFailed(f"Inference failed on {self.req.task} inputs: {str(exc).splitlines()[0][:300]}. "
                                  "Check that the model fits the task.") from exc

    def window(self, label: str, body: Callable[[], None]) -> Reading:
        """Run ``body`` inside one meter window, CUDA-synchronised at both ends."""
        _sync(self.req.device)
        self.meter.begin(label)
        try:
            body()
            _sync(self.req.device)
        except BaseException:
            try:
                self.meter.end()  # close the window; its figure is discarded
            except Exception:
                pass
            raise
        return self.meter.end()

    def idle(self) -> Reading:
        seconds = max(self.req.idle_s, self.meter.min_window_s)
        self.progress(Progress("idle", message=f"measuring idle power for {seconds:g} s"))
        return self.window("idle", lambda: time.sleep(seconds))

    def warm_up(self, batches: list[list]) -> float:
        """Warm-up batches, then one timed pass; returns the pass duration in s."""
        for i, batch in enumerate(batches[: self.req.warmup_batches]):
            self.progress(Progress("warm-up", i, self.req.warmup_batches))
            self._run(batch)
        _sync(self.req.device)
        t0 = time.perf_counter()
        for batch in batches:
            self._check_cancel()
            self._run(batch)
        _sync(self.req.device)
        return time.perf_counter() - t0

    def repeats(self, batches: list[list], passes: int) -> list[Repeat]:
        total = self.req.repeats * passes * len(batches)
        done, out = 0, []
        for r in range(self.req.repeats):
            def body():
                nonlocal done
                for _ in range(passes):
                    for batch in batches:
                        self._check_cancel()
                        self._run(batch)
                        done += 1
                        self.progress(Progress("measuring", done, total, f"repeat {r + 1} of {self.req.repeats}"))
            started = datetime.now(timezone.utc)
            out.append(Repeat(self.window("inference", body), started))
        return out


def passes_per_window(pass_s: float, min_window_s: float) -> int:
    """Whole passes needed so that a window lasts at least ``min_window_s``, with a 50 % margin
    because the measured passes often run faster than the timed one."""
    if pass_s <= 0:
        return 1
    return max(1, math.ceil(min_window_s * WINDOW_MARGIN / pass_s))


def run_protocol(request: MeasureRequest, runner, meter, *, input_set: InputSet | None = None,
                 progress: Callable[[Progress], None] = lambda p: None,
                 should_cancel: Callable[[], bool] = lambda: False) -> MeasureResult:
    """Measure ``runner`` with ``meter`` following the protocol above."""
    import torch

    inputs = input_set or load_input_set(request.task)
    batches = _batches(inputs.take(request.samples), request.batch_size)
    s = ProtocolRun(request, runner, meter, progress, should_cancel)
    with torch.inference_mode():
        idle = s.idle()
        pass_s = s.warm_up(batches)
        passes = passes_per_window(pass_s, meter.min_window_s)
        reps = s.repeats(batches, passes)
    quality = None
    if request.measure_quality and inputs.eval is not None:
        from effdash.measure.quality import evaluate

        progress(Progress("quality", message=f"scoring {inputs.eval.metric} on {inputs.eval.dataset}"))
        quality = evaluate(runner, inputs.eval, batch_size=max(request.batch_size, 16))
    detail = {"pass_s": pass_s, "min_window_s": meter.min_window_s, **reps[-1].reading.detail}
    if inputs.eval is not None and quality is None:
        detail["quality_not_measured"] = ("skipped (--no-quality)" if not request.measure_quality else
                                          "the model's labels do not name the evaluation set's classes")
    return MeasureResult(request, inputs, request.samples * passes, passes, reps, idle, meter.components(),
                         runner.settings, runner.parameters, quality, detail)
