"""Every page run in Streamlit's AppTest with a real interaction, on the bundled reference data.

Expected recommendations were worked out by hand from data/sources/co2_inference/eval_performance.csv
(IMDB accuracy) and data/sources/model_parameters.csv:
- IMDB accuracy >= 0.90: lvwerra/distilbert-imdb (0.928, 66M) is the smallest; the other 66M model,
  distilbert-base-uncased-finetuned-sst-2-english, has 0.88412 and fails.
- IMDB accuracy >= 0.95: only the zero-shot models qualify (flan-t5-large 0.9634, flan-t5-xl 0.9663,
  flan-t5-xxl 0.9691, bloomz-1b7 0.9724, bloomz-3b 0.9778, bloomz-7b1 0.9786); the smallest is
  google/flan-t5-large (780M).
- IMDB accuracy >= 0.99: none; the closest is bigscience/bloomz-7b1 (0.9786).
"""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app(reference_store, monkeypatch):
    monkeypatch.setenv("EFFDASH_DATABASE_URL", reference_store.url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    return at


def _imdb(at, threshold):
    at.query_params["task"] = "text-classification"
    at.query_params["metric"] = "accuracy|imdb||"
    at.query_params["min"] = str(threshold)
    return at.run()


def test_compare_recommends_and_threshold_changes_it(app):
    at = _imdb(app, 0.90)
    assert not at.exception
    assert "Recommended: lvwerra/distilbert-imdb" in at.success[0].value
    assert at.metric[2].value == "0.928"  # its IMDB accuracy, as published
    at.slider[0].set_value(0.95).run()
    assert "Recommended: google/flan-t5-large" in at.success[0].value
    assert at.query_params["min"] == "0.95"  # the view is shareable through the URL
    at.slider[0].set_value(0.99).run()
    assert not at.success
    assert "Nothing qualifies" in at.error[0].value
    assert "bigscience/bloomz-7b1" in at.markdown[-1].value or any("bloomz-7b1" in m.value for m in at.markdown)


def test_compare_explains_every_exclusion(app):
    at = _imdb(app, 0.90)
    table = at.dataframe[0].value
    status = dict(zip(table["model"], table["status"]))
    assert status["lvwerra/distilbert-imdb"] == "recommended"
    assert status["distilbert/distilbert-base-uncased-finetuned-sst-2-english"] == "below threshold (0.8841 < 0.9)"
    assert status["siebert/sentiment-roberta-large-english"] == "qualifies"
    assert all(isinstance(s, str) and s for s in table["status"])


def test_compare_warns_about_estimates_in_the_total_group(app):
    at = _imdb(app, 0.90)
    labels = at.selectbox[2].options
    total = next(i for i, label in enumerate(labels) if "GPU+CPU+RAM" in label)
    at.selectbox[2].select_index(total).run()
    assert any("include estimates" in w.value for w in at.warning)


def test_model_page_shows_measurements_and_quality(app):
    app.query_params["model"] = "lvwerra/distilbert-imdb"
    at = app.run()
    at.switch_page("pages/model.py").run()
    assert not at.exception
    assert at.title[0].value == "lvwerra/distilbert-imdb"
    measurements, quality = at.dataframe[0].value, at.dataframe[1].value
    # one measurement per text-classification dataset of the paper: imdb, rotten_tomatoes, sst2
    assert sorted(measurements["dataset"]) == ["imdb", "rotten_tomatoes", "sst2"]
    assert set(measurements["repeats"]) == {10}
    assert sorted(quality["dataset"]) == ["imdb", "rotten_tomatoes", "sst2"]
    at.selectbox[0].set_value("siebert/sentiment-roberta-large-english").run()
    assert at.title[0].value == "siebert/sentiment-roberta-large-english"


def test_empty_database_explains_what_to_do(store, monkeypatch):
    monkeypatch.setenv("EFFDASH_DATABASE_URL", store.url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "effdash init" in at.info[0].value


def test_compare_lists_hub_candidates_not_measured_yet(reference_store, monkeypatch):
    from effdash.records import get_or_create_model

    with reference_store.session() as s:
        get_or_create_model(s, "acme/tiny-sentiment", discovered_for_task="text-classification", downloads=1234)
    monkeypatch.setenv("EFFDASH_DATABASE_URL", reference_store.url)
    at = _imdb(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), 0.9)
    assert any(h.value == "Not measured yet (found on the Hugging Face Hub)" for h in at.subheader)
    found = at.dataframe[1].value
    assert list(found["model"]) == ["acme/tiny-sentiment"] and list(found["downloads"]) == [1234]
