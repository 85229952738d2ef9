"""Everything effdash knows about one model: metadata, lineage, measurements, quality."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from effdash.errors import ModelNotFound
from effdash.methods import ComparisonGroup
from effdash.schema import Lineage, Measurement, Model, QualityScore, Source


@dataclass
class ModelDetail:
    model: Model
    bases: list[Lineage]
    derived: list[tuple[str, str]]  # (model_id, relation) of models derived from this one
    measurements: list[dict]
    quality: list[dict]


def list_model_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Model.model_id).order_by(Model.model_id)))


def model_detail(session: Session, model_id: str) -> ModelDetail:
    model = session.scalar(select(Model).where(Model.model_id == model_id))
    if model is None:
        raise ModelNotFound(f"effdash has no model {model_id!r}. Import or measure it first.")
    bases = list(session.scalars(select(Lineage).where(Lineage.model_pk == model.id)))
    derived = [
        (mid, rel) for mid, rel in session.execute(
            select(Model.model_id, Lineage.relation).join(Lineage, Lineage.model_pk == Model.id)
            .where(Lineage.base_model_id == model_id)
        )
    ]
    measurements = []
    for m, citation in session.execute(
        select(Measurement, Source.citation).join(Source, Source.id == Measurement.source_pk)
        .where(Measurement.model_pk == model.id).order_by(Measurement.task, Measurement.dataset)
    ):
        group_gpu = ComparisonGroup(m.hardware, "gpu", m.tier_gpu, m.window) if m.tier_gpu else None
        measurements.append({
            "task": m.task, "dataset": m.dataset,
            "Wh per 1000 (total)": m.wh_per_1k if m.energy_kwh is not None else None,
            "Wh per 1000 (GPU)": m.gpu_wh_per_1k if m.gpu_energy_kwh is not None else None,
            "± std (total)": m.std_energy_kwh * 1e6 / m.inferences if m.std_energy_kwh is not None else None,
            "GPU / CPU / RAM method": " / ".join(x or "—" for x in (m.gpu_method, m.cpu_method, m.ram_method)),
            "tier (total)": m.tier_total, "tier (GPU)": group_gpu.tier if group_gpu else None,
            "window": m.window, "inferences": m.inferences, "repeats": m.repeats,
            "hardware": m.hardware, "batch size": m.batch_size,
            "measured": m.measured_at.date().isoformat() if m.measured_at else None,
            "source": citation, "notes": m.notes,
        })
    quality = [
        {"task": q.task, "dataset": q.dataset, "split": q.split or "not stated", "slice": q.slice or "all",
         "metric": q.metric, "value": q.value, "scale": f"0..{q.scale_max:g}", "source": citation}
        for q, citation in session.execute(
            select(QualityScore, Source.citation).join(Source, Source.id == QualityScore.source_pk)
            .where(QualityScore.model_pk == model.id).order_by(QualityScore.task, QualityScore.dataset)
        )
    ]
    return ModelDetail(model, bases, derived, measurements, quality)


def search_models(session: Session, text: str) -> list[str]:
    pattern = f"%{text}%"
    return list(session.scalars(select(Model.model_id).where(or_(Model.model_id.ilike(pattern))).order_by(Model.model_id)))
