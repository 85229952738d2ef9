"""Read side: what can be compared, and the candidates of one comparison (aggregated in SQL)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from effdash.methods import ComparisonGroup
from effdash.recommend import Candidate
from effdash.schema import EnergySummary, Measurement, Model, QualityScore, Source, TaskBaseline


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


def list_tasks(session: Session) -> list[str]:
    """Tasks that have at least one measurement (read from its summary) or quality score."""
    rows = session.scalars(select(EnergySummary.task).union(select(QualityScore.task)))
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
    """Comparison groups that hold measurements of a task, largest first (read from the summary)."""
    S = EnergySummary
    stmt = (
        select(S.hardware, S.basis, S.tier, S.window, func.count(), func.sum(S.measurements))
        .where(S.task == task)
        .group_by(S.hardware, S.basis, S.tier, S.window)
    )
    out = [GroupSummary(ComparisonGroup(h, b, t, w), n, int(k)) for h, b, t, w, n, k in session.execute(stmt)]
    return sorted(out, key=lambda g: (-g.models, g.group.basis != "gpu", g.group))


def _in_group(task: str, group: ComparisonGroup):
    S = EnergySummary
    return (S.task == task, S.hardware == group.hardware, S.basis == group.basis, S.tier == group.tier,
            S.window == group.window)


def _energy_by_model(session: Session, task: str, group: ComparisonGroup) -> dict[int, dict]:
    S = EnergySummary
    stmt = select(S.model_pk, S.wh_per_1k_sum, S.wh_per_1k_sum_sq, S.measurements, S.repeats,
                  S.repeat_std_wh_per_1k_max).where(*_in_group(task, group))
    out = {}
    for pk, total, total_sq, n, repeats, repeat_std in session.execute(stmt):
        mean = total / n
        spread = math.sqrt(max(total_sq / n - mean * mean, 0.0)) if n > 1 else repeat_std
        out[pk] = {"wh_per_1k": mean, "wh_per_1k_std": spread, "measurements": n, "repeats": int(repeats or 0)}
    return out


def _scored(task: str, key: QualityKey):
    return select(QualityScore.model_pk).where(
        QualityScore.task == task, QualityScore.metric == key.metric, QualityScore.dataset == key.dataset,
        QualityScore.split == key.split, QualityScore.slice == key.slice)


def scored_models_in_group(session: Session, task: str, group: ComparisonGroup, key: QualityKey) -> int:
    """How many models have both energy in ``group`` and a score for ``key`` (counted in SQL)."""
    return session.scalar(select(func.count()).select_from(EnergySummary).where(
        *_in_group(task, group), EnergySummary.model_pk.in_(_scored(task, key))))


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
    S = EnergySummary
    out: dict[int, set[str]] = {}
    stmt = select(S.model_pk, S.hardware, S.basis, S.tier, S.window).where(S.task == task, S.model_pk.in_(model_pks))
    labels: dict[tuple, str | None] = {}  # a handful of groups, so each label is made once
    for pk, *key in session.execute(stmt):
        key = tuple(key)
        if key not in labels:
            other = ComparisonGroup(*key)
            labels[key] = None if other == group else other.label
        if labels[key] is not None:
            out.setdefault(pk, set()).add(labels[key])
    return {pk: sorted(labels) for pk, labels in out.items()}


def _sources_by_model(session: Session, task: str, pks: set[int]) -> dict[int, list[str]]:
    """Citations of each model's measurements of the task: from the summary where each of its
    group rows has one source, from the measurements for the few models with several."""
    if not pks:
        return {}
    S = EnergySummary
    by_model: dict[int, set[int]] = {}
    several: set[int] = set()
    for pk, source_pk, n in session.execute(
            select(S.model_pk, S.source_pk, S.sources).where(S.task == task, S.model_pk.in_(pks))):
        by_model.setdefault(pk, set()).add(source_pk)
        if n > 1:
            several.add(pk)
    if several:
        for pk, source_pk in session.execute(select(Measurement.model_pk, Measurement.source_pk).distinct().where(
                Measurement.task == task, Measurement.model_pk.in_(several))):
            by_model[pk].add(source_pk)
    wanted = set().union(*by_model.values())
    citations = dict(session.execute(select(Source.id, Source.citation).where(Source.id.in_(wanted))).all())
    return {pk: [citations[s] for s in sorted(ids)] for pk, ids in by_model.items()}


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
