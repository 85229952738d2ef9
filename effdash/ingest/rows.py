"""The normalised row every parser produces: one measurement in effdash's own terms.

Energies are in kWh for ``inferences`` inferences (one repeat); ``energy_kwh`` is the total
over the components measured, or None for GPU-only sources. Nothing downstream sees the
foreign file's shape.
"""

from __future__ import annotations

import hashlib
import struct
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
        """Identity of the measurement (see :func:`fingerprints`)."""
        return fingerprints(rows_as_columns([self]))[0]


#: The fields that identify a measurement: two rows equal in all of them are the same measurement.
FP_TEXT = ("model_id", "task", "dataset", "hardware", "window", "precision", "gpu_method", "cpu_method",
           "ram_method", "measured_at", "settings")
FP_NUMBERS = ("inferences", "repeats", "energy_kwh", "gpu_energy_kwh", "cpu_energy_kwh", "ram_energy_kwh",
              "batch_size")
_PACK = struct.Struct(f"<{len(FP_NUMBERS)}d")


def rows_as_columns(rows: list[Row]) -> dict[str, list]:
    cols = {f: [getattr(r, f) for r in rows] for f in FP_TEXT + FP_NUMBERS if f != "measured_at"}
    cols["measured_at"] = [r.measured_at.isoformat() if r.measured_at else None for r in rows]
    return cols


def fingerprints(cols: dict[str, list]) -> list[str]:
    """SHA-256 of each row's identity fields, given column by column: the numbers packed as IEEE
    doubles (absent = -1, which no valid count or energy can be), the texts joined by a unit
    separator (absent = a record separator). Stable across versions of effdash's dependencies."""
    texts = [["\x1e" if v is None else v for v in cols[f]] for f in FP_TEXT]
    numbers = [[-1.0 if v is None else v for v in cols[f]] for f in FP_NUMBERS]
    sha, pack, sep = hashlib.sha256, _PACK.pack, "\x1f".join
    return [sha(pack(*n) + sep(t).encode()).hexdigest() for n, t in zip(zip(*numbers), zip(*texts))]


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
    header: list[str] | None = None  # CSV formats: the normalised header and the delimiter
    delimiter: str | None = None
