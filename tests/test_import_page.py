"""The Upload page in AppTest: drop files, see the preview and the plan, confirm, find the data stored."""

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from effdash.schema import ImportBatch, Measurement

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "import"


@pytest.fixture
def page(store, monkeypatch):
    monkeypatch.setenv("EFFDASH_DATABASE_URL", store.url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    return at.switch_page("pages/upload.py").run()


def stored(store) -> tuple[int, int]:
    with store.session() as s:
        return s.scalar(select(func.count(Measurement.id))), s.scalar(select(func.count(ImportBatch.id)))


def test_upload_preview_plan_and_confirm(page, store):
    assert not page.exception
    page.file_uploader(key="upload_files").set_value([
        ("text_generation.csv", (DATA / "text_generation.csv").read_bytes(), "text/csv"),
        ("native_good.csv", (DATA / "native_good.csv").read_bytes(), "text/csv"),
    ]).run()
    assert not page.exception
    assert [s.value for s in page.selectbox if s.label == "Format"] == ["aienergyscore", "native"]
    plans = [m.value for m in page.markdown if m.value.startswith("**Plan:**")]
    assert plans[0].startswith("**Plan:** 3 new, 0 duplicates skipped, 0 rejected")
    assert plans[1].startswith("**Plan:** 3 new, 0 duplicates skipped, 0 rejected; 2 quality scores")
    preview = page.dataframe[1].value  # after the template's column table
    assert list(preview["model"])[:2] == ["distilbert/distilgpt2", "openai-community/gpt2"]
    # 0.001313333 kWh per 1000 queries = 1.313333 Wh per 1000 (GPU)
    assert preview["Wh per 1000 (GPU)"].iloc[0] == pytest.approx(1.313333)
    assert stored(store) == (0, 0)  # nothing before the confirmation
    page.button(key="confirm").click().run()
    assert not page.exception
    # (the import number is the batch id: on PostgreSQL the dry runs before used up sequence values)
    assert any(re.match(r"Imported text\\_generation\\.csv as import #\d+: 3 new", s.value) for s in page.success)
    assert stored(store) == (6, 2)
    compare = page.switch_page("pages/compare.py").run()  # the new figures show at once
    assert not compare.exception
    task = next(s for s in compare.selectbox if s.label == "Task")
    assert task.value == "text-classification"
    assert set(task.options) == {"Text classification", "Text generation"}  # both imported tasks
    models = set(compare.dataframe[-1].value["model"])
    assert "distilbert/distilbert-base-uncased-finetuned-sst-2-english" in models


def test_bad_file_shows_the_reason_and_cannot_be_imported(page, store):
    bad = b"model_id,task,hardware,wh_per_1k\norg/m,text-classification,H100,-1\n"
    page.file_uploader(key="upload_files").set_value([("bad.csv", bad, "text/csv")]).run()
    assert not page.exception
    reasons = page.dataframe[-1].value
    assert (reasons["row"].iloc[0], reasons["column"].iloc[0]) == (2, "wh_per_1k")
    assert "greater than 0" in reasons["reason"].iloc[0]
    assert page.button(key="confirm").disabled
    assert stored(store) == (0, 0)


def test_codecarbon_file_needs_task_and_inferences_from_the_form(page, store):
    page.file_uploader(key="upload_files").set_value(
        [("emissions.csv", (DATA / "codecarbon_3.0_32col.csv").read_bytes(), "text/csv")]).run()
    assert "does not say the task" in page.code[0].value
    next(s for s in page.selectbox if s.label == "Task").set_value("text-generation")
    next(n for n in page.number_input if n.label == "Inferences per run").set_value(500).run()
    assert not page.exception
    assert any(m.value.startswith("**Plan:** 1 new") for m in page.markdown)
    page.button(key="confirm").click().run()
    assert stored(store) == (1, 1)
