"""One comparison, end to end: choose the quality key and group, load candidates, recommend."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from effdash.candidates import (QualityKey, list_groups, list_quality_keys, load_candidates,
                                scored_models_in_group)
from effdash.carbon import GridIntensity, grid_intensity
from effdash.errors import EffdashError
from effdash.methods import ComparisonGroup
from effdash.recommend import Recommendation, Request, recommend
from effdash.schema import QualityScore
from effdash.shortlist import shortlist


class NothingToCompare(EffdashError):
    """The task, metric or hardware asked for has no data."""


@dataclass
class Comparison:
    task: str
    key: QualityKey
    group: ComparisonGroup
    grid: GridIntensity
    request: Request
    result: Recommendation


def pick_quality_key(session: Session, task: str, metric: str | None, dataset: str | None,
                     split: str | None = None, slice: str | None = None) -> QualityKey:
    """The quality key matching the filters that the most models have."""
    if None not in (metric, dataset, split, slice) and session.scalar(select(QualityScore.id).where(
            QualityScore.task == task, QualityScore.metric == metric, QualityScore.dataset == dataset,
            QualityScore.split == split, QualityScore.slice == slice).limit(1)) is not None:
        return QualityKey(metric, dataset, split, slice)  # fully given (the page): one indexed look-up
    keys = list_quality_keys(session, task)
    for key, _ in keys:
        if ((metric is None or key.metric == metric) and (dataset is None or key.dataset == dataset)
                and (split is None or key.split == split) and (slice is None and key.slice == "" or key.slice == slice)):
            return key
    if not keys:
        raise NothingToCompare(
            f"effdash has no quality scores for {task} yet. Run `effdash init` to load the bundled "
            "reference data, or import scores (quality columns of the native CSV format)."
        )
    wanted = " ".join(x for x in (metric, dataset, split, slice) if x)
    have = "; ".join(k.label for k, _ in keys)
    raise NothingToCompare(f"No quality scores for {task} matching {wanted!r}. Available: {have}.")


def pick_group(session: Session, task: str, key: QualityKey, hardware: str | None = None,
               basis: str | None = None) -> ComparisonGroup:
    """The comparison group: filtered by hardware/basis, else the one where most scored models were measured."""
    groups = list_groups(session, task)
    if hardware:
        groups = [g for g in groups if hardware.lower() in g.group.hardware.lower()]
    if basis:
        groups = [g for g in groups if g.group.basis == basis]
    if not groups:
        raise NothingToCompare(
            f"No {task} measurements" + (f" on hardware matching {hardware!r}" if hardware else "")
            + (f" with basis {basis!r}" if basis else "") + ". Import or measure some first."
        )
    overlap = {g.group: scored_models_in_group(session, task, g.group, key) for g in groups}
    best = max(groups, key=lambda g: (overlap[g.group], g.models, g.group.basis == "gpu"))
    return best.group


def metric_higher_is_better(session: Session, task: str, key: QualityKey) -> bool:
    value = session.scalar(
        select(QualityScore.higher_is_better).where(QualityScore.task == task, QualityScore.metric == key.metric).limit(1)
    )
    return True if value is None else bool(value)


def compare(session: Session, *, task: str, threshold: float, metric: str | None = None,
            dataset: str | None = None, split: str | None = None, slice: str | None = None,
            group: ComparisonGroup | None = None, hardware: str | None = None, basis: str | None = None,
            objective: str = "params", daily_inferences: int = 1_000_000, country: str | None = None,
            complete: bool = True) -> Comparison:
    """Recommend for one task and quality key within one comparison group.

    ``complete=False`` (the Compare page) reads the recommendation from the energy summary and keeps
    only the candidates worth showing in the result's lists (:mod:`effdash.shortlist`); the
    recommendation, savings, closest and reason are the same either way."""
    key = pick_quality_key(session, task, metric, dataset, split, slice)
    if group is None:
        group = pick_group(session, task, key, hardware, basis)
    request = Request(
        threshold=threshold, objective=objective, higher_is_better=metric_higher_is_better(session, task, key),
        daily_inferences=daily_inferences, rate_by_class=task == "text-generation",
    )
    grid = grid_intensity(country)
    if not complete:
        return Comparison(task, key, group, grid, request,
                          shortlist(session, task, group, key, request, grid, key.label))
    candidates = load_candidates(session, task, group, key)
    return Comparison(task, key, group, grid, request, recommend(candidates, request, grid, key.label))


def status(candidate, result: Recommendation, reasons: dict[str, str] | None = None) -> str:
    """'recommended', 'qualifies', or the reason the candidate was excluded.

    ``reasons`` (model id -> exclusion reason) may be passed in when asking for many candidates,
    so that each lookup is a dict access instead of a scan of ``result.excluded``."""
    if result.recommended and candidate.model_id == result.recommended.model_id:
        return "recommended"
    if reasons is None:
        reasons = {e.candidate.model_id: e.reason for e in result.excluded}
    return reasons.get(candidate.model_id, "qualifies")


def comparison_rows(cmp: Comparison) -> list[dict]:
    """One row per candidate (measured in the group, or scored but excluded), units in the names."""
    res = cmp.result
    unmeasured = [e.candidate for e in res.excluded if e.candidate.wh_per_1k is None]
    reasons = {e.candidate.model_id: e.reason for e in res.excluded}
    return [
        {
            "model": c.model_id, "parameters (M)": c.parameters / 1e6 if c.parameters else None,
            "Wh per 1000 inferences": c.wh_per_1k, "± spread": c.wh_per_1k_std,
            "gCO2e per 1000": c.g_co2e_per_1k, cmp.key.metric: c.quality, "stars": c.stars,
            "measurements": c.measurements, "repeats": c.repeats, "status": status(c, res, reasons),
            "group": cmp.group.label if c.wh_per_1k is not None else None, "source": "; ".join(c.sources),
        }
        for c in res.candidates + unmeasured
    ]
