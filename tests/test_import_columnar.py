"""The columnar fast path for large native files stores exactly what the row-by-row path stores,
and hands any cell it does not accept back to the row-by-row path, which names the row."""

import pytest
from sqlalchemy import select

import effdash.ingest as ingest
from effdash.ingest import InvalidUpload, Upload, import_file
from effdash.schema import Measurement, Model
from effdash.store import Store

HEADER = ("model_id,task,hardware,wh_per_1k,energy_kwh,inferences,gpu_energy_kwh,cpu_energy_kwh,ram_energy_kwh,"
          "method,dataset,batch_size,precision,country_iso,window,repeats\n")
ROWS = [
    "org/a,text_classification,NVIDIA H100 80GB,1.5,,,,,,nvml_counter,sst2,1,fp32,FRA,inference,3\n",
    "org/b,text-classification,NVIDIA H100 80GB,,0.0045,2000,0.003,0.001,0.0005,gpu=nvml_counter;cpu=rapl;ram=estimate,"
    "sst2,,,,whole_run,\n",
    "org/c,summarization,  NVIDIA H100 80GB ,,,,0.002,,,nvml_counter,,,,usa,,\n",  # GPU only, from the component
    "org/d,summarization,NVIDIA H100 80GB,,,,0.002,0.0005,,estimate,cnn,4,fp16,,,10\n",  # total = gpu + cpu
    "org/a,text_classification,NVIDIA H100 80GB,1.5,,,,,,nvml_counter,sst2,1,fp32,FRA,inference,3\n",  # duplicate
]
COLUMNS = [c for c in Measurement.__table__.columns.keys() if c not in ("id", "created_at", "source_pk", "model_pk")]


def stored(url: str) -> list[tuple]:
    s = Store(url)
    try:
        with s.session() as session:
            rows = session.execute(select(Measurement, Model.model_id).join(Model)).all()
            return sorted((model_id, *(getattr(m, c) for c in COLUMNS)) for m, model_id in rows)
    finally:
        s.dispose()


@pytest.mark.sqlite_only
def test_columnar_and_row_paths_store_the_same_rows(tmp_path, monkeypatch):
    data = (HEADER + "".join(ROWS)).encode()
    urls = {}
    parses = []
    parse_upload = ingest.parse_upload
    monkeypatch.setattr(ingest, "parse_upload", lambda *a: parses.append(1) or parse_upload(*a))
    for path, min_bytes in (("columns", 0), ("rows", 1 << 40)):
        monkeypatch.setattr(ingest, "COLUMNAR_MIN_BYTES", min_bytes)
        urls[path] = f"sqlite:///{tmp_path / path}.db"
        store = Store(urls[path])
        parses.clear()
        plan = import_file(store, Upload.from_bytes("same.csv", data))
        store.dispose()
        assert (plan.rows_total, plan.rows_new, plan.rows_duplicate) == (5, 4, 1)
        assert len(parses) == 1, "the columnar path must take this file, not hand it back to the row path"
    by_columns, by_rows = stored(urls["columns"]), stored(urls["rows"])
    assert by_columns == by_rows
    c = dict(zip(["model_id", *COLUMNS], by_columns[2]))  # org/c: GPU only, 0.002 kWh per 1000 = 2 Wh per 1000
    assert (c["energy_kwh"], c["gpu_energy_kwh"], c["hardware"], c["country_iso"]) == (None, 0.002, "NVIDIA H100 80GB",
                                                                                         "USA")
    d = dict(zip(["model_id", *COLUMNS], by_columns[3]))  # org/d: 0.002 + 0.0005 = 0.0025 kWh
    assert d["energy_kwh"] == pytest.approx(0.0025) and d["tier_total"] == "estimate"


def test_a_bad_cell_in_a_large_file_is_named_by_row(store, monkeypatch):
    monkeypatch.setattr(ingest, "COLUMNAR_MIN_BYTES", 0)
    rows = [ROWS[0].replace("org/a", f"org/m{i}") for i in range(1000)]
    rows[700] = rows[700].replace(",1.5,", ",-1.5,")
    with pytest.raises(InvalidUpload) as info:
        import_file(store, Upload.from_bytes("large.csv", (HEADER + "".join(rows)).encode()))
    assert [(e.row, e.column) for e in info.value.errors] == [(702, "wh_per_1k")]
    with store.session() as s:
        assert s.scalar(select(Measurement.id)) is None


def test_a_large_file_overlapping_stored_rows_adds_only_the_new_ones(store, monkeypatch):
    """ROWS[:2] stored first; the second file repeats them (and ROWS[0] twice) and adds org/c and
    org/d: 2 new, 3 duplicates, every measurement stored once."""
    monkeypatch.setattr(ingest, "COLUMNAR_MIN_BYTES", 0)
    first = import_file(store, Upload.from_bytes("first.csv", (HEADER + "".join(ROWS[:2])).encode()))
    assert (first.rows_new, first.rows_duplicate) == (2, 0)
    second = import_file(store, Upload.from_bytes("second.csv", (HEADER + "".join(ROWS)).encode()))
    assert (second.rows_total, second.rows_new, second.rows_duplicate) == (5, 2, 3)
    with store.session() as s:
        ids = s.scalars(select(Model.model_id).join(Measurement, Measurement.model_pk == Model.id)).all()
    assert sorted(ids) == ["org/a", "org/b", "org/c", "org/d"]


def test_the_parser_process_ends_when_the_import_fails_midway(store, monkeypatch, tmp_path):
    """A write that fails after the first chunk rolls everything back and leaves no parser behind."""
    from effdash.ingest import native_columns
    from tests.test_import_cli import parser_processes

    path = tmp_path / "large.csv"
    path.write_text(HEADER + "".join(ROWS[0].replace("org/a", f"org/m{i}") for i in range(120_000)), encoding="utf-8")
    calls = []

    def failing_write(*args):
        calls.append(1)
        raise RuntimeError("disk full")

    monkeypatch.setattr(native_columns, "_write", failing_write)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(store, Upload.from_path(path))
    assert calls == [1]
    assert parser_processes(path) == []
    with store.session() as s:
        assert s.scalar(select(Measurement.id)) is None
