"""Exports of models, measurements and quality scores as records, CSV (formula-safe) or JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from effdash.schema import Lineage, Measurement, Model, QualityScore, Source

WHAT = ("models", "measurements", "quality")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (prefix a single quote)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def model_records(session: Session) -> list[dict]:
    lineage: dict[int, list[str]] = {}
    for edge in session.scalars(select(Lineage)):
        lineage.setdefault(edge.model_pk, []).append(f"{edge.relation}:{edge.base_model_id}")
    return [
        {
            "model_id": m.model_id, "parameters": m.parameters, "parameters_source": m.parameters_source,
            "pipeline_tag": m.pipeline_tag, "library": m.library, "license": m.license,
            "downloads": m.downloads, "likes": m.likes, "revision": m.revision,
            "base_models": ";".join(lineage.get(m.id, [])), "metadata_source": m.metadata_source,
        }
        for m in session.scalars(select(Model).order_by(Model.model_id))
    ]


def measurement_records(session: Session) -> list[dict]:
    stmt = (
        select(Measurement, Model.model_id, Source.citation)
        .join(Model, Model.id == Measurement.model_pk).join(Source, Source.id == Measurement.source_pk)
        .order_by(Model.model_id, Measurement.task, Measurement.dataset, Measurement.id)
    )
    out = []
    for m, model_id, citation in session.execute(stmt):
        out.append({
            "model_id": model_id, "task": m.task, "dataset": m.dataset, "hardware": m.hardware,
            "wh_per_1k": m.wh_per_1k if m.energy_kwh is not None else None,
            "gpu_wh_per_1k": m.gpu_wh_per_1k if m.gpu_energy_kwh is not None else None,
            "std_wh_per_1k": m.std_energy_kwh * 1e6 / m.inferences if m.std_energy_kwh is not None else None,
            "energy_kwh": m.energy_kwh, "gpu_energy_kwh": m.gpu_energy_kwh, "cpu_energy_kwh": m.cpu_energy_kwh,
            "ram_energy_kwh": m.ram_energy_kwh, "inferences": m.inferences, "repeats": m.repeats,
            "gpu_method": m.gpu_method, "cpu_method": m.cpu_method, "ram_method": m.ram_method,
            "tier_gpu": m.tier_gpu, "tier_total": m.tier_total, "window": m.window,
            "batch_size": m.batch_size, "precision": m.precision, "country_iso": m.country_iso,
            "measured_at": m.measured_at.isoformat() if m.measured_at else None, "source": citation,
        })
    return out


def quality_records(session: Session) -> list[dict]:
    stmt = (
        select(QualityScore, Model.model_id, Source.citation)
        .join(Model, Model.id == QualityScore.model_pk).join(Source, Source.id == QualityScore.source_pk)
        .order_by(Model.model_id, QualityScore.task, QualityScore.dataset, QualityScore.metric)
    )
    return [
        {
            "model_id": model_id, "task": q.task, "dataset": q.dataset, "split": q.split, "metric": q.metric,
            "value": q.value, "scale_max": q.scale_max, "slice": q.slice, "source": citation,
        }
        for q, model_id, citation in session.execute(stmt)
    ]


def records(session: Session, what: str) -> list[dict]:
    return {"models": model_records, "measurements": measurement_records, "quality": quality_records}[what](session)


def to_csv(rows: Iterable[dict]) -> str:
    rows = list(rows)
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: formula_safe(v) for k, v in row.items()})
    return buf.getvalue()


def to_json(rows: Iterable[dict]) -> str:
    return json.dumps(list(rows), indent=2, ensure_ascii=False, default=str)


