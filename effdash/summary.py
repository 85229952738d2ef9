"""The energy summary: per model and comparison group, the sums the recommendation reads.

``energy_summary`` is derived from ``measurements``. Every writer that inserts or deletes
measurements updates it in its own transaction, so the summary never disagrees with the rows it is
built from: :func:`refresh_energy_summary` recomputes the models it touched, and an import, whose
rows all come from one new source, adds them with :func:`add_new_source` (reading only its rows).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, delete, distinct, func, insert, literal, select, union_all, update
from sqlalchemy.engine import Connection

from effdash.schema import EnergySummary, Measurement, Model

SLICE = 500  # model keys per statement (well under SQLite's and PostgreSQL's parameter limits)
_COLUMNS = ("task", "hardware", "basis", "tier", "window", "model_pk", "measurements", "wh_per_1k_sum",
            "wh_per_1k_sum_sq", "repeats", "repeat_std_wh_per_1k_max", "source_pk", "sources")


def _per_basis(basis: str, *where):
    m = Measurement
    kwh, std, tier = ((m.gpu_energy_kwh, m.std_gpu_energy_kwh, m.tier_gpu) if basis == "gpu"
                      else (m.energy_kwh, m.std_energy_kwh, m.tier_total))
    wh = kwh * 1e6 / m.inferences
    return (select(m.task, m.hardware, literal(basis), tier, m.window, m.model_pk, func.count(), func.sum(wh),
                   func.sum(wh * wh), func.sum(m.repeats), func.max(std * 1e6 / m.inferences),
                   func.min(m.source_pk), func.count(distinct(m.source_pk)))
            .where(kwh.is_not(None), *where)
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
            _COLUMNS, union_all(*(_per_basis(b, Measurement.model_pk.in_(part)) for b in ("gpu", "total")))))


def _group_key(row) -> tuple:
    return tuple(row[:6])  # task, hardware, basis, tier, window, model_pk


def add_new_source(conn: Connection, source_pk: int, after_id: int) -> None:
    """Fold the measurements of a source created in this transaction (an imported file: ids above
    ``after_id``, every one from ``source_pk``) into the summary, reading only those rows.

    The sums are additive, the largest spread and the lowest source id are a max and a min, and the
    count of distinct sources grows by one in every group the new source adds to (no stored row can
    be from a source made in this transaction): the same rows as :func:`refresh_energy_summary`
    would write, up to the order of floating-point addition."""
    m = Measurement
    new = conn.execute(union_all(*(_per_basis(b, m.id > after_id, m.source_pk == source_pk)
                                   for b in ("gpu", "total")))).all()
    by_model: dict[int, list] = {}
    for row in new:
        by_model.setdefault(row[5], []).append(row)
    pks = sorted(by_model)
    for i in range(0, len(pks), SLICE):
        part = pks[i:i + SLICE]
        _lock_models(conn, part)
        S = EnergySummary
        stored = {_group_key(r[1:]): r for r in conn.execute(
            select(S.id, *(getattr(S, c) for c in _COLUMNS)).where(S.model_pk.in_(part)))}
        inserts, updates = [], []
        for pk in part:
            for row in by_model[pk]:
                old = stored.get(_group_key(row))
                if old is None:
                    inserts.append(dict(zip(_COLUMNS, row)))
                    continue
                _, *_, n, total, total_sq, repeats, std, first_source, sources = old
                stds = [v for v in (std, row[10]) if v is not None]
                updates.append({
                    "pk": old[0], "n": n + row[6], "total": total + row[7], "total_sq": total_sq + row[8],
                    "repeats": (repeats or 0) + (row[9] or 0), "std": max(stds) if stds else None,
                    "first_source": min(first_source, row[11]), "sources": sources + row[12]})
        if inserts:
            conn.execute(insert(EnergySummary), inserts)
        if updates:
            conn.execute(update(EnergySummary).where(EnergySummary.id == bindparam("pk")).values(
                measurements=bindparam("n"), wh_per_1k_sum=bindparam("total"), wh_per_1k_sum_sq=bindparam("total_sq"),
                repeats=bindparam("repeats"), repeat_std_wh_per_1k_max=bindparam("std"),
                source_pk=bindparam("first_source"), sources=bindparam("sources")), updates)
