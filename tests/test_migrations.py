"""Upgrades keep data, on SQLite and PostgreSQL; a database newer than the code is refused.

The data test creates a database at the first schema revision, fills every table with
realistic rows (written with SQL Core against the tables as they are at that revision, not
through today's ORM), then upgrades one revision at a time to head and checks after every
step that each row is still there with the same values. With a single revision it checks
that a database made at 0001 opens at head and reads correctly through the library; it
becomes a real upgrade test as soon as a second revision is added.
"""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text

from effdash.compare import compare
from effdash.models_view import model_detail
from effdash.store import Store, _alembic_config, current_revision, head_revision, upgrade

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)

# Rows as a user's database would hold them at revision 0001, table by table in foreign-key order.
ROWS: dict[str, list[dict]] = {
    "import_batches": [dict(id=1, file_name="team-runs.csv", format="effdash_csv", content_sha256="a" * 64,
                            rows_total=3, rows_imported=2, rows_duplicate=0, rows_rejected=1, imported_at=T0)],
    "sources": [
        dict(id=1, kind="imported", citation="team-runs.csv (imported 2026-01-15)", url=None, repository=None,
             path="team-runs.csv", commit=None, paper=None, paper_location=None, import_batch_id=1, created_at=T0),
        dict(id=2, kind="published", citation="Example et al. (2025), Table 2", url="https://example.org/paper",
             repository=None, path=None, commit=None, paper="Example et al. (2025)", paper_location="Table 2",
             import_batch_id=None, created_at=T0),
    ],
    "models": [
        dict(id=1, model_id="org/base-model", revision="abc123", pipeline_tag="text-classification",
             parameters=125_000_000, parameters_source="model card", parameters_derived=False, library="transformers",
             license="apache-2.0", downloads=12345, likes=67, gated="false", private=False, tags='["en"]',
             author="org", hub_last_modified=T0, training_co2e_kg=12.5, training_co2e_source="card",
             discovered_for_task=None, metadata_source="hub", metadata_fetched_at=T0, created_at=T0),
        dict(id=2, model_id="org/small-finetune", revision=None, pipeline_tag="text-classification",
             parameters=66_000_000, parameters_source="derived from base", parameters_derived=True, library=None,
             license=None, downloads=None, likes=None, gated=None, private=None, tags=None, author=None,
             hub_last_modified=None, training_co2e_kg=None, training_co2e_source=None,
             discovered_for_task="text-classification", metadata_source=None, metadata_fetched_at=None, created_at=T0),
    ],
    "lineage": [dict(id=1, model_pk=2, base_model_id="org/base-model", relation="finetune", source="card")],
    "measurements": [
        # 0.004 kWh GPU over 1000 inferences = 4.0 Wh per 1000 (base); 0.0015 kWh = 1.5 Wh per 1000 (finetune)
        dict(id=1, model_pk=1, task="text-classification", dataset="sst2", input_set="sst2-v1",
             input_set_sha256="b" * 64, inferences=1000, repeats=2, energy_kwh=0.005, gpu_energy_kwh=0.004,
             cpu_energy_kwh=0.0007, ram_energy_kwh=0.0003, std_energy_kwh=0.0001, std_gpu_energy_kwh=0.00008,
             duration_s=12.5, batch_size=8, precision="fp16", hardware="NVIDIA A100-SXM4-80GB",
             gpu_model="NVIDIA A100-SXM4-80GB", gpu_count=1, cpu_model="AMD EPYC", cpu_count=32, ram_gb=256.0,
             gpu_method="nvml_counter", cpu_method="estimate", ram_method="estimate", tier_gpu="counter",
             tier_total="estimate", window="inference", idle_power_w=55.0, country_iso="FRA", region=None,
             carbon_intensity_g_per_kwh=56.0, software='{"torch": "2.13.0"}', hardware_detail='{"driver": "550"}',
             settings='{"warmup": 10}', source_stars=None, source_class=None, fingerprint="c" * 64, notes="ok",
             measured_at=T0, source_pk=1, created_at=T0),
        dict(id=2, model_pk=2, task="text-classification", dataset="sst2", input_set=None, input_set_sha256=None,
             inferences=1000, repeats=1, energy_kwh=None, gpu_energy_kwh=0.0015, cpu_energy_kwh=None,
             ram_energy_kwh=None, std_energy_kwh=None, std_gpu_energy_kwh=None, duration_s=None, batch_size=None,
             precision=None, hardware="NVIDIA A100-SXM4-80GB", gpu_model=None, gpu_count=None, cpu_model=None,
             cpu_count=None, ram_gb=None, gpu_method="nvml_counter", cpu_method=None, ram_method=None,
             tier_gpu="counter", tier_total="counter", window="inference", idle_power_w=None, country_iso=None,
             region=None, carbon_intensity_g_per_kwh=None, software=None, hardware_detail=None, settings=None,
             source_stars=4, source_class="A", fingerprint="d" * 64, notes=None, measured_at=None, source_pk=2,
             created_at=T0),
    ],
    "measurement_repeats": [
        dict(id=1, measurement_pk=1, repeat_index=0, energy_kwh=0.0049, gpu_energy_kwh=0.0039,
             cpu_energy_kwh=0.0007, ram_energy_kwh=0.0003, duration_s=12.4, started_at=T0, origin="line 2"),
        dict(id=2, measurement_pk=1, repeat_index=1, energy_kwh=0.0051, gpu_energy_kwh=0.0041,
             cpu_energy_kwh=0.0007, ram_energy_kwh=0.0003, duration_s=12.6, started_at=T0, origin="line 3"),
    ],
    "quality_scores": [
        dict(id=1, model_pk=1, task="text-classification", dataset="sst2", split="validation", metric="accuracy",
             value=94.0, scale_max=100.0, higher_is_better=True, slice="", source_pk=1, created_at=T0),
        dict(id=2, model_pk=2, task="text-classification", dataset="sst2", split="validation", metric="accuracy",
             value=91.0, scale_max=100.0, higher_is_better=True, slice="", source_pk=1, created_at=T0),
    ],
    "task_baselines": [dict(id=1, task="text-classification", wh_per_1k_mean=2.0, wh_per_1k_std=0.5,
                            hardware="NVIDIA A100-SXM4-80GB", basis="gpu", source_pk=2)],
    "failed_runs": [dict(id=1, model_id="org/too-big", task="text-generation", reason="CUDA out of memory",
                         error_type="out_of_memory", settings='{"batch_size": 64}', hardware="NVIDIA T4",
                         started_at=T0, failed_at=T0)],
    "jobs": [dict(id=1, kind="measure", status="done", progress=1.0, message="finished", params='{"model": "x"}',
                  cancel_requested=False, measurement_pk=1, created_at=T0, updated_at=T0)],
}


def revisions_first_to_head() -> list[str]:
    script = ScriptDirectory.from_config(_alembic_config(None))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def same(stored, expected) -> bool:
    if isinstance(expected, float):
        return stored is not None and math.isclose(stored, expected, rel_tol=1e-12)
    if isinstance(expected, datetime) and stored is not None:
        stored = stored if stored.tzinfo else stored.replace(tzinfo=timezone.utc)  # SQLite returns UTC, naive
    return stored == expected


def fill(engine) -> None:
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.begin() as conn:
        for table, rows in ROWS.items():
            conn.execute(meta.tables[table].insert(), rows)
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ROWS:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def check_every_row(engine, revision: str) -> None:
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as conn:
        for table, rows in ROWS.items():
            assert table in meta.tables, f"table {table} disappeared at revision {revision}"
            t = meta.tables[table]
            stored = {r.id: r._mapping for r in conn.execute(t.select())}
            assert sorted(stored) == [row["id"] for row in rows], f"{table} rows changed at revision {revision}"
            for row in rows:
                for column, value in row.items():
                    if column in t.c:
                        assert same(stored[row["id"]][column], value), (
                            f"{table}.{column} of row {row['id']} is {stored[row['id']][column]!r} "
                            f"after revision {revision}, was {value!r}")


def test_revisions_form_one_line_from_0001():
    revs = revisions_first_to_head()
    assert revs[0] == "0001"
    assert revs[-1] == head_revision()


def test_every_row_survives_each_upgrade_to_head(fresh_database):
    revs = revisions_first_to_head()
    store = Store(fresh_database(migrated=False), migrate=False)
    try:
        upgrade(store.engine, revs[0])
        assert current_revision(store.engine) == revs[0]
        fill(store.engine)
        for rev in revs[1:]:
            upgrade(store.engine, rev)
            check_every_row(store.engine, rev)
        check_every_row(store.engine, revs[-1])
    finally:
        store.dispose()
    reopened = Store(store.url)  # opening migrates to head (a no-op now) and reads through today's ORM
    try:
        assert current_revision(reopened.engine) == head_revision()
        with reopened.session() as s:
            cmp = compare(s, task="text-classification", threshold=0.90, metric="accuracy", basis="gpu")
            detail = model_detail(s, "org/small-finetune")
        # GPU basis: finetune 1.5 Wh per 1000 at accuracy 91/100 = 0.91 >= 0.90, 66M < 125M params
        assert cmp.result.recommended.model_id == "org/small-finetune"
        assert cmp.result.recommended.wh_per_1k == pytest.approx(1.5)
        assert cmp.result.recommended.quality == pytest.approx(0.91)
        assert [(lin.base_model_id, lin.relation) for lin in detail.bases] == [("org/base-model", "finetune")]
        with reopened.session() as s:  # new rows get ids after the migrated ones
            s.execute(text("INSERT INTO failed_runs (model_id, reason, failed_at) VALUES ('m', 'r', :t)"), {"t": T0})
            assert s.scalar(text("SELECT max(id) FROM failed_runs")) == 2
    finally:
        reopened.dispose()


def test_0002_fills_the_energy_summary_from_the_stored_measurements(fresh_database):
    store = Store(fresh_database(migrated=False), migrate=False)
    try:
        upgrade(store.engine, "0001")
        fill(store.engine)
        upgrade(store.engine, "0002")
        with store.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT model_pk, basis, tier, measurements, wh_per_1k_sum, wh_per_1k_sum_sq, repeats, "
                "repeat_std_wh_per_1k_max, source_pk, sources FROM energy_summary ORDER BY model_pk, basis")).all()
    finally:
        store.dispose()
    # base: GPU 0.004 kWh / 1000 = 4.0 Wh per 1000 (repeat spread 0.00008 kWh -> 0.08), total 0.005 -> 5.0
    # (spread 0.0001 -> 0.1); finetune: GPU 0.0015 -> 1.5, no total energy so no total row
    expected = [(1, "gpu", "counter", 1, 4.0, 16.0, 2, 0.08, 1, 1), (1, "total", "estimate", 1, 5.0, 25.0, 2, 0.1, 1, 1),
                (2, "gpu", "counter", 1, 1.5, 2.25, 1, None, 2, 1)]
    assert [tuple(r) for r in rows] == [tuple(pytest.approx(v) if isinstance(v, float) else v for v in e)
                                        for e in expected]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "effdash", *args], capture_output=True, text=True, timeout=120)


def test_a_database_newer_than_the_code_is_refused_by_the_cli(db_url):
    store = Store(db_url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    store.dispose()
    result = run_cli("recommend", "--db", db_url, "--task", "text-classification", "--metric", "accuracy",
                     "--min-quality", "0.5")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("effdash: error: The database is at schema revision 9999_from_the_future")
    assert "Upgrade effdash" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    check = Store(db_url, migrate=False)  # untouched: still at the newer revision, no table dropped
    try:
        assert current_revision(check.engine) == "9999_from_the_future"
        with check.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM models")).scalar() == 0
    finally:
        check.dispose()
