"""The recommendation without building every candidate: the group's rows read from ``energy_summary``
and the scores from the covering quality index (two queries, no per-row ORM objects), decided over
plain tuples, and only the candidates worth showing made into :class:`Candidate`.

Gives the same recommendation, savings, closest candidates, reason and stars as
:func:`effdash.recommend.recommend` over the full list (``tests/test_shortlist.py`` checks both
agree); its lists hold the shown candidates only, and ``Recommendation.shown_of`` says of how many.
Shown: the best qualifying by the objective, the excluded ones nearest the threshold, the Pareto
front, the closest, the first (by model id) of the unscored ones, and the best scored of the ones not
measured in the group (the candidates most worth measuring next; ties by model id).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from effdash.candidates import QualityKey, _in_group, _other_groups, _sources_by_model
from effdash.carbon import GridIntensity, g_co2e
from effdash.charts import pareto_front
from effdash.methods import ComparisonGroup
from effdash.recommend import (Candidate, Excluded, Recommendation, Request, _exclusion, _saving,
                              no_recommendation_reason)
from effdash.recommend import _sort_key as recommend_sort_key
from effdash.schema import EnergySummary as S, Model, QualityScore as Q
from effdash.stars import star_rating, text_generation_class

LOOKUP_SLICE = 5_000  # model keys per statement
SHOWN = 200  # about this many candidates at most: a quarter for each kind, plus the Pareto front
INF = float("inf")


def _scores(conn: Connection, task: str, key: QualityKey) -> dict[int, tuple[float, int]]:
    """pk -> (mean score on a 0..1 scale, number of scores) of every model scored for ``key``, read
    from the covering quality index alone."""
    stmt = (select(Q.model_pk, func.avg(Q.value / Q.scale_max), func.count())
            .where(Q.task == task, Q.metric == key.metric, Q.dataset == key.dataset, Q.split == key.split,
                   Q.slice == key.slice)
            .group_by(Q.model_pk))
    return {pk: (quality, n) for pk, quality, n in conn.execute(stmt).fetchall()}


def _group_rows(conn: Connection, task: str, group: ComparisonGroup,
                scores: dict[int, tuple[float, int]]) -> list[tuple]:
    """(pk, model_id, parameters, wh_per_1k, spread, measurements, repeats, quality, scores) per model
    with energy in the group (quality None and 0 scores when unscored)."""
    stmt = (select(S.model_pk, Model.model_id, Model.parameters, S.wh_per_1k_sum, S.wh_per_1k_sum_sq, S.measurements,
                   S.repeats, S.repeat_std_wh_per_1k_max)
            .join(Model, Model.id == S.model_pk).where(*_in_group(task, group)))
    out = []
    unscored = (None, 0)
    for pk, mid, params, total, total_sq, n, repeats, repeat_std in conn.execute(stmt).fetchall():
        mean = total / n
        spread = math.sqrt(max(total_sq / n - mean * mean, 0.0)) if n > 1 else repeat_std
        out.append((pk, mid, params, mean, spread, n, int(repeats or 0), *scores.get(pk, unscored)))
    return out


def _unmeasured(conn: Connection, scores: dict[int, tuple[float, int]], in_group: set[int], first: int,
                higher_is_better: bool) -> tuple[int, list[tuple]]:
    """(how many scored models have no energy in the group, the ``first`` best scored of them, ties by
    model id, as (pk, (model_id, parameters, quality, scores))). Model ids are read for those only."""
    rest = [(pk, quality, n) for pk, (quality, n) in scores.items() if pk not in in_group]
    if not rest or first <= 0:
        return len(rest), []
    sign = 1 if higher_is_better else -1
    best = heapq.nsmallest(first, rest, key=lambda r: -sign * r[1])
    cut = best[-1][1]
    pool = [r for r in best if r[1] != cut] + [r for r in rest if r[1] == cut]  # all tied at the cut
    names: dict[int, tuple] = {}
    pks = [r[0] for r in pool]
    for i in range(0, len(pks), LOOKUP_SLICE):
        names.update((pk, (mid, params)) for pk, mid, params in conn.execute(
            select(Model.id, Model.model_id, Model.parameters).where(Model.id.in_(pks[i:i + LOOKUP_SLICE]))))
    chosen = sorted(pool, key=lambda r: (-sign * r[1], names[r[0]][0]))[:first]
    return len(rest), [(pk, (*names[pk], quality, n)) for pk, quality, n in chosen]


def _sort_key(objective: str):
    def key(r):
        params = r[2] if r[2] is not None else INF
        return (params, r[3], r[1]) if objective == "params" else (r[3], params, r[1])
    return key


def _star_bounds(rows: list[tuple], by_class: bool) -> dict[str | None, tuple[float, float]]:
    """cohort -> (lowest, highest) Wh per 1000 in the whole group (AI Energy Score rule)."""
    if not by_class:
        values = [r[3] for r in rows]
        return {None: (min(values), max(values))} if values else {}
    bounds: dict[str | None, tuple[float, float]] = {}
    for r in rows:
        cohort = text_generation_class(r[2])
        low, high = bounds.get(cohort, (INF, -INF))
        bounds[cohort] = (min(low, r[3]), max(high, r[3]))
    return bounds


class _Builder:
    """Makes Candidates of chosen rows (stars, carbon, sources) once each."""

    def __init__(self, session, task, rows, req: Request, grid: GridIntensity):
        self.session, self.task, self.grid, self.by_class = session, task, grid, req.rate_by_class
        self.bounds = _star_bounds(rows, req.rate_by_class)
        self.made: dict[str, Candidate] = {}

    def make(self, picked: Iterable[tuple]) -> None:
        new = [r for r in picked if r[1] not in self.made]
        sources = _sources_by_model(self.session, self.task, {r[0] for r in new})
        for pk, mid, params, wh, spread, n, repeats, quality, scores in new:
            size_class = text_generation_class(params) if self.by_class else None
            stars = star_rating(wh, *self.bounds[size_class])
            self.made[mid] = Candidate(
                model_id=mid, parameters=params, wh_per_1k=wh, wh_per_1k_std=spread, measurements=n,
                repeats=repeats, quality=quality, quality_scores=scores, sources=tuple(sources.get(pk, ())),
                stars=stars, g_co2e_per_1k=g_co2e(wh, self.grid), size_class=size_class)


def _meets(quality: float, req: Request) -> bool:
    return quality >= req.threshold if req.higher_is_better else quality <= req.threshold


def _first_max(rows: list[tuple], value, tie_break) -> tuple:
    """The row with the largest ``value``; among equals the smallest ``tie_break`` (as max() over the
    full list in its order would pick)."""
    top = max(value(r) for r in rows)
    return min((r for r in rows if value(r) == top), key=tie_break)


def _saving_ends(rows, qualifying, req: Request) -> tuple[tuple | None, tuple]:
    """(the largest qualifying row with a known size, or None; the most energy-hungry row)."""
    sized = [r for r in qualifying if r[2] is not None]
    largest = _first_max(sized, lambda r: (r[2], r[3]), _sort_key(req.objective)) if sized else None
    return largest, _first_max(rows, lambda r: r[3], lambda r: r[1])


def _add_savings(result: Recommendation, rec, largest, hungriest, req: Request, grid, b: _Builder) -> None:
    if largest is not None and largest[1] != rec[1]:
        result.saving_vs_largest = _saving(b.made[rec[1]], b.made[largest[1]], req, grid)
    if hungriest[1] != rec[1]:
        result.saving_vs_hungriest = _saving(b.made[rec[1]], b.made[hungriest[1]], req, grid)


def _unmeasured_candidates(session, task, group, first: list[tuple]) -> list[Candidate]:
    others = _other_groups(session, task, {pk for pk, *_ in first}, group)
    return [Candidate(model_id=mid, parameters=params, quality=quality, quality_scores=scores,
                      other_groups=tuple(others.get(pk, ()))) for pk, (mid, params, quality, scores) in first]


def _shown_rows(rows: list[tuple], req: Request, each: int) -> tuple[list[tuple], list[tuple]]:
    """(qualifying rows, rows worth showing): see the module docstring."""
    scored = [r for r in rows if r[7] is not None]
    qualifying = [r for r in scored if _meets(r[7], req)]
    below = [r for r in scored if not _meets(r[7], req)]
    front = set(pareto_front([(r[1], r[3], r[7]) for r in scored], req.higher_is_better))
    shown = (heapq.nsmallest(each, qualifying, key=_sort_key(req.objective))
             + heapq.nsmallest(each, below, key=lambda r: (abs(r[7] - req.threshold), r[1]))
             + heapq.nsmallest(each, [r for r in rows if r[7] is None], key=lambda r: r[1])
             + [r for r in scored if r[1] in front])
    if not qualifying:
        sign = -1 if req.higher_is_better else 1
        shown += sorted(scored, key=lambda r: (sign * r[7], r[1]))[:3]  # the closest
    return qualifying, shown


def shortlist(session: Session, task: str, group: ComparisonGroup, key: QualityKey, req: Request,
              grid: GridIntensity, metric_label: str = "quality", shown: int = SHOWN) -> Recommendation:
    """The recommendation within ``group`` for ``key``, with about ``shown`` candidates in its lists."""
    conn = session.connection()
    scores = _scores(conn, task, key)
    rows = _group_rows(conn, task, group, scores)
    unmeasured_total, first = _unmeasured(conn, scores, {r[0] for r in rows}, shown // 4, req.higher_is_better)
    b = _Builder(session, task, rows, req, grid)
    qualifying, picked = _shown_rows(rows, req, shown // 4)
    rec = min(qualifying, key=_sort_key(req.objective)) if qualifying else None
    ends = _saving_ends(rows, qualifying, req) if rec else (None, None)
    b.make(picked + [r for r in ends if r is not None])  # one read of their sources
    result = Recommendation(b.made[rec[1]] if rec else None, [], [], [], shown_of=len(rows) + unmeasured_total)
    if rec is None:
        scored = [c for c in b.made.values() if c.quality is not None]
        sign = -1 if req.higher_is_better else 1
        result.closest = sorted(scored, key=lambda c: (sign * c.quality, c.model_id))[:3]
        result.reason = no_recommendation_reason(bool(scored), req, metric_label)
    else:
        _add_savings(result, rec, *ends, req, grid, b)
    result.candidates = sorted(b.made.values(), key=lambda c: c.model_id)
    for c in sorted(result.candidates + _unmeasured_candidates(session, task, group, first), key=lambda c: c.model_id):
        reason = _exclusion(c, req, metric_label)
        if reason is None:
            result.qualifying.append(c)
        else:
            result.excluded.append(Excluded(c, reason))
    result.qualifying.sort(key=recommend_sort_key(req.objective))
    return result
