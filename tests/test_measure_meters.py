"""Meters: the NVML backend against the real ``pynvml`` binding with its device functions
patched (counter, sampled power, no driver, too-short windows), the real CodeCarbon offline
tracker, and the replay meter. Expected energies are worked out by hand in the comments."""

from __future__ import annotations

import time
from pathlib import Path

import pynvml
import pytest

from effdash.measure.codecarbon_meter import CodeCarbonMeter
from effdash.measure.errors import MeterUnavailable, WindowTooShort
from effdash.measure.meters import CompositeMeter, ReplayMeter
from effdash.measure.nvml import NvmlMeter, integrate_kwh, probe
from effdash.measure.protocol import passes_per_window


class FakeGpu:
    """Device functions of one fake H100 patched onto the real pynvml module."""

    def __init__(self, monkeypatch, *, counter_mj=None, power_mw=350_000, counter_supported=True):
        self.counter = iter(counter_mj or [])
        self.power_mw = power_mw
        self.power_calls = 0
        patches = {
            "nvmlInit": lambda: None, "nvmlShutdown": lambda: None, "nvmlDeviceGetCount": lambda: 1,
            "nvmlDeviceGetHandleByIndex": lambda i: f"handle-{i}",
            "nvmlDeviceGetName": lambda h: b"NVIDIA H100 80GB HBM3",
            "nvmlDeviceGetUUID": lambda h: "GPU-1234abcd",
            "nvmlSystemGetDriverVersion": lambda: "550.54.15",
            "nvmlDeviceGetEnforcedPowerLimit": lambda h: 700_000,
            "nvmlDeviceGetTotalEnergyConsumption": self._energy if counter_supported else self._not_supported,
            "nvmlDeviceGetPowerUsage": self._power,
        }
        for name, fn in patches.items():
            monkeypatch.setattr(pynvml, name, fn)

    def _energy(self, handle):
        return next(self.counter, 0)

    @staticmethod
    def _not_supported(handle):
        raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)

    def _power(self, handle):
        self.power_calls += 1
        return self.power_mw


def test_nvml_counter_reads_energy_between_window_ends(monkeypatch):
    # 1_000_000 mJ at begin (the probe read first), 1_360_000 mJ at end: 360_000 mJ = 360 J
    # = 360 / 3600 Wh = 0.1 Wh = 1e-4 kWh.
    FakeGpu(monkeypatch, counter_mj=[5, 1_000_000, 1_360_000])
    meter = NvmlMeter(0)
    assert meter.method == "nvml_counter" and meter.components() == {"gpu": "nvml_counter"}
    assert meter.min_window_s == 2.0
    meter.begin()
    reading = meter.end()
    assert reading.components["gpu"].energy_kwh == pytest.approx(1e-4)
    assert reading.components["gpu"].method == "nvml_counter"
    assert meter.device == {"gpu_model": "NVIDIA H100 80GB HBM3", "gpu_uuid": "GPU-1234abcd", "driver": "550.54.15",
                            "power_limit_w": 700.0, "energy_counter": True}


def test_nvml_counter_that_did_not_move_is_refused_not_zero(monkeypatch):
    # A window shorter than the counter's update period reads the same value twice.
    FakeGpu(monkeypatch, counter_mj=[5, 2_000_000, 2_000_000])
    meter = NvmlMeter(0)
    meter.begin()
    with pytest.raises(WindowTooShort, match="cannot resolve"):
        meter.end()


def test_nvml_power_sampling_when_the_counter_is_not_supported(monkeypatch):
    # Constant 350_000 mW = 350 W. Over a window of d seconds the trapezoid integral is
    # 350 * d J = 350 * d / 3.6e6 kWh; for d ~ 0.3 s that is ~2.9e-5 kWh.
    gpu = FakeGpu(monkeypatch, counter_supported=False)
    meter = NvmlMeter(0, sample_interval_s=0.01)
    assert meter.method == "nvml_power"
    meter.begin()
    time.sleep(0.3)
    reading = meter.end()
    assert reading.components["gpu"].method == "nvml_power"
    assert reading.components["gpu"].energy_kwh == pytest.approx(350 * reading.duration_s / 3.6e6, rel=1e-6)
    assert gpu.power_calls >= 10  # sampled every 10 ms, not read once


def test_nvml_power_window_with_too_few_samples_is_refused(monkeypatch):
    FakeGpu(monkeypatch, counter_supported=False)
    meter = NvmlMeter(0, sample_interval_s=10.0)
    meter.begin()
    with pytest.raises(WindowTooShort, match="too short"):
        meter.end()


def test_trapezoid_integration_by_hand():
    # 0..1 s at 100 W -> 200 W (mean 150 W): 150 J; 1..3 s at 200 W: 400 J; total 550 J
    # = 550 / 3.6e6 kWh.
    assert integrate_kwh([(0.0, 100.0), (1.0, 200.0), (3.0, 200.0)]) == pytest.approx(550 / 3.6e6)


@pytest.mark.skipif(Path("/proc/driver/nvidia").exists(), reason="this machine has an NVIDIA driver")
def test_no_driver_gives_a_clear_result_and_a_clear_error():
    # The real binding on a machine without a driver: nvmlInit raises NVMLError_LibraryNotFound.
    status = probe()
    assert status.available is False
    assert "no NVIDIA driver" in status.reason
    with pytest.raises(MeterUnavailable, match="--device cpu"):
        NvmlMeter(0)


def test_codecarbon_window_is_positive_and_labelled():
    meter = CodeCarbonMeter(min_window_s=0.2)
    try:
        methods = meter.components()
        meter.begin()
        sum(i * i for i in range(200_000))
        reading = meter.end()
    finally:
        meter.close()
    has_rapl = any(Path("/sys/class/powercap").glob("intel-rapl*")) if Path("/sys/class/powercap").exists() else False
    assert methods == {"cpu": "rapl" if has_rapl else "estimate", "ram": "estimate"}
    assert set(reading.components) == {"cpu", "ram"}
    assert all(c.energy_kwh > 0 for c in reading.components.values())
    # CodeCarbon's RAM heuristic is a constant power, so RAM energy / duration is that power
    # (at least 10 W on x86, FORMATS.md); 1 W = 1 / 3.6e6 kWh per second.
    ram_w = reading.components["ram"].energy_kwh * 3.6e6 / reading.duration_s
    assert 5 <= ram_w <= 200


def test_replay_meter_energy_is_power_times_duration():
    meter = ReplayMeter.from_trace("demo_cpu")
    # Trace: cpu 4 W + ram 20 W under load; 1 W + 20 W idle.
    meter.begin("inference")
    time.sleep(0.05)
    busy = meter.end()
    assert busy.components["cpu"].energy_kwh == pytest.approx(4 * busy.duration_s / 3.6e6)
    assert busy.mean_power_w == pytest.approx(24.0)
    meter.begin("idle")
    time.sleep(0.05)
    assert meter.end().mean_power_w == pytest.approx(21.0)
    assert meter.components() == {"cpu": "replay", "ram": "replay"}


def test_composite_meter_takes_gpu_from_nvml_and_cpu_ram_from_the_other(monkeypatch):
    FakeGpu(monkeypatch, counter_mj=[0, 10_000, 46_000])  # 36_000 mJ = 36 J = 1e-5 kWh
    meter = CompositeMeter([NvmlMeter(0), ReplayMeter({"cpu": 10.0, "ram": 5.0, "gpu": 999.0})])
    assert meter.components() == {"gpu": "nvml_counter", "cpu": "replay", "ram": "replay"}
    assert meter.min_window_s == 2.0
    meter.begin()
    reading = meter.end()
    assert reading.components["gpu"].energy_kwh == pytest.approx(1e-5)
    assert reading.components["cpu"].method == "replay"


@pytest.mark.parametrize("pass_s, min_window_s, expected", [
    (0.5, 1.0, 3),   # 1.0 s x 1.5 margin = 1.5 s; 1.5 / 0.5 = 3 passes
    (0.4, 1.0, 4),   # 1.5 / 0.4 = 3.75 -> 4 whole passes
    (2.0, 1.0, 1),   # one pass already lasts longer than the window
    (0.01, 2.0, 300),  # 3.0 / 0.01 = 300
])
def test_short_windows_are_extended_by_whole_passes(pass_s, min_window_s, expected):
    assert passes_per_window(pass_s, min_window_s) == expected



def test_the_nvml_device_is_matched_to_the_cuda_device_by_uuid(monkeypatch):
    from effdash.measure.nvml import index_for_uuid

    FakeGpu(monkeypatch)
    uuids = ["GPU-aaaa", "GPU-bbbb"]
    monkeypatch.setattr(pynvml, "nvmlDeviceGetCount", lambda: 2)
    monkeypatch.setattr(pynvml, "nvmlDeviceGetHandleByIndex", lambda i: i)
    monkeypatch.setattr(pynvml, "nvmlDeviceGetUUID", lambda h: uuids[h])
    # CUDA device 0 may be NVML device 1 (CUDA orders fastest first, NVML by PCI bus).
    assert index_for_uuid("GPU-bbbb", fallback=0) == 1
    assert index_for_uuid("GPU-cccc", fallback=0) == 0  # unknown UUID: the CUDA index
    assert index_for_uuid(None, fallback=1) == 1
