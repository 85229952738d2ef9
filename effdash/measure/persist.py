"""Storing a measurement (through effdash.records), a failed run, and the record as JSON."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from effdash.carbon import grid_intensity
from effdash.measure.environment import Environment
from effdash.measure.meters import COMPONENTS
from effdash.measure.protocol import MeasureRequest, MeasureResult
from effdash.records import (MeasurementIn, RunEnergy, SourceRef, add_measurement, add_quality, get_or_create_model,
                             get_or_create_source)
from effdash.schema import FailedRun, Measurement, QualityScore

SOURCE = SourceRef(kind="measured", citation="Measured by effdash (effdash measure)")
QUALITY_SOURCE = SourceRef(kind="measured", citation="Measured by effdash (effdash measure) on its shipped evaluation sets")
NET_LABEL = "net = gross minus idle power x window duration (derived; published methods report gross)"


def _runs(result: MeasureResult) -> list[RunEnergy]:
    runs = []
    for i, rep in enumerate(result.repeats):
        comps = rep.reading.components
        runs.append(RunEnergy(**{f"{c}_energy_kwh": comps[c].energy_kwh if c in comps else None for c in COMPONENTS},
                              duration_s=rep.reading.duration_s, started_at=rep.started_at, origin=f"repeat {i + 1}"))
    return runs


def _notes(methods: dict[str, str]) -> str | None:
    estimated = [c.upper() for c in COMPONENTS if methods.get(c) == "estimate"]
    if not estimated:
        return None
    return (f"{' and '.join(estimated)} energy are CodeCarbon estimates (no hardware energy counter was readable), "
            "not measurements.")


def _settings(result: MeasureResult) -> dict:
    r = result.request
    return {**r.settings(), **result.runner_settings, "passes_per_window": result.passes_per_window,
            "inferences_per_repeat": result.inferences, "model_ref": r.model, "new_tokens": r.new_tokens
            if r.task in ("summarization", "text-generation") else None, "meter_detail": result.meter_detail}


def measurement_in(result: MeasureResult, env: Environment) -> MeasurementIn:
    req, methods = result.request, result.methods
    grid = grid_intensity(req.country)
    components = tuple(c for c in COMPONENTS if c in methods)
    extra = {
        "input_set": result.input_set.set_id, "input_set_sha256": result.input_set.sha256,
        "batch_size": req.batch_size, "precision": result.runner_settings.get("dtype"),
        "gpu_model": env.gpu_model, "gpu_count": env.gpu_count, "cpu_model": env.cpu_model,
        "cpu_count": env.cpu_count, "ram_gb": env.ram_gb, "idle_power_w": result.idle_power_w,
        "country_iso": None if grid.code == "WORLD" else grid.code,
        "carbon_intensity_g_per_kwh": grid.g_co2e_per_kwh, "software": env.software,
        "hardware_detail": json.dumps(env.hardware_detail, sort_keys=True),
        "settings": json.dumps(_settings(result), sort_keys=True, default=str),
        "notes": _notes(methods), "measured_at": result.repeats[0].started_at,
    }
    return MeasurementIn(
        model_id=req.model_id, task=req.task, inferences=result.inferences, hardware=env.hardware,
        runs=_runs(result), source=SOURCE, dataset=result.input_set.set_id, components=components,
        gpu_method=methods.get("gpu"), cpu_method=methods.get("cpu"), ram_method=methods.get("ram"),
        window="inference", extra=extra,
    )


def _upsert_quality(session: Session, result: MeasureResult) -> None:
    """Store the quality score; a re-measurement replaces effdash's own earlier score."""
    q, req = result.quality, result.request
    model = get_or_create_model(session, req.model_id)
    source = get_or_create_source(session, QUALITY_SOURCE)
    existing = session.scalar(select(QualityScore).where(
        QualityScore.model_pk == model.id, QualityScore.task == req.task, QualityScore.dataset == q.dataset,
        QualityScore.metric == q.metric, QualityScore.split == "", QualityScore.slice == "",
        QualityScore.source_pk == source.id))
    if existing is not None:
        existing.value = q.value
        return
    add_quality(session, model_id=req.model_id, task=req.task, dataset=q.dataset, metric=q.metric,
                value=q.value, source=QUALITY_SOURCE)


def save_result(session: Session, result: MeasureResult, env: Environment) -> Measurement:
    """Store the measurement, its repeats and its quality score in the caller's transaction."""
    get_or_create_model(session, result.request.model_id, pipeline_tag=result.request.task,
                        parameters=result.parameters, parameters_source="counted by effdash measure")
    row = add_measurement(session, measurement_in(result, env))
    if result.quality is not None:
        _upsert_quality(session, result)
    session.flush()
    return row


def save_failure(session: Session, request: MeasureRequest, error_type: str, reason: str,
                 hardware: str | None, started_at: datetime | None) -> FailedRun:
    row = FailedRun(model_id=request.model_id, task=request.task, reason=reason, error_type=error_type,
                    settings=json.dumps(request.settings(), sort_keys=True), hardware=hardware,
                    started_at=started_at, failed_at=datetime.now(timezone.utc))
    session.add(row)
    session.flush()
    return row
