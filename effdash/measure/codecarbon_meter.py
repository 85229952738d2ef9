"""CodeCarbon backend: ``OfflineEmissionsTracker`` task windows (no network).

CodeCarbon reads CPU energy from RAPL where ``/sys/class/powercap/intel-rapl*`` is readable
(method ``rapl``); otherwise it estimates CPU power from its TDP table and CPU load, and RAM
power from a fixed heuristic (method ``estimate``). Its GPU figure (from NVML) is reported
only when no NVML meter of effdash's own is used. ``stop_task`` swallows errors and can
return zeros, so every figure is checked: None or zero is refused, never stored.
"""

from __future__ import annotations

import logging
import tempfile

from effdash.measure.errors import MeasureError, WindowTooShort
from effdash.measure.meters import ComponentEnergy, Reading, checked

#: CodeCarbon CPU modes that read a hardware energy counter.
_COUNTER_MODES = {"intel_rapl": "rapl"}


def _tracker_country(country_iso: str | None) -> str:
    """CodeCarbon needs a country; only its emissions figure (unused by effdash) depends on it."""
    code = (country_iso or "").strip().upper()
    return code if len(code) == 3 and code != "WORLD" else "USA"


class CodeCarbonMeter:
    name = "codecarbon"

    def __init__(self, *, country_iso: str | None = None, with_gpu: bool = False,
                 measure_power_secs: float = 1.0, min_window_s: float = 1.0):
        from codecarbon import OfflineEmissionsTracker

        logging.getLogger("codecarbon").setLevel(logging.ERROR)  # before init, which logs at INFO
        self.min_window_s = min_window_s
        self.with_gpu = with_gpu
        self._dir = tempfile.TemporaryDirectory(prefix="effdash-codecarbon-")
        self.tracker = OfflineEmissionsTracker(
            country_iso_code=_tracker_country(country_iso),
            measure_power_secs=measure_power_secs, allow_multiple_runs=True, log_level="error",
            output_dir=self._dir.name, tracking_mode="machine",
            gpu_ids=None if with_gpu else [],
        )
        self._label = "inference"
        self._methods: dict[str, str] | None = None

    def _hardware_methods(self) -> dict[str, str]:
        if self._methods is None:
            self.tracker._ensure_hardware_ready()  # CodeCarbon detects CPU/GPU lazily
            cpu_mode = next((getattr(h, "_mode", None) for h in self.tracker._hardware
                             if type(h).__name__ == "CPU"), None)
            self._methods = {"cpu": _COUNTER_MODES.get(cpu_mode, "estimate"), "ram": "estimate"}
            if self.with_gpu and any(type(h).__name__ == "GPU" for h in self.tracker._hardware):
                self._methods["gpu"] = "nvml_counter"  # CodeCarbon >= 3.3.2 reads the NVML counter
            self.cpu_mode = cpu_mode
        return self._methods

    def components(self) -> dict[str, str]:
        return dict(self._hardware_methods())

    def begin(self, label: str = "inference") -> None:
        self._hardware_methods()
        self._label = label
        self.tracker.start_task(f"effdash-{label}")

    def end(self) -> Reading:
        data = self.tracker.stop_task()
        if data is None:
            raise MeasureError("CodeCarbon returned no data for the window (see its log). "
                               "Check that no other CodeCarbon tracker runs in this process, then retry.")
        duration_s = float(data.duration)
        comps = {}
        for comp, method in self._hardware_methods().items():
            kwh = getattr(data, f"{comp}_energy", None)
            comps[comp] = ComponentEnergy(checked(self.name, comp, kwh, duration_s), method)
        detail = {"cpu_mode": self.cpu_mode, "codecarbon_gpu_energy_kwh": data.gpu_energy,
                  "cpu_power_w": data.cpu_power, "ram_power_w": data.ram_power}
        return Reading(duration_s, comps, detail)

    def describe(self) -> dict:
        conf = self.tracker._conf
        return {"cpu_model": conf.get("cpu_model"), "cpu_count": conf.get("cpu_count"),
                "ram_total_size_gb": conf.get("ram_total_size"), "cpu_mode": getattr(self, "cpu_mode", None)}

    def close(self) -> None:
        self._dir.cleanup()


__all__ = ["CodeCarbonMeter", "WindowTooShort"]
