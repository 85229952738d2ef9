"""The write path: models, sources, measurements and quality scores go in through here."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from effdash.methods import weakest_tier
from effdash.schema import Lineage, Measurement, MeasurementRepeat, Model, QualityScore, Source
from effdash.summary import refresh_energy_summary


@dataclass
class SourceRef:
    """Provenance of a figure, before it is stored."""

    kind: str  # measured | imported | published
    citation: str
    url: str | None = None
    repository: str | None = None
    path: str | None = None
    commit: str | None = None
    paper: str | None = None
    paper_location: str | None = None
    import_batch_id: int | None = None


@dataclass
class RunEnergy:
    """Energy of one repeat, in kWh per component (None = not measured)."""

    gpu_energy_kwh: float | None = None
    cpu_energy_kwh: float | None = None
    ram_energy_kwh: float | None = None
    energy_kwh: float | None = None  # total; defaults to the sum of the components present
    duration_s: float | None = None
    started_at: datetime | None = None
    origin: str | None = None

    def total_kwh(self, components: Sequence[str]) -> float | None:
        """The whole-machine figure: given, or the sum of the components when the host (CPU and
        RAM) was measured. A GPU-only figure has no total: it must never sit in a GPU+CPU+RAM group."""
        if self.energy_kwh is not None:
            return self.energy_kwh
        if not {"cpu", "ram"} <= set(components):
            return None
        parts = [getattr(self, f"{c}_energy_kwh") for c in components]
        return sum(parts) if all(p is not None for p in parts) else None


def insert_unless_exists(session: Session, table, values: dict[str, Any], key: Sequence[str]) -> None:
    """INSERT a row, doing nothing if a row with the same unique ``key`` exists, even one that
    another process is inserting at this moment (no IntegrityError when two writers race)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - effdash supports SQLite and PostgreSQL
        session.execute(insert(table).values(**values))
        return
    session.execute(dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=list(key)))


def get_or_create_model(session: Session, model_id: str, **fields: Any) -> Model:
    """The model row for ``model_id``; new rows get ``fields``, existing ones fill gaps only."""
    model = session.scalar(select(Model).where(Model.model_id == model_id))
    if model is None:
        insert_unless_exists(session, Model.__table__, {"model_id": model_id, **fields}, ["model_id"])
        model = session.scalar(select(Model).where(Model.model_id == model_id))
    for key, value in fields.items():
        if value is not None and getattr(model, key) is None:
            setattr(model, key, value)
    return model


def add_lineage(session: Session, model: Model, base_model_id: str, relation: str, source: str | None) -> None:
    exists = session.scalar(
        select(Lineage).where(
            Lineage.model_pk == model.id, Lineage.base_model_id == base_model_id, Lineage.relation == relation
        )
    )
    if exists is None:
        session.add(Lineage(model_pk=model.id, base_model_id=base_model_id, relation=relation, source=source))


def get_or_create_source(session: Session, ref: SourceRef) -> Source:
    found = select(Source).where(Source.kind == ref.kind, Source.citation == ref.citation)
    source = session.scalar(found)
    if source is None:
        insert_unless_exists(session, Source.__table__, dict(ref.__dict__), ["kind", "citation"])
        source = session.scalar(found)
    return source


def _mean_std(values: list[float | None]) -> tuple[float | None, float | None]:
    if not values or any(v is None for v in values):
        return None, None
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else None)


@dataclass
class MeasurementIn:
    """A measurement before it is stored: identity, hardware, methods and its repeats."""

    model_id: str
    task: str
    inferences: int  # per repeat
    hardware: str
    runs: list[RunEnergy]
    source: SourceRef
    dataset: str = ""
    components: tuple[str, ...] = ("gpu", "cpu", "ram")  # which components were measured
    gpu_method: str | None = None
    cpu_method: str | None = None
    ram_method: str | None = None
    window: str = "inference"
    extra: dict[str, Any] = field(default_factory=dict)  # other Measurement columns


def measurement_tiers(gpu_method, cpu_method, ram_method, components) -> tuple[str | None, str | None]:
    """(tier of the GPU-only figure, tier of the total figure); None where not available."""
    methods = {"gpu": gpu_method, "cpu": cpu_method, "ram": ram_method}
    tier_gpu = weakest_tier([gpu_method]) if "gpu" in components else None
    tier_total = weakest_tier([methods[c] for c in components]) if components else None
    return tier_gpu, tier_total


def add_measurement(session: Session, m: MeasurementIn) -> Measurement:
    """Store a measurement with its repeats; means and spread are computed from the repeats."""
    if m.inferences < 1:
        raise ValueError("inferences must be >= 1")
    model = get_or_create_model(session, m.model_id)
    source = get_or_create_source(session, m.source)
    totals = [r.total_kwh(m.components) for r in m.runs]
    energy, std = _mean_std(totals)
    gpu, gpu_std = _mean_std([r.gpu_energy_kwh for r in m.runs]) if "gpu" in m.components else (None, None)
    cpu, _ = _mean_std([r.cpu_energy_kwh for r in m.runs]) if "cpu" in m.components else (None, None)
    ram, _ = _mean_std([r.ram_energy_kwh for r in m.runs]) if "ram" in m.components else (None, None)
    durations = [r.duration_s for r in m.runs if r.duration_s is not None]
    for value in (energy, gpu, cpu, ram):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"energy must be finite and positive, got {value}")
    tier_gpu, tier_total = measurement_tiers(m.gpu_method, m.cpu_method, m.ram_method, m.components)
    tier_total = tier_total if energy is not None else None
    extra = dict(m.extra)
    if isinstance(extra.get("software"), dict):
        extra["software"] = json.dumps(extra["software"], sort_keys=True)
    row = Measurement(
        model_pk=model.id, task=m.task, dataset=m.dataset, inferences=m.inferences, repeats=len(m.runs),
        energy_kwh=energy, gpu_energy_kwh=gpu, cpu_energy_kwh=cpu, ram_energy_kwh=ram,
        std_energy_kwh=std, std_gpu_energy_kwh=gpu_std,
        duration_s=statistics.fmean(durations) if durations else None,
        hardware=m.hardware, gpu_method=m.gpu_method if "gpu" in m.components else None,
        cpu_method=m.cpu_method if "cpu" in m.components else None,
        ram_method=m.ram_method if "ram" in m.components else None,
        tier_gpu=tier_gpu, tier_total=tier_total, window=m.window, source_pk=source.id, **extra,
    )
    for i, r in enumerate(m.runs):
        row.runs.append(MeasurementRepeat(
            repeat_index=i, energy_kwh=totals[i], gpu_energy_kwh=r.gpu_energy_kwh,
            cpu_energy_kwh=r.cpu_energy_kwh, ram_energy_kwh=r.ram_energy_kwh,
            duration_s=r.duration_s, started_at=r.started_at, origin=r.origin,
        ))
    session.add(row)
    session.flush()
    refresh_energy_summary(session.connection(), [model.id])
    return row


def add_quality(
    session: Session, *, model_id: str, task: str, dataset: str, metric: str, value: float,
    source: SourceRef, split: str = "", slice: str = "", scale_max: float = 1.0, higher_is_better: bool = True,
) -> QualityScore:
    """Store one quality score; the value must lie within [0, scale_max]."""
    if not (math.isfinite(value) and 0 <= value <= scale_max):
        raise ValueError(f"{metric} {value} is outside its scale 0..{scale_max}")
    model = get_or_create_model(session, model_id)
    src = get_or_create_source(session, source)
    row = QualityScore(
        model_pk=model.id, task=task, dataset=dataset, split=split, metric=metric, value=value,
        scale_max=scale_max, higher_is_better=higher_is_better, slice=slice, source_pk=src.id,
    )
    session.add(row)
    return row
