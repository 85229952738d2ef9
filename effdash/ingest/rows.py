"""The normalised row every parser produces: one measurement in effdash's own terms.

Energies are in kWh for ``inferences`` inferences (one repeat); ``energy_kwh`` is the total
over the components measured, or None for GPU-only sources. Nothing downstream sees the
foreign file's shape.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator

from effdash.ingest.errors import RowError


@dataclass(frozen=True)
class QualityIn:
    metric: str
    value: float  # fraction 0..1
    dataset: str
    slice: str = ""


@dataclass(slots=True)
class Row:
    line: int
    model_id: str
    task: str
    hardware: str
    inferences: int
    energy_kwh: float | None
    gpu_energy_kwh: float | None = None
    cpu_energy_kwh: float | None = None
    ram_energy_kwh: float | None = None
    repeats: int = 1
    std_energy_kwh: float | None = None
    std_gpu_energy_kwh: float | None = None
    gpu_method: str | None = None
    cpu_method: str | None = None
    ram_method: str | None = None
    window: str = "inference"
    dataset: str = ""
    batch_size: int | None = None
    precision: str | None = None
    duration_s: float | None = None
    country_iso: str | None = None
    region: str | None = None
    measured_at: datetime | None = None
    gpu_model: str | None = None
    gpu_count: int | None = None
    cpu_model: str | None = None
    cpu_count: int | None = None
    ram_gb: float | None = None
    carbon_intensity_g_per_kwh: float | None = None
    software: str | None = None  # JSON object
    settings: str | None = None  # JSON object
    source_stars: int | None = None
    source_class: str | None = None
    notes: str | None = None
    parameters: int | None = None
    quality: tuple[QualityIn, ...] = ()
    per_run: bool = False  # the row is one run of the file: also stored as a MeasurementRepeat
    origin: str | None = None

    @property
    def components(self) -> tuple[str, ...]:
        present = tuple(c for c in ("gpu", "cpu", "ram") if getattr(self, f"{c}_energy_kwh") is not None)
        return present or (("gpu", "cpu", "ram") if self.energy_kwh is not None else ())

    @property
    def wh_per_1k(self) -> float | None:
        """Total energy in Wh per 1000 inferences (None for GPU-only rows)."""
        return None if self.energy_kwh is None else self.energy_kwh * 1e6 / self.inferences

    @property
    def gpu_wh_per_1k(self) -> float | None:
        return None if self.gpu_energy_kwh is None else self.gpu_energy_kwh * 1e6 / self.inferences

    def fingerprint(self) -> str:
        """Identity of the measurement: model, task, dataset, hardware, window, counts, energies,
        settings, methods and time. Two rows with the same fingerprint are the same measurement."""
        parts = (
            self.model_id, self.task, self.dataset, self.hardware, self.window, self.inferences, self.repeats,
            self.energy_kwh, self.gpu_energy_kwh, self.cpu_energy_kwh, self.ram_energy_kwh, self.batch_size,
            self.precision, self.gpu_method, self.cpu_method, self.ram_method,
            self.measured_at.isoformat() if self.measured_at else None, self.settings,
        )
        return hashlib.sha256("\x1f".join(map(repr, parts)).encode()).hexdigest()


@dataclass
class ImportOptions:
    """What the user adds to a file: format override, task/model/inferences/hardware, policy."""

    format: str | None = None
    task: str | None = None
    model: str | None = None
    inferences: int | None = None
    hardware: str | None = None
    window: str | None = None
    valid_rows_only: bool = False
    max_bytes: int | None = None


@dataclass
class Parsed:
    """A parser's output: the detected format, a stream of rows or row errors, and notes for the user
    (where values not in the file came from, columns that were ignored)."""

    format: str
    label: str  # human name of the format, e.g. "CodeCarbon emissions.csv (38 columns)"
    rows: Iterator["Row | RowError"]
    notes: list[str] = field(default_factory=list)
