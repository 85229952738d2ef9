"""Read side of model metadata: every known model with filters, a model's family, discovered candidates.

Plain functions over a Session; the Models page and Compare call them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from effdash.errors import ModelNotFound
from effdash.methods import ComparisonGroup
from effdash.schema import EnergySummary, Lineage, Measurement, Model, QualityScore
from effdash.store import Store, data_version

MAX_FAMILY = 200  # members shown at most; a popular base model can have thousands on the Hub


@dataclass(frozen=True)
class KnownModel:
    model_id: str
    pipeline_tag: str | None
    parameters: int | None
    parameters_derived: bool
    license: str | None
    downloads: int | None
    measurements: int
    quality_scores: int
    discovered_for_task: str | None
    metadata_source: str | None
    metadata_fetched_at: datetime | None


@dataclass(frozen=True)
class DiscoveredCandidate:
    """A model found by ``hub discover`` for a task that has no energy figure for it yet."""

    model_id: str
    downloads: int | None
    parameters: int | None
    license: str | None
    has_quality: bool
    metadata_fetched_at: datetime | None


def hub_version(store: Store) -> tuple:
    """Cache key for metadata views: ``data_version`` plus the latest metadata fetch time."""
    with store.session() as session:
        latest = session.scalar(select(func.max(Model.metadata_fetched_at)))
    return (*data_version(store), str(latest))


def filter_options(session: Session) -> dict[str, list]:
    """Choices for the Models page's filters: tasks and licences present."""
    tasks = session.scalars(select(Model.pipeline_tag).distinct().where(Model.pipeline_tag.is_not(None)))
    licenses = session.scalars(select(Model.license).distinct().where(Model.license.is_not(None)))
    return {"tasks": sorted(tasks), "licenses": sorted(licenses)}


def list_known_models(session: Session, *, text: str | None = None, task: str | None = None,
                      license: str | None = None, min_parameters: int | None = None,
                      max_parameters: int | None = None, measured: bool | None = None) -> list[KnownModel]:
    """Every known model matching the filters (None = no filter), most downloaded first."""
    n_meas = select(Measurement.model_pk, func.count().label("n")).group_by(Measurement.model_pk).subquery()
    n_qual = select(QualityScore.model_pk, func.count().label("n")).group_by(QualityScore.model_pk).subquery()
    stmt = (select(Model.model_id, Model.pipeline_tag, Model.parameters, Model.parameters_derived, Model.license,
                   Model.downloads, func.coalesce(n_meas.c.n, 0), func.coalesce(n_qual.c.n, 0),
                   Model.discovered_for_task, Model.metadata_source, Model.metadata_fetched_at)
            .outerjoin(n_meas, n_meas.c.model_pk == Model.id).outerjoin(n_qual, n_qual.c.model_pk == Model.id))
    if text:
        stmt = stmt.where(Model.model_id.ilike(f"%{text.strip()}%"))
    if task:
        task_of_measurement = select(EnergySummary.model_pk).where(EnergySummary.task == task)
        stmt = stmt.where(or_(Model.pipeline_tag == task, Model.id.in_(task_of_measurement)))
    if license:
        stmt = stmt.where(Model.license == license)
    if min_parameters is not None:
        stmt = stmt.where(Model.parameters >= min_parameters)
    if max_parameters is not None:
        stmt = stmt.where(Model.parameters <= max_parameters)
    if measured is not None:
        stmt = stmt.where(func.coalesce(n_meas.c.n, 0) > 0 if measured else func.coalesce(n_meas.c.n, 0) == 0)
    stmt = stmt.order_by(func.coalesce(Model.downloads, -1).desc(), Model.model_id)
    return [KnownModel(mid, tag, params, bool(derived), *rest)  # columns, not ORM objects: 100,000 rows read fast
            for mid, tag, params, derived, *rest in session.execute(stmt)]


def discovered_candidates(session: Session, task: str) -> list[DiscoveredCandidate]:
    """Models discovered for ``task`` with no measurement of that task: Compare lists them as
    "not measured yet", most downloaded first."""
    measured = select(EnergySummary.model_pk).where(EnergySummary.task == task)
    scored = select(QualityScore.model_pk).where(QualityScore.task == task)
    stmt = (select(Model, Model.id.in_(scored)).where(Model.discovered_for_task == task, Model.id.not_in(measured))
            .order_by(func.coalesce(Model.downloads, -1).desc(), Model.model_id))
    return [DiscoveredCandidate(m.model_id, m.downloads, m.parameters, m.license, bool(q), m.metadata_fetched_at)
            for m, q in session.execute(stmt)]


def model_tags(model: Model) -> list[str]:
    return json.loads(model.tags) if model.tags else []


# --- family -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FamilyMember:
    model_id: str
    role: str  # "base" (the family's root), or the relation to its base: finetune, quantized, ...
    base_model_id: str | None
    parameters: int | None
    known: bool  # effdash has a row for it
    metadata_fetched_at: datetime | None


@dataclass
class Family:
    root: str
    members: list[FamilyMember]
    energy: list[dict]  # one row per member x task x dataset x comparison group
    quality: list[dict]  # one row per member x task x dataset x split x metric x slice


def _parents(session: Session, model_id: str) -> list[tuple[str, str]]:
    stmt = select(Lineage.base_model_id, Lineage.relation).join(Model, Model.id == Lineage.model_pk).where(
        Model.model_id == model_id)
    return [tuple(row) for row in session.execute(stmt)]


def _children(session: Session, model_id: str) -> list[tuple[str, str]]:
    stmt = select(Model.model_id, Lineage.relation).join(Lineage, Lineage.model_pk == Model.id).where(
        Lineage.base_model_id == model_id)
    return [tuple(row) for row in session.execute(stmt)]


def family_root(session: Session, model_id: str) -> str:
    """Follow base models up to the first model without one (cycles and forks stop the walk)."""
    seen, current = {model_id}, model_id
    while True:
        parents = sorted(_parents(session, current))
        if len(parents) != 1 or parents[0][0] in seen:  # merges have several bases: stop there
            return current
        current = parents[0][0]
        seen.add(current)


def model_family(session: Session, model_id: str) -> Family:
    """The family of ``model_id``: its root base model and every known descendant, with energy and quality."""
    if session.scalar(select(Model.id).where(Model.model_id == model_id)) is None:
        raise ModelNotFound(f"effdash has no model {model_id!r}. Sync it with `effdash hub sync {model_id}`.")
    root = family_root(session, model_id)
    order: list[tuple[str, str, str | None]] = [(root, "base", None)]
    seen = {root}
    i = 0
    while i < len(order) and len(order) < MAX_FAMILY:
        for child, relation in sorted(_children(session, order[i][0])):
            if child not in seen:
                seen.add(child)
                order.append((child, relation, order[i][0]))
        i += 1
    rows = {m.model_id: m for m in session.scalars(select(Model).where(Model.model_id.in_(seen)))}
    members = [FamilyMember(mid, role, base,
                            rows[mid].parameters if mid in rows else None, mid in rows,
                            rows[mid].metadata_fetched_at if mid in rows else None) for mid, role, base in order]
    pks = {m.id: m.model_id for m in rows.values()}
    return Family(root, members, _family_energy(session, pks), _family_quality(session, pks))


def _family_energy(session: Session, pks: dict[int, str]) -> list[dict]:
    out = []
    stmt = select(Measurement).where(Measurement.model_pk.in_(pks))
    acc: dict[tuple, list[float]] = defaultdict(list)
    for m in session.scalars(stmt):
        for basis, kwh, tier in (("gpu", m.gpu_energy_kwh, m.tier_gpu), ("total", m.energy_kwh, m.tier_total)):
            if kwh is not None:
                group = ComparisonGroup(m.hardware, basis, tier, m.window)
                acc[(pks[m.model_pk], m.task, m.dataset, group.label)].append(kwh * 1e6 / m.inferences)
    for (mid, task, dataset, group), values in sorted(acc.items()):
        out.append({"model_id": mid, "task": task, "dataset": dataset, "group": group,
                    "wh_per_1k": sum(values) / len(values), "measurements": len(values)})
    return out


def _family_quality(session: Session, pks: dict[int, str]) -> list[dict]:
    stmt = select(QualityScore).where(QualityScore.model_pk.in_(pks))
    acc: dict[tuple, list[float]] = defaultdict(list)
    for q in session.scalars(stmt):
        acc[(pks[q.model_pk], q.task, q.dataset, q.split, q.metric, q.slice)].append(q.value_fraction)
    return [{"model_id": k[0], "task": k[1], "dataset": k[2], "split": k[3], "metric": k[4], "slice": k[5],
             "value": sum(v) / len(v), "scores": len(v)} for k, v in sorted(acc.items())]


def family_side_by_side(family: Family, *, group: str | None, metric: str | None) -> list[dict]:
    """One row per member x task x dataset x slice: energy in ``group`` next to quality on ``metric``,
    and the change against the member's own base model (what a variant saves and what it costs)."""
    energy = {(r["model_id"], r["task"], r["dataset"]): r["wh_per_1k"] for r in family.energy if r["group"] == group}
    quality = {(r["model_id"], r["task"], r["dataset"], r["slice"]): r["value"]
               for r in family.quality if r["metric"] == metric}
    keys = {(m, t, d, "") for m, t, d in energy} | set(quality)
    roles = {m.model_id: m.role for m in family.members}
    bases = {m.model_id: m.base_model_id for m in family.members}
    rows = []
    for mid, task, dataset, slice_ in sorted(keys, key=lambda k: (k[1], k[2], k[3], list(roles).index(k[0]))):
        wh = energy.get((mid, task, dataset))
        q = quality.get((mid, task, dataset, slice_))
        base_wh = energy.get((bases[mid], task, dataset))
        base_q = quality.get((bases[mid], task, dataset, slice_))
        rows.append({
            "model_id": mid, "role": roles[mid], "base_model_id": bases[mid], "task": task, "dataset": dataset,
            "slice": slice_ or "all", "wh_per_1k": wh, "quality": q,
            "energy_vs_base_pct": (wh / base_wh - 1) * 100 if wh is not None and base_wh else None,
            "quality_vs_base_points": (q - base_q) * 100 if q is not None and base_q is not None else None,
        })
    return rows


def stored_record(session: Session, model_id: str) -> dict:
    """The model's stored metadata as JSON-ready dict (what ``effdash hub sync --json`` prints)."""
    m = session.scalar(select(Model).where(Model.model_id == model_id))
    if m is None:
        raise ModelNotFound(f"effdash has no model {model_id!r}.")
    n_quality = session.scalar(select(func.count()).select_from(QualityScore).where(QualityScore.model_pk == m.id))
    return {
        "model_id": m.model_id, "revision": m.revision, "pipeline_tag": m.pipeline_tag,
        "parameters": m.parameters, "parameters_derived": bool(m.parameters_derived),
        "parameters_source": m.parameters_source, "library": m.library, "license": m.license,
        "downloads": m.downloads, "likes": m.likes, "gated": m.gated, "private": m.private,
        "tags": model_tags(m), "author": m.author,
        "last_modified": m.hub_last_modified.isoformat() if m.hub_last_modified else None,
        "base_models": [{"model_id": b, "relation": r, "source": s} for b, r, s in session.execute(
            select(Lineage.base_model_id, Lineage.relation, Lineage.source).where(Lineage.model_pk == m.id)
            .order_by(Lineage.base_model_id))],
        "quality_scores": n_quality, "training_co2e_kg": m.training_co2e_kg,
        "training_co2e_source": m.training_co2e_source, "discovered_for_task": m.discovered_for_task,
        "metadata_source": m.metadata_source,
        "metadata_fetched_at": m.metadata_fetched_at.isoformat() if m.metadata_fetched_at else None,
    }
