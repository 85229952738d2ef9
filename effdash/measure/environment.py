"""What a measurement ran on: hardware (CPU, RAM, GPU) and software versions."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata


@dataclass
class Environment:
    hardware: str  # the label measurements are grouped by
    cpu_model: str
    cpu_count: int
    ram_gb: float
    gpu_model: str | None = None
    gpu_count: int | None = None
    hardware_detail: dict = field(default_factory=dict)
    software: dict = field(default_factory=dict)


def cpu_model() -> str:
    """The CPU's model name, as the OS reports it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_hardware_label(cpu: str | None = None, count: int | None = None) -> str:
    """The hardware label of a CPU-only measurement, e.g. ``CPU only: AMD EPYC (2 threads)``."""
    return f"CPU only: {cpu or cpu_model()} ({count or os.cpu_count() or 1} threads)"


def ram_gb() -> float:
    import psutil  # a CodeCarbon dependency

    return round(psutil.virtual_memory().total / 2**30, 1)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def software_versions() -> dict:
    from effdash import __version__

    versions = {"python": platform.python_version(), "effdash": __version__, "platform": platform.platform()}
    for dist in ("torch", "transformers", "codecarbon", "nvidia-ml-py", "tokenizers"):
        versions[dist] = _version(dist)
    try:
        import torch

        versions["cuda"] = torch.version.cuda
    except ImportError:
        pass
    return versions


def detect(gpu: dict | None = None) -> Environment:
    """The environment of this process; ``gpu`` is NVML's description of the GPU used, if any."""
    cpu, count, ram = cpu_model(), os.cpu_count() or 1, ram_gb()
    detail = {"cpu_model": cpu, "cpu_count": count, "ram_gb": ram, "machine": platform.machine(),
              "python_executable": sys.executable}
    if gpu:
        detail.update(gpu)
        hardware = gpu["gpu_model"]
    else:
        hardware = cpu_hardware_label(cpu, count)
    return Environment(hardware=hardware, cpu_model=cpu, cpu_count=count, ram_gb=ram,
                       gpu_model=gpu["gpu_model"] if gpu else None, gpu_count=1 if gpu else None,
                       hardware_detail=detail, software=software_versions())
