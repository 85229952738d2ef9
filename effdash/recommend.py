"""The recommendation: the smallest (or least-energy) model that is good enough.

Pure functions over :class:`Candidate` records; :mod:`effdash.candidates` builds them
from the database. Energy is Wh per 1000 inferences within one comparison group.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, Sequence

from effdash.carbon import GridIntensity, g_co2e
from effdash.stars import rate_cohorts, text_generation_class

Objective = Literal["params", "energy", "carbon"]
OBJECTIVES: dict[str, str] = {
    "params": "fewest parameters",
    "energy": "least energy per 1000 inferences",
    "carbon": "least carbon per 1000 inferences",
}
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Candidate:
    """One model as seen in one comparison: its energy in the group and its quality score."""

    model_id: str
    parameters: int | None = None
    wh_per_1k: float | None = None  # mean of its measurements in the group; None = none there
    wh_per_1k_std: float | None = None  # spread: across measurements, or across repeats if one
    measurements: int = 0
    repeats: int = 0
    quality: float | None = None  # on a 0..1 scale (or the metric's own scale if not bounded)
    quality_scores: int = 0
    other_groups: tuple[str, ...] = ()  # labels of groups where it has energy figures instead
    sources: tuple[str, ...] = ()
    stars: int | None = None
    g_co2e_per_1k: float | None = None
    size_class: str | None = None  # text-generation class A/B/C


@dataclass(frozen=True)
class Excluded:
    candidate: Candidate
    reason: str


@dataclass(frozen=True)
class Saving:
    """What the recommendation saves against one alternative."""

    versus: Candidate
    wh_per_1k: float
    percent: float
    kwh_per_year: float
    kg_co2e_per_year: float


@dataclass(frozen=True)
class Request:
    threshold: float
    objective: Objective = "params"
    higher_is_better: bool = True
    daily_inferences: int = 1_000_000
    rate_by_class: bool = False  # True for text generation (AI Energy Score classes)


@dataclass
class Recommendation:
    recommended: Candidate | None
    qualifying: list[Candidate]
    excluded: list[Excluded]
    candidates: list[Candidate]  # every candidate with energy in the group, with stars
    saving_vs_largest: Saving | None = None
    saving_vs_hungriest: Saving | None = None
    closest: list[Candidate] = field(default_factory=list)
    reason: str | None = None
    shown_of: int | None = None  # None: the lists are complete; else they are cut, of this many candidates


def _meets(c: Candidate, req: Request) -> bool:
    if req.higher_is_better:
        return c.quality >= req.threshold
    return c.quality <= req.threshold


def _sort_key(objective: Objective):
    def key(c: Candidate):
        params = c.parameters if c.parameters is not None else float("inf")
        if objective == "params":
            return (params, c.wh_per_1k, c.model_id)
        return (c.wh_per_1k, params, c.model_id)  # carbon ranks like energy on one grid

    return key


def with_stars(candidates: Sequence[Candidate], *, by_class: bool, grid: GridIntensity | None = None) -> list[Candidate]:
    """Rate every candidate that has energy in the group (AI Energy Score rule); with ``grid``,
    also fill in its carbon per 1000 inferences (one copy of each candidate either way)."""
    measured = [c for c in candidates if c.wh_per_1k is not None]
    classes = [text_generation_class(c.parameters) if by_class else None for c in measured]
    stars = rate_cohorts([c.wh_per_1k for c in measured], classes)
    rated = {}
    for c, s, k in zip(measured, stars, classes):
        carbon = g_co2e(c.wh_per_1k, grid) if grid is not None else c.g_co2e_per_1k
        rated[c.model_id] = replace(c, stars=s, size_class=k, g_co2e_per_1k=carbon)
    return [rated.get(c.model_id, c) for c in candidates]


def _saving(rec: Candidate, other: Candidate, req: Request, grid: GridIntensity) -> Saving:
    saved = other.wh_per_1k - rec.wh_per_1k
    kwh_per_year = saved * req.daily_inferences / 1000 * DAYS_PER_YEAR / 1000
    return Saving(
        versus=other,
        wh_per_1k=saved,
        percent=100.0 * saved / other.wh_per_1k if other.wh_per_1k else 0.0,
        kwh_per_year=kwh_per_year,
        kg_co2e_per_year=g_co2e(kwh_per_year * 1000, grid) / 1000,
    )


def _exclusion(c: Candidate, req: Request, metric_label: str) -> str | None:
    if c.wh_per_1k is None:
        if c.other_groups:
            return "measured only on other hardware or method tier: " + "; ".join(c.other_groups)
        return "not measured yet for this task"
    if c.quality is None:
        return f"no {metric_label} score"
    if not _meets(c, req):
        op = "<" if req.higher_is_better else ">"
        return f"below threshold ({c.quality:.4g} {op} {req.threshold:.4g})"
    return None


def no_recommendation_reason(any_scored: bool, req: Request, metric_label: str) -> str:
    if any_scored:
        return (f"No model measured in this group reaches {metric_label} "
                f"{'>=' if req.higher_is_better else '<='} {req.threshold:.4g}.")
    return f"No model measured in this group has a {metric_label} score."


def recommend(
    candidates: Sequence[Candidate], req: Request, grid: GridIntensity, metric_label: str = "quality"
) -> Recommendation:
    """Rank the qualifying candidates by the objective and explain every exclusion."""
    rated = with_stars(candidates, by_class=req.rate_by_class, grid=grid)
    qualifying, excluded = [], []
    for c in rated:
        reason = _exclusion(c, req, metric_label)
        if reason is None:
            qualifying.append(c)
        else:
            excluded.append(Excluded(c, reason))
    qualifying.sort(key=_sort_key(req.objective))
    in_group = [c for c in rated if c.wh_per_1k is not None]
    result = Recommendation(qualifying[0] if qualifying else None, qualifying, excluded, in_group)
    if result.recommended is None:
        scored = [c for c in in_group if c.quality is not None]
        result.closest = sorted(scored, key=lambda c: c.quality, reverse=req.higher_is_better)[:3]
        result.reason = no_recommendation_reason(bool(scored), req, metric_label)
        return result
    rec = result.recommended
    sized = [c for c in qualifying if c.parameters is not None]
    if sized:
        largest = max(sized, key=lambda c: (c.parameters, c.wh_per_1k))
        if largest.model_id != rec.model_id:
            result.saving_vs_largest = _saving(rec, largest, req, grid)
    hungriest = max(in_group, key=lambda c: c.wh_per_1k)
    if hungriest.model_id != rec.model_id:
        result.saving_vs_hungriest = _saving(rec, hungriest, req, grid)
    return result
