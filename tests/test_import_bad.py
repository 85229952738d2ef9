"""Bad files: each is refused with a message naming the row and column (or the file-level
problem), and the database is left exactly as it was (compared table by table)."""

import codecs
from pathlib import Path

import pytest
from sqlalchemy import func, select

from effdash.export import records, to_csv
from effdash.ingest import DuplicateFile, ImportOptions, InvalidUpload, Upload, import_file
from effdash.schema import Base, Measurement

DATA = Path(__file__).parent / "data" / "import"
HEADER = "model_id,task,hardware,wh_per_1k,quality_metric,quality_value,dataset\n"
GOOD = "org/good-model,text-classification,NVIDIA H100 80GB,1.5,accuracy,0.9,sst2\n"


def snapshot(store) -> dict:
    """Every row of every table: the database 'exactly as it was'."""
    with store.session() as s:
        return {t.name: sorted(map(tuple, s.execute(select(t)).all()), key=repr) for t in Base.metadata.sorted_tables}


@pytest.fixture
def seeded(store):
    """A database that already holds one imported file, so 'unchanged' is not just 'empty'."""
    import_file(store, Upload.from_path(DATA / "native_good.csv"))
    return store


def refuse(store, name: str, data: bytes, **options) -> InvalidUpload:
    before = snapshot(store)
    with pytest.raises(InvalidUpload) as info:
        import_file(store, Upload.from_bytes(name, data), ImportOptions(**options))
    assert snapshot(store) == before
    return info.value


def test_missing_required_column(seeded):
    err = refuse(seeded, "no_hardware.csv", b"model_id,task,wh_per_1k\norg/m,text-classification,1.0\n")
    assert "missing required column(s) hardware" in str(err)


def test_wrong_type_names_row_column_and_value(seeded):
    err = refuse(seeded, "wrong_type.csv", (HEADER + GOOD + GOOD.replace("1.5", "one point five")).encode())
    assert [(e.row, e.column, e.value) for e in err.errors] == [(3, "wh_per_1k", "one point five")]
    assert "row 3, column 'wh_per_1k' (value 'one point five'): Input should be a valid number" in str(err)
    assert "nothing was imported" in str(err)


def test_negative_energy(seeded):
    err = refuse(seeded, "negative.csv", (HEADER + GOOD.replace("1.5", "-1.5")).encode())
    assert (err.errors[0].row, err.errors[0].column) == (2, "wh_per_1k")
    assert "greater than 0" in err.errors[0].reason


@pytest.mark.parametrize("value", ["nan", "NaN", "inf"])
def test_nan_or_infinite_energy(seeded, value):
    err = refuse(seeded, "nan.csv", (HEADER + GOOD.replace("1.5", value)).encode())
    assert (err.errors[0].row, err.errors[0].column) == (2, "wh_per_1k")
    assert "finite number" in err.errors[0].reason


def test_unknown_task(seeded):
    err = refuse(seeded, "task.csv", (HEADER + GOOD.replace("text-classification", "mind-reading")).encode())
    assert (err.errors[0].row, err.errors[0].column, err.errors[0].value) == (2, "task", "mind-reading")
    assert "unknown task" in err.errors[0].reason


def test_empty_file(seeded):
    assert "the file is empty" in str(refuse(seeded, "empty.csv", b""))
    assert "the file is empty" in str(refuse(seeded, "blank.csv", b"\n\n  \n"))


def test_header_only(seeded):
    assert "no data rows" in str(refuse(seeded, "header_only.csv", HEADER.encode()))


def test_binary_garbage(seeded):
    garbage = bytes(range(256)) * 40
    assert "binary file" in str(refuse(seeded, "garbage.csv", garbage))


def test_spreadsheet_workbook(seeded):
    assert "Save the sheet as CSV" in str(refuse(seeded, "book.xlsx", b"PK\x03\x04" + b"\x14" * 200))


def test_wrong_delimiter(seeded):
    text = HEADER.replace(",", "|") + GOOD.replace(",", "|")
    err = refuse(seeded, "pipes.csv", text.encode())
    assert "cannot tell which format" in str(err) and "model_id|task|hardware" in str(err)


def test_utf8_bom_does_not_hide_the_first_column(seeded):
    """A BOM must not glue itself to 'model_id': the bad model id is reported under its real column."""
    data = codecs.BOM_UTF8 + (HEADER + GOOD.replace("org/good-model", "not a model id!")).encode()
    err = refuse(seeded, "bom.csv", data)
    assert (err.errors[0].row, err.errors[0].column) == (2, "model_id")


def test_cp1252_names_are_reported_as_text(seeded):
    data = (HEADER + GOOD.replace("org/good-model", "org/modèle-été")).encode("cp1252")
    err = refuse(seeded, "cp1252.csv", data)
    assert err.errors[0].column == "model_id" and err.errors[0].value == "org/modèle-été"


def test_duplicate_file_is_refused(seeded):
    before = snapshot(seeded)
    with pytest.raises(DuplicateFile, match="already imported .* import #1"):
        import_file(seeded, Upload.from_bytes("renamed.csv", (DATA / "native_good.csv").read_bytes()))
    assert snapshot(seeded) == before


def test_quality_out_of_range(seeded):
    err = refuse(seeded, "pct.csv", (HEADER + GOOD.replace("0.9,", "91.3,")).encode())
    assert (err.errors[0].row, err.errors[0].column, err.errors[0].value) == (2, "quality_value", "91.3")
    assert "less than or equal to 1" in err.errors[0].reason


def test_mixed_units_wh_and_kwh(seeded):
    text = ("model_id,task,hardware,wh_per_1k,energy_kwh,inferences\n"
            "org/m,text-classification,NVIDIA H100 80GB,1.5,1.5,1000\n")  # 1.5 kWh is 1500 Wh per 1000
    err = refuse(seeded, "mixed.csv", text.encode())
    assert (err.errors[0].row, err.errors[0].column) == (2, "wh_per_1k")
    assert "factor of 1000" in err.errors[0].reason


def test_components_exceeding_the_total(seeded):
    text = ("model_id,task,hardware,energy_kwh,inferences,gpu_energy_kwh\n"
            "org/m,text-classification,NVIDIA H100 80GB,0.002,1000,2.0\n")
    err = refuse(seeded, "components.csv", text.encode())
    assert (err.errors[0].row, err.errors[0].column) == (2, "energy_kwh") and "add up to more" in err.errors[0].reason


def test_huge_field(seeded):
    text = HEADER + GOOD + GOOD.replace("sst2", "x" * 200_000)
    err = refuse(seeded, "huge.csv", text.encode())
    assert err.errors[0].row == 3 and "longer than 131,072 characters" in err.errors[0].reason


def test_formula_looking_model_id_is_rejected(seeded):
    text = HEADER + GOOD.replace("org/good-model", '"=HYPERLINK(""http://evil.example"",""x"")"')
    err = refuse(seeded, "formula.csv", text.encode())
    assert (err.errors[0].row, err.errors[0].column) == (2, "model_id")
    assert err.errors[0].value.startswith("=HYPERLINK(")


def test_formula_looking_text_is_stored_as_text_and_exported_safely(store):
    text = HEADER + GOOD.replace("sst2", "=1+2")
    import_file(store, Upload.from_bytes("formula_text.csv", text.encode()))
    with store.session() as s:
        assert s.scalar(select(Measurement.dataset)) == "=1+2"  # never evaluated: not 3
        exported = to_csv(records(s, "measurements"))
    assert ",'=1+2," in exported


def test_file_over_the_size_limit(seeded):
    err = refuse(seeded, "big.csv", (HEADER + GOOD * 100).encode(), max_bytes=1000)
    assert "over the limit" in str(err)


def test_invalid_json(seeded):
    err = refuse(seeded, "report.json", b'{"prefill": {"energy": {"unit": "kWh",\n "total": 0.1}')
    assert "not valid JSON" in str(err) and err.errors[0].row == 2


def test_row_with_a_stray_delimiter(seeded):
    err = refuse(seeded, "stray.csv", (HEADER + GOOD.replace("sst2", "sst2,extra")).encode())
    assert err.errors[0].row == 2 and "8 cells but the header has 7" in err.errors[0].reason


def test_codecarbon_without_task_or_inferences(seeded):
    err = refuse(seeded, "emissions.csv", (DATA / "codecarbon_3.0_32col.csv").read_bytes())
    assert "does not say the task (--task" in str(err) and "--inferences" in str(err)


def test_codecarbon_gpu_without_energy_reading(seeded):
    text = (DATA / "codecarbon_3.0_32col.csv").read_text().replace(",0.003512,", ",0,")
    err = refuse(seeded, "emissions.csv", text.encode(), task="text-generation", inferences=100)
    assert (err.errors[0].row, err.errors[0].column) == (2, "gpu_energy") and "#1316" in err.errors[0].reason


def test_every_bad_row_is_listed_and_nothing_is_half_loaded(seeded):
    rows = [GOOD.replace("org/good-model", f"org/m{i}") for i in range(5)]
    rows[1] = rows[1].replace("1.5", "-2")
    rows[3] = rows[3].replace("text-classification", "nope")
    err = refuse(seeded, "two_bad.csv", (HEADER + "".join(rows)).encode())
    assert [(e.row, e.column) for e in err.errors] == [(3, "wh_per_1k"), (5, "task")]
    assert "2 of 5 rows rejected" in str(err)


def test_valid_rows_only_must_be_chosen_explicitly(store):
    rows = [GOOD.replace("org/good-model", f"org/m{i}") for i in range(3)]
    rows[1] = rows[1].replace("1.5", "abc")
    plan = import_file(store, Upload.from_bytes("partial.csv", (HEADER + "".join(rows)).encode()),
                       ImportOptions(valid_rows_only=True))
    assert (plan.rows_total, plan.rows_new, plan.rows_rejected) == (3, 2, 1)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "wh_per_1k")]
    with store.session() as s:
        assert s.scalar(select(func.count(Measurement.id))) == 2
