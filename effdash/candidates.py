"""Read side: what can be compared, and the candidates of one comparison (aggregated in SQL)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import distinct, func, literal, select, union_all
from sqlalchemy.orm import Session

from effdash.methods import ComparisonGroup
from effdash.recommend import Candidate
from effdash.schema import Measurement, Model, QualityScore, Source, TaskBaseline


@dataclass(frozen=True)
class QualityKey:
    """Which quality figure to compare on."""

    metric: str
    dataset: str
    split: str = ""
    slice: str = ""

    @property
    def label(self) -> str:
        text = f"{self.metric} on {self.dataset}"
        if self.split:
            text += f" ({self.split})"
        if self.slice:
            text += f" [{self.slice}]"
        return text


@dataclass(frozen=True)
class GroupSummary:
    group: ComparisonGroup
    models: int
    measurements: int


def _energy_expr(basis: str):
    col = Measurement.gpu_energy_kwh if basis == "gpu" else Measurement.energy_kwh
    return col * 1e6 / Measurement.inferences


def _tier_col(basis: str):
    return Measurement.tier_gpu if basis == "gpu" else Measurement.tier_total


def list_tasks(session: Session) -> list[str]:
    """Tasks that have at least one measurement or quality score."""
    rows = session.scalars(select(Measurement.task).union(select(QualityScore.task)))
    return sorted(set(rows))


def list_quality_keys(session: Session, task: str) -> list[tuple[QualityKey, int]]:
    """(metric, dataset, split, slice) choices for a task, with how many models have them."""
    stmt = (
        select(QualityScore.metric, QualityScore.dataset, QualityScore.split, QualityScore.slice,
               func.count(distinct(QualityScore.model_pk)))
        .where(QualityScore.task == task)
        .group_by(QualityScore.metric, QualityScore.dataset, QualityScore.split, QualityScore.slice)
        .order_by(func.count(distinct(QualityScore.model_pk)).desc(), QualityScore.metric, QualityScore.dataset)
    )
    return [(QualityKey(m, d, sp, sl), n) for m, d, sp, sl, n in session.execute(stmt)]


def list_groups(session: Session, task: str) -> list[GroupSummary]:
    """Comparison groups that hold measurements of a task, largest first."""
    parts = []
    for basis in ("gpu", "total"):
        col = Measurement.gpu_energy_kwh if basis == "gpu" else Measurement.energy_kwh
        parts.append(
            select(Measurement.hardware, literal(basis).label("basis"), _tier_col(basis).label("tier"),
                   Measurement.window, Measurement.model_pk)
            .where(Measurement.task == task, col.is_not(None))
        )
    sub = union_all(*parts).subquery()
    stmt = (
        select(sub.c.hardware, sub.c.basis, sub.c.tier, sub.c.window,
               func.count(distinct(sub.c.model_pk)), func.count())
        .group_by(sub.c.hardware, sub.c.basis, sub.c.tier, sub.c.window)
    )
    out = [GroupSummary(ComparisonGroup(h, b, t, w), n, k) for h, b, t, w, n, k in session.execute(stmt)]
    return sorted(out, key=lambda g: (-g.models, g.group.basis != "gpu", g.group))


def _energy_by_model(session: Session, task: str, group: ComparisonGroup) -> dict[int, dict]:
    energy = _energy_expr(group.basis)
    std_col = Measurement.std_gpu_energy_kwh if group.basis == "gpu" else Measurement.std_energy_kwh
    stmt = (
        select(Measurement.model_pk, func.avg(energy), func.avg(energy * energy), func.count(),
               func.sum(Measurement.repeats), func.max(std_col * 1e6 / Measurement.inferences))
        .where(Measurement.task == task, Measurement.hardware == group.hardware,
               Measurement.window == group.window, _tier_col(group.basis) == group.tier, energy.is_not(None))
        .group_by(Measurement.model_pk)
    )
    out = {}
    for pk, mean, mean_sq, n, repeats, repeat_std in session.execute(stmt):
        spread = math.sqrt(max(mean_sq - mean * mean, 0.0)) if n > 1 else repeat_std
        out[pk] = {"wh_per_1k": mean, "wh_per_1k_std": spread, "measurements": n, "repeats": int(repeats or 0)}
    return out


def scored_models_in_group(session: Session, task: str, group: ComparisonGroup, key: QualityKey) -> int:
    """How many models have both energy in ``group`` and a score for ``key`` (counted in SQL)."""
    energy = _energy_expr(group.basis)
    scored = select(QualityScore.model_pk).where(
        QualityScore.task == task, QualityScore.metric == key.metric, QualityScore.dataset == key.dataset,
        QualityScore.split == key.split, QualityScore.slice == key.slice)
    return session.scalar(
        select(func.count(distinct(Measurement.model_pk)))
        .where(Measurement.task == task, Measurement.hardware == group.hardware, Measurement.window == group.window,
               _tier_col(group.basis) == group.tier, energy.is_not(None), Measurement.model_pk.in_(scored))
    )


def _quality_by_model(session: Session, task: str, key: QualityKey) -> dict[int, tuple[float, int]]:
    stmt = (
        select(QualityScore.model_pk, func.avg(QualityScore.value / QualityScore.scale_max), func.count())
        .where(QualityScore.task == task, QualityScore.metric == key.metric, QualityScore.dataset == key.dataset,
               QualityScore.split == key.split, QualityScore.slice == key.slice)
        .group_by(QualityScore.model_pk)
    )
    return {pk: (value, n) for pk, value, n in session.execute(stmt)}


def _other_groups(session: Session, task: str, model_pks: set[int], group: ComparisonGroup) -> dict[int, list[str]]:
    if not model_pks:
        return {}
    out: dict[int, set[str]] = {}
    labels: dict[tuple, str | None] = {}  # one ComparisonGroup and label per distinct group, not per row
    for basis in ("gpu", "total"):
        col = Measurement.gpu_energy_kwh if basis == "gpu" else Measurement.energy_kwh
        stmt = (
            select(Measurement.model_pk, Measurement.hardware, _tier_col(basis), Measurement.window).distinct()
            .where(Measurement.task == task, Measurement.model_pk.in_(model_pks), col.is_not(None))
        )
        for pk, hw, tier, window in session.execute(stmt):
            if (hw, basis, tier, window) not in labels:
                other = ComparisonGroup(hw, basis, tier, window)
                labels[hw, basis, tier, window] = other.label if other != group else None
            if labels[hw, basis, tier, window] is not None:
                out.setdefault(pk, set()).add(labels[hw, basis, tier, window])
    return {pk: sorted(labels) for pk, labels in out.items()}


def _sources_by_model(session: Session, task: str, pks: set[int]) -> dict[int, list[str]]:
    if not pks:
        return {}
    stmt = (
        select(Measurement.model_pk, Source.citation).distinct()
        .join(Source, Source.id == Measurement.source_pk)
        .where(Measurement.task == task, Measurement.model_pk.in_(pks))
    )
    out: dict[int, list[str]] = {}
    for pk, citation in session.execute(stmt):
        out.setdefault(pk, []).append(citation)
    return out


def load_candidates(session: Session, task: str, group: ComparisonGroup | None, key: QualityKey | None) -> list[Candidate]:
    """Every model with energy in ``group`` or a score for ``key``, as Candidates."""
    energy = _energy_by_model(session, task, group) if group else {}
    quality = _quality_by_model(session, task, key) if key else {}
    pks = set(energy) | set(quality)
    if not pks:
        return []
    models = {pk: (model_id, params) for pk, model_id, params in session.execute(
        select(Model.id, Model.model_id, Model.parameters).where(Model.id.in_(pks)))}
    others = _other_groups(session, task, set(quality) - set(energy), group) if group else {}
    sources = _sources_by_model(session, task, set(energy))
    out = []
    for pk in sorted(pks, key=lambda p: models[p][0]):
        q = quality.get(pk)
        out.append(Candidate(
            model_id=models[pk][0], parameters=models[pk][1],
            **energy.get(pk, {}), quality=q[0] if q else None, quality_scores=q[1] if q else 0,
            other_groups=tuple(others.get(pk, ())), sources=tuple(sources.get(pk, ())),
        ))
    return out


def task_baselines(session: Session, task: str) -> list[tuple[TaskBaseline, Source]]:
    stmt = select(TaskBaseline, Source).join(Source, Source.id == TaskBaseline.source_pk).where(TaskBaseline.task == task)
    return [tuple(row) for row in session.execute(stmt)]
