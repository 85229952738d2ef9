"""The energy summary: per model and comparison group, the sums the recommendation reads.

``energy_summary`` is derived from ``measurements``. Every writer that inserts or deletes
measurements calls :func:`refresh_energy_summary` for the models it touched, in its own
transaction, so the summary never disagrees with the rows it is built from.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, distinct, func, insert, literal, select, union_all
from sqlalchemy.engine import Connection

from effdash.schema import EnergySummary, Measurement, Model

SLICE = 500  # model keys per statement (well under SQLite's and PostgreSQL's parameter limits)
_COLUMNS = ("task", "hardware", "basis", "tier", "window", "model_pk", "measurements", "wh_per_1k_sum",
            "wh_per_1k_sum_sq", "repeats", "repeat_std_wh_per_1k_max", "source_pk", "sources")


def _per_basis(basis: str, model_pks: list[int]):
    m = Measurement
    kwh, std, tier = ((m.gpu_energy_kwh, m.std_gpu_energy_kwh, m.tier_gpu) if basis == "gpu"
                      else (m.energy_kwh, m.std_energy_kwh, m.tier_total))
    wh = kwh * 1e6 / m.inferences
    return (select(m.task, m.hardware, literal(basis), tier, m.window, m.model_pk, func.count(), func.sum(wh),
                   func.sum(wh * wh), func.sum(m.repeats), func.max(std * 1e6 / m.inferences),
                   func.min(m.source_pk), func.count(distinct(m.source_pk)))
            .where(kwh.is_not(None), m.model_pk.in_(model_pks))
            .group_by(m.task, m.hardware, tier, m.window, m.model_pk))


def _lock_models(conn: Connection, model_pks: list[int]) -> None:
    """PostgreSQL: one refresher per model at a time (row locks taken in key order, held to commit).
    Without it two writers of one model could each delete the rows they see and both insert, leaving
    two summary rows. NO KEY UPDATE does not wait for the key-share locks that inserting measurements
    takes. SQLite needs nothing: it has one writer at a time."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(Model.id).where(Model.id.in_(model_pks)).order_by(Model.id).with_for_update(key_share=True))


def refresh_energy_summary(conn: Connection, model_pks: Iterable[int]) -> None:
    """Recompute the summary rows of these models from their measurements (in the caller's transaction)."""
    pks = sorted(set(model_pks))
    for i in range(0, len(pks), SLICE):
        part = pks[i:i + SLICE]
        _lock_models(conn, part)
        conn.execute(delete(EnergySummary).where(EnergySummary.model_pk.in_(part)))
        conn.execute(insert(EnergySummary).from_select(
            _COLUMNS, union_all(_per_basis("gpu", part), _per_basis("total", part))))


def models_of_source(conn: Connection, source_pk: int) -> list[int]:
    """The models that have measurements from this source (e.g. one imported file)."""
    return list(conn.scalars(select(Measurement.model_pk).distinct().where(Measurement.source_pk == source_pk)))
