"""The energy summary: per model and comparison group, the sums the recommendation reads.

``energy_summary`` is derived from ``measurements``. Every writer that inserts or deletes
measurements updates it in its own transaction, so the summary never disagrees with the rows it is
built from: :func:`refresh_energy_summary` recomputes the models it touched, and an import, whose
rows all come from one new source, adds them with :class:`NewSourceRows` (reading only its rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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


_NOTHING = (0, 0.0, 0.0, 0, None)


def _combined(a: Sequence, b: Sequence) -> tuple:
    """Two (n, sum, sum of squares, repeats, largest spread) of one group as one."""
    spreads = [v for v in (a[4], b[4]) if v is not None]
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], (a[3] or 0) + (b[3] or 0), max(spreads) if spreads else None)


def _group_key(row) -> tuple:
    return tuple(row[:6])  # task, hardware, basis, tier, window, model_pk


class NewSourceRows:
    """The summary sums of the measurements that one transaction adds under a source it created (an
    imported file), gathered as they are written and then folded into ``energy_summary`` by
    :meth:`fold`, which reads only these rows and the summary rows of their models.

    Writers hand over each batch's sums (:meth:`add_sums`) when every row of it was inserted;
    rows not handed over (those above :attr:`covered_id`) are read back from the table once at the
    end. The sums are additive, the largest spread and the lowest source id are a max and a min, and
    the count of distinct sources grows by one in every group the new source adds to (no stored row
    can be from a source made in this transaction): the same rows as :func:`refresh_energy_summary`
    would write, up to the order of floating-point addition."""

    def __init__(self, conn: Connection, source_pk: int):
        self.source_pk = source_pk
        self.covered_id = conn.execute(select(func.max(Measurement.id))).scalar() or 0
        self.groups: dict[tuple, tuple] = {}  # group key -> (n, sum, sum of squares, repeats, largest spread)

    def _add(self, key: tuple, *sums) -> None:
        self.groups[key] = _combined(self.groups.get(key, _NOTHING), sums)

    def add_sums(self, sums: Iterable[tuple], upto_id: int) -> None:
        """The :func:`batch_sums` (keyed by model_pk) of a batch of inserted rows, all of them stored
        with ids up to ``upto_id``."""
        for *key, n, total, total_sq, repeats, std in sums:
            self._add(tuple(key), n, total, total_sq, repeats, std)
        self.covered_id = upto_id

    def read_back(self, conn: Connection, upto_id: int | None = None) -> None:
        """Read this source's rows above :attr:`covered_id` (up to ``upto_id``) from the table."""
        m = Measurement
        where = [m.id > self.covered_id, m.source_pk == self.source_pk]
        if upto_id is not None:
            where.append(m.id <= upto_id)
        for row in conn.execute(union_all(*(_per_basis(b, *where) for b in ("gpu", "total")))):
            self._add(_group_key(row), row[6], row[7], row[8], row[9], row[10])
        if upto_id is not None:
            self.covered_id = upto_id

    def fold(self, conn: Connection) -> None:
        """Add the gathered sums to the summary (in the caller's transaction)."""
        self.read_back(conn)
        by_model: dict[int, list] = {}
        for key in self.groups:
            by_model.setdefault(key[5], []).append(key)
        pks = sorted(by_model)
        S = EnergySummary
        for i in range(0, len(pks), SLICE):
            part = pks[i:i + SLICE]
            _lock_models(conn, part)
            stored = {_group_key(r[1:]): r for r in conn.execute(
                select(S.id, *(getattr(S, c) for c in _COLUMNS)).where(S.model_pk.in_(part)))}
            inserts, updates = [], []
            for pk in part:
                for key in by_model[pk]:
                    old = stored.get(key)
                    if old is None:
                        inserts.append(dict(zip(_COLUMNS, (*key, *self.groups[key], self.source_pk, 1))))
                        continue
                    *_, first_source, sources = old
                    n, total, total_sq, repeats, std = _combined(old[7:12], self.groups[key])  # stored sums
                    updates.append({
                        "pk": old[0], "n": n, "total": total, "total_sq": total_sq, "repeats": repeats, "std": std,
                        "first_source": min(first_source, self.source_pk), "sources": sources + 1})
            if inserts:
                conn.execute(insert(S), inserts)
            if updates:
                conn.execute(update(S).where(S.id == bindparam("pk")).values(
                    measurements=bindparam("n"), wh_per_1k_sum=bindparam("total"),
                    wh_per_1k_sum_sq=bindparam("total_sq"), repeats=bindparam("repeats"),
                    repeat_std_wh_per_1k_max=bindparam("std"), source_pk=bindparam("first_source"),
                    sources=bindparam("sources")), updates)


def batch_sums(cols: dict[str, Sequence], model: str = "model_pk") -> list[tuple]:
    """Summary sums of a batch of measurements given column by column (Measurement column names, with
    ``model`` naming the model column): (task, hardware, basis, tier, window, model, n, sum, sum of
    squares of Wh per 1000, repeats, largest spread) per group, computed as :func:`_per_basis` does."""
    import pandas as pd  # here: the CLI and the pages that never import do not pay for it

    frame = pd.DataFrame({c: cols[c] for c in (model, "task", "hardware", "window", "tier_gpu", "tier_total",
                                              "inferences", "repeats", "gpu_energy_kwh", "energy_kwh")})
    for std in ("std_gpu_energy_kwh", "std_energy_kwh"):
        frame[std] = cols.get(std)
    out = []
    for basis, kwh, std, tier in (("gpu", "gpu_energy_kwh", "std_gpu_energy_kwh", "tier_gpu"),
                                  ("total", "energy_kwh", "std_energy_kwh", "tier_total")):
        part = frame[frame[kwh].notna()]
        if part.empty:
            continue
        wh = part[kwh].astype(float) * 1e6 / part["inferences"]
        sums = pd.DataFrame({
            "task": part["task"], "hardware": part["hardware"], "tier": part[tier].fillna(""),
            "window": part["window"], "model": part[model], "wh": wh, "wh_sq": wh * wh,
            "repeats": part["repeats"], "std": part[std].astype(float) * 1e6 / part["inferences"],
        }).groupby(["task", "hardware", "tier", "window", "model"], sort=False).agg(
            n=("wh", "size"), total=("wh", "sum"), total_sq=("wh_sq", "sum"), repeats=("repeats", "sum"),
            std=("std", "max"))
        out += [(task, hardware, basis, tier_ or None, window, key.item() if hasattr(key, "item") else key, int(n),
                 float(total), float(total_sq), int(repeats), None if spread != spread else float(spread))
                for (task, hardware, tier_, window, key), n, total, total_sq, repeats, spread in sums.itertuples()]
    return out
