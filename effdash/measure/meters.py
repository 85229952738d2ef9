"""One meter interface, several backends. A meter begins and ends a window and returns the
energy of each component it covers (``gpu``, ``cpu``, ``ram``) with the method that produced
it (``nvml_counter``, ``nvml_power``, ``rapl``, ``estimate``, ``replay``; see effdash.methods).

Backends: :class:`~effdash.measure.codecarbon_meter.CodeCarbonMeter` (CPU and RAM, and GPU
when no NVML meter is used), :class:`~effdash.measure.nvml.NvmlMeter` (GPU) and
:class:`ReplayMeter` (a recorded power trace, for demos and tests). :class:`CompositeMeter`
combines them. A meter never reports zero: a window it cannot resolve raises WindowTooShort.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from effdash.measure.errors import WindowTooShort

COMPONENTS = ("gpu", "cpu", "ram")
TRACES_DIR = Path(__file__).resolve().parent / "traces"


@dataclass(frozen=True)
class ComponentEnergy:
    """Energy of one component over one window."""

    energy_kwh: float
    method: str


@dataclass
class Reading:
    """What a meter read over one window."""

    duration_s: float
    components: dict[str, ComponentEnergy] = field(default_factory=dict)
    detail: dict = field(default_factory=dict)  # backend extras, e.g. CodeCarbon's own GPU figure

    @property
    def energy_kwh(self) -> float:
        return sum(c.energy_kwh for c in self.components.values())

    @property
    def mean_power_w(self) -> float:
        """Mean power over the window, in W (kWh x 3.6e6 J/kWh / s)."""
        return self.energy_kwh * 3.6e6 / self.duration_s


class Meter(Protocol):
    name: str
    #: Shortest window the meter resolves, in s; the protocol lengthens shorter windows.
    min_window_s: float

    def components(self) -> dict[str, str]:
        """Component -> method this meter will report."""

    def begin(self, label: str = "inference") -> None: ...

    def end(self) -> Reading: ...

    def close(self) -> None: ...


def checked(name: str, component: str, energy_kwh: float | None, duration_s: float) -> float:
    """``energy_kwh`` if it is a positive number; WindowTooShort otherwise (never report zero)."""
    if energy_kwh is None or not math.isfinite(energy_kwh) or energy_kwh <= 0:
        raise WindowTooShort(
            f"The {name} meter read {energy_kwh!r} kWh of {component} energy over a {duration_s:.3f} s window, "
            "which it cannot resolve. Use more --samples or a longer minimum window."
        )
    return energy_kwh


class ReplayMeter:
    """Replays recorded mean power per component (method ``replay``), for demos and tests.

    Energy over a window is ``power_w x duration_s`` with the window's real duration;
    idle windows (``begin("idle")``) use ``idle_power_w``.
    """

    name = "replay"

    def __init__(self, power_w: dict[str, float], idle_power_w: dict[str, float] | None = None,
                 min_window_s: float = 0.0, description: str = "replayed power trace"):
        self.power_w = dict(power_w)
        self.idle_power_w = dict(idle_power_w or power_w)
        self.min_window_s = min_window_s
        self.description = description
        self._start: float | None = None
        self._label = "inference"

    @classmethod
    def from_trace(cls, name: str = "demo_cpu", **kwargs) -> "ReplayMeter":
        """A meter from a trace shipped in effdash/measure/traces/<name>.json."""
        doc = json.loads((TRACES_DIR / f"{name}.json").read_text(encoding="utf-8"))
        return cls(doc["power_w"], doc.get("idle_power_w"), description=doc["description"], **kwargs)

    def components(self) -> dict[str, str]:
        return {c: "replay" for c in self.power_w}

    def begin(self, label: str = "inference") -> None:
        self._label, self._start = label, time.perf_counter()

    def end(self) -> Reading:
        duration_s = time.perf_counter() - self._start
        power = self.idle_power_w if self._label == "idle" else self.power_w
        comps = {c: ComponentEnergy(checked(self.name, c, p * duration_s / 3.6e6, duration_s), "replay")
                 for c, p in power.items()}
        return Reading(duration_s, comps, {"trace": self.description})

    def close(self) -> None:
        pass


class CompositeMeter:
    """Several meters read over the same window; each component comes from the first meter that has it."""

    name = "composite"

    def __init__(self, meters: list):
        self.meters = meters
        self.min_window_s = max((m.min_window_s for m in meters), default=0.0)

    def components(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for m in self.meters:
            for c, method in m.components().items():
                out.setdefault(c, method)
        return out

    def begin(self, label: str = "inference") -> None:
        for m in self.meters:
            m.begin(label)

    def end(self) -> Reading:
        readings = [m.end() for m in reversed(self.meters)][::-1]
        merged = Reading(max(r.duration_s for r in readings))
        for m, r in zip(self.meters, readings):
            for c, e in r.components.items():
                merged.components.setdefault(c, e)
            merged.detail[m.name] = {**r.detail, **{f"{c}_energy_kwh": e.energy_kwh for c, e in r.components.items()}}
        return merged

    def close(self) -> None:
        for m in self.meters:
            m.close()
