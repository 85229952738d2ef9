"""NVML backend (``nvidia-ml-py``, imported as ``pynvml``): GPU energy of one device.

Primary figure: the total-energy counter (``nvmlDeviceGetTotalEnergyConsumption``, mJ since
the driver loaded; Volta and newer), read before and after the window (method
``nvml_counter``). Where the counter is not supported, power (``nvmlDeviceGetPowerUsage``,
mW) is sampled in a background thread and integrated with the trapezoid rule (method
``nvml_power``). Without a driver, :func:`probe` says so instead of raising.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from effdash.measure.errors import MeterUnavailable, WindowTooShort
from effdash.measure.meters import ComponentEnergy, Reading, checked

#: The counter updates every 20-100 ms; 2 s keeps that quantisation under 5 %.
COUNTER_MIN_WINDOW_S = 2.0
POWER_MIN_WINDOW_S = 2.0


@dataclass
class NvmlStatus:
    """Whether NVML is usable, and what it says about the device."""

    available: bool
    reason: str = ""
    device: dict = field(default_factory=dict)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def probe(index: int = 0) -> NvmlStatus:
    """NVML's view of GPU ``index``: name, UUID, driver, power limit, counter support."""
    try:
        import pynvml
    except ImportError:
        return NvmlStatus(False, "the NVML binding is not installed (pip install nvidia-ml-py)")
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        return NvmlStatus(False, f"no NVIDIA driver found ({type(exc).__name__}: {exc})")
    try:
        if pynvml.nvmlDeviceGetCount() <= index:
            return NvmlStatus(False, f"NVML sees no GPU number {index}")
        return NvmlStatus(True, device=_describe(pynvml, pynvml.nvmlDeviceGetHandleByIndex(index)))
    finally:
        pynvml.nvmlShutdown()


def index_for_uuid(uuid: str | None, fallback: int) -> int:
    """NVML's index of the GPU with ``uuid`` (CUDA and NVML may number GPUs differently, and
    CUDA_VISIBLE_DEVICES renumbers them); ``fallback`` when it cannot be matched."""
    if not uuid:
        return fallback
    import pynvml

    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return fallback
    try:
        for i in range(pynvml.nvmlDeviceGetCount()):
            if _text(pynvml.nvmlDeviceGetUUID(pynvml.nvmlDeviceGetHandleByIndex(i))) == uuid:
                return i
        return fallback
    finally:
        pynvml.nvmlShutdown()


def _describe(pynvml, handle) -> dict:
    info = {"gpu_model": _text(pynvml.nvmlDeviceGetName(handle)), "gpu_uuid": _text(pynvml.nvmlDeviceGetUUID(handle)),
            "driver": _text(pynvml.nvmlSystemGetDriverVersion())}
    try:
        info["power_limit_w"] = pynvml.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000.0
    except pynvml.NVMLError:
        info["power_limit_w"] = None
    try:
        pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        info["energy_counter"] = True
    except pynvml.NVMLError:
        info["energy_counter"] = False
    return info


class NvmlMeter:
    """GPU energy of device ``index``; ``method`` is ``nvml_counter`` or ``nvml_power``."""

    name = "nvml"

    def __init__(self, index: int = 0, *, sample_interval_s: float = 0.05, min_window_s: float | None = None,
                 force_power_sampling: bool = False):
        import pynvml

        self._nvml = pynvml
        try:
            pynvml.nvmlInit()
        except pynvml.NVMLError as exc:
            raise MeterUnavailable(
                f"No NVIDIA driver found ({type(exc).__name__}), so GPU energy cannot be measured. "
                "Measure with --device cpu, or run on a machine with an NVIDIA GPU and its driver."
            ) from exc
        self.handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        self.device = _describe(pynvml, self.handle)
        self.method = "nvml_counter" if self.device["energy_counter"] and not force_power_sampling else "nvml_power"
        default_min = COUNTER_MIN_WINDOW_S if self.method == "nvml_counter" else POWER_MIN_WINDOW_S
        self.min_window_s = default_min if min_window_s is None else min_window_s
        self.sample_interval_s = sample_interval_s
        self._samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def components(self) -> dict[str, str]:
        return {"gpu": self.method}

    def begin(self, label: str = "inference") -> None:
        self._t0 = time.perf_counter()
        if self.method == "nvml_counter":
            self._e0_mj = self._nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle)
            return
        self._samples = [(self._t0, self._power_w())]
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample_loop, name="effdash-nvml-power", daemon=True)
        self._thread.start()

    def end(self) -> Reading:
        t1 = time.perf_counter()
        if self.method == "nvml_counter":
            e1_mj = self._nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle)
            duration_s = t1 - self._t0
            kwh = (e1_mj - self._e0_mj) / 1000.0 / 3.6e6  # mJ -> J -> kWh
            return Reading(duration_s, {"gpu": ComponentEnergy(checked(self.name, "gpu", kwh, duration_s), self.method)},
                           {"counter_start_mj": self._e0_mj, "counter_end_mj": e1_mj})
        self._stop.set()
        self._thread.join()
        self._samples.append((t1, self._power_w()))
        duration_s = t1 - self._t0
        kwh = integrate_kwh(self._samples)
        if len(self._samples) < 3:
            raise WindowTooShort(f"Only {len(self._samples)} NVML power samples in a {duration_s:.3f} s window; "
                                 "the window is too short for sampled power.")
        return Reading(duration_s, {"gpu": ComponentEnergy(checked(self.name, "gpu", kwh, duration_s), self.method)},
                       {"power_samples": len(self._samples)})

    def _power_w(self) -> float:
        return self._nvml.nvmlDeviceGetPowerUsage(self.handle) / 1000.0  # mW -> W

    def _sample_loop(self) -> None:
        while not self._stop.wait(self.sample_interval_s):
            self._samples.append((time.perf_counter(), self._power_w()))

    def close(self) -> None:
        try:
            self._nvml.nvmlShutdown()
        except self._nvml.NVMLError:
            pass


def integrate_kwh(samples: list[tuple[float, float]]) -> float:
    """Trapezoid integral of (time s, power W) samples, in kWh."""
    joules = sum((t1 - t0) * (p0 + p1) / 2 for (t0, p0), (t1, p1) in zip(samples, samples[1:]))
    return joules / 3.6e6
