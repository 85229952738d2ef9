"""What the Compare page shows: a comparison cut to a few hundred candidates, whatever the database size.

The recommendation, its savings and the closest candidates are whole; the lists hold the candidates
a reader looks at (:mod:`effdash.shortlist`). The full list is :func:`effdash.compare.comparison_rows`
of ``compare(..., complete=True)`` (the CSV download).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from effdash.candidates import _in_group, _scored
from effdash.compare import Comparison, compare, comparison_rows
from effdash.schema import EnergySummary, Model


@dataclass(frozen=True)
class ComparisonView:
    cmp: Comparison  # result lists cut to the shown candidates
    rows: list[dict]  # comparison_rows of the shown candidates
    rows_total: int  # rows of the full comparison (the CSV)
    in_comparison: frozenset[str]  # of the model ids asked about, those that are in the comparison


def ids_in_comparison(session: Session, cmp: Comparison, model_ids: Iterable[str]) -> frozenset[str]:
    """Which of ``model_ids`` have energy in the comparison's group or a score for its key."""
    ids = list(model_ids)
    if not ids:
        return frozenset()
    measured = select(EnergySummary.model_pk).where(*_in_group(cmp.task, cmp.group))
    stmt = select(Model.model_id).where(Model.model_id.in_(ids),
                                        or_(Model.id.in_(measured), Model.id.in_(_scored(cmp.task, cmp.key))))
    return frozenset(session.scalars(stmt))


def comparison_view(session: Session, *, asked: Iterable[str] = (), **wanted) -> ComparisonView:
    """The comparison as the page shows it (``wanted``: the arguments of :func:`compare`)."""
    cmp = compare(session, complete=False, **wanted)
    rows = comparison_rows(cmp)
    return ComparisonView(cmp, rows, cmp.result.shown_of or len(rows), ids_in_comparison(session, cmp, asked))
