"""What the Compare page shows: a comparison cut to a few hundred candidates, whatever the database size.

The recommendation, its savings and the closest candidates are kept whole; the lists are cut to
the candidates a reader looks at (the best qualifying by the objective, the ones nearest the
threshold, the Pareto front, and the first of each kind of exclusion). The full list stays
available through :func:`effdash.compare.comparison_rows` (the CSV download).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from effdash.charts import pareto_front
from effdash.compare import Comparison, comparison_rows
from effdash.recommend import Candidate, Recommendation

SHOWN = 200  # about this many rows at most (a quarter of it for each kind, plus the Pareto front)


@dataclass(frozen=True)
class ComparisonView:
    cmp: Comparison  # result lists cut to the shown candidates
    rows: list[dict]  # comparison_rows of the shown candidates, in the same order as the full list
    rows_total: int  # rows in the full list (the CSV)
    model_ids: frozenset[str]  # every model in the full comparison


def _near_threshold(res: Recommendation, threshold: float, shown: int) -> list[Candidate]:
    below = [e.candidate for e in res.excluded
             if e.candidate.wh_per_1k is not None and e.candidate.quality is not None]
    return sorted(below, key=lambda c: (abs(c.quality - threshold), c.model_id))[:shown]


def shown_ids(cmp: Comparison, shown: int = SHOWN) -> set[str]:
    """Ids of the candidates worth showing: see the module docstring."""
    res, each = cmp.result, shown // 4
    scored = [c for c in res.candidates if c.quality is not None]
    front = pareto_front([(c.model_id, c.wh_per_1k, c.quality) for c in scored], cmp.request.higher_is_better)
    unscored = [e.candidate for e in res.excluded if e.candidate.quality is None][:each]
    unmeasured = [e.candidate for e in res.excluded if e.candidate.wh_per_1k is None][:each]
    picked = (res.qualifying[:each] + _near_threshold(res, cmp.request.threshold, each) + res.closest
              + unscored + unmeasured + ([res.recommended] if res.recommended else []))
    return set(front) | {c.model_id for c in picked}


def comparison_view(cmp: Comparison, shown: int = SHOWN) -> ComparisonView:
    """The comparison as the page shows it; unchanged when it has few candidates."""
    res = cmp.result
    every = [c.model_id for c in res.candidates] + [e.candidate.model_id for e in res.excluded
                                                     if e.candidate.wh_per_1k is None]
    if len(every) > shown:
        keep = shown_ids(cmp, shown)
        res = replace(res, qualifying=[c for c in res.qualifying if c.model_id in keep],
                      excluded=[e for e in res.excluded if e.candidate.model_id in keep],
                      candidates=[c for c in res.candidates if c.model_id in keep])
        cmp = replace(cmp, result=res)
    return ComparisonView(cmp, comparison_rows(cmp), len(every), frozenset(every))
