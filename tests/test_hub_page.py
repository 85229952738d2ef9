"""The Models page in AppTest: filters, and a family's energy and quality side by side."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from effdash.hub.client import HubClient
from effdash.hub.sync import sync_models
from effdash.records import MeasurementIn, RunEnergy, SourceRef, add_measurement
from hubserver import BERT, DISTIL, SST2, SST2_INT8, XNLI, hub  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app(store, hub, monkeypatch):
    sync_models(store, [BERT, DISTIL, SST2, SST2_INT8, XNLI], client=HubClient(timeout_s=5))
    with store.session() as s:
        for mid, kwh in ((SST2, 0.0020), (SST2_INT8, 0.0012)):  # 2.0 and 1.2 Wh per 1000 inferences
            add_measurement(s, MeasurementIn(
                model_id=mid, task="text-classification", dataset="sst2", inferences=1000, hardware="NVIDIA A100",
                runs=[RunEnergy(gpu_energy_kwh=kwh)], source=SourceRef("measured", "page test"),
                components=("gpu",), gpu_method="nvml_counter"))
    hub.stop()  # the page must work from the stored metadata alone
    monkeypatch.setenv("EFFDASH_DATABASE_URL", store.url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()  # app.py opens the store, then the navigation goes to Models
    return at.switch_page("pages/models.py").run()


def test_models_page_lists_and_filters_known_models(app):
    assert not app.exception
    table = app.dataframe[0].value
    # most downloaded first: BERT 50M, DISTIL 9M, SST2 4M, XNLI 50k, INT8 1.2k
    assert list(table["model"]) == [BERT, DISTIL, SST2, XNLI, SST2_INT8]
    row = table.set_index("model").loc[DISTIL]
    assert row["parameters (M)"] == 66.3 and row["size from"] == "config (derived)"  # 66_301_440 from config.json
    assert row["energy"] == "not measured yet" and row["metadata"].startswith("as of 20")
    measured = next(s for s in app.selectbox if s.label == "Measurements")
    measured.set_value("measured").run()
    assert list(app.dataframe[0].value["model"]) == [SST2, SST2_INT8]
    licence = next(s for s in app.selectbox if s.label == "Licence")
    licence.set_value("mit").run()
    assert "No model matches these filters" in app.info[0].value


def test_family_view_shows_what_a_quantised_variant_saves_and_costs(app):
    app.text_input[0].set_value("int8").run()
    assert list(app.dataframe[0].value["model"]) == [SST2_INT8]
    members = app.dataframe[1].value
    assert list(zip(members["member"], members["relation"])) == [
        (BERT, "base"), (DISTIL, "distilled"), (SST2, "finetune"), (f"{SST2_INT8} (selected)", "quantized")]
    side = app.dataframe[2].value.set_index("member")
    int8 = side.loc[SST2_INT8]
    # 1.2 vs 2.0 Wh per 1000: -40 %; accuracy 0.902 (card: 90.2 %) vs 0.91055: -0.855 points
    assert int8["Wh per 1000"] == pytest.approx(1.2)
    assert int8["energy vs its base (%)"] == pytest.approx(-40.0)
    assert int8["quality vs its base (points)"] == pytest.approx(-0.855, abs=1e-3)
    assert any("as of 20" in c.value for c in app.caption)


def test_language_slices_appear_per_row(app):
    app.text_input[0].set_value("xnli").run()
    assert "No known base model or variants" in app.info[0].value
    side = app.dataframe[2].value
    assert sorted(zip(side["dataset"], side["slice"], side["accuracy (0..1)"])) == [
        ("xnli", "de", pytest.approx(0.778)), ("xnli", "fr", pytest.approx(0.793))]


def test_a_model_id_is_shown_as_text_not_markdown(app, store):
    from effdash.records import get_or_create_model

    with store.session() as s:
        get_or_create_model(s, "evil/[click](http://e.vil)")
    app.text_input[0].set_value("evil").run()
    caption = next(c.value for c in app.caption if c.value.startswith("Metadata of"))
    assert caption.startswith(r"Metadata of evil/\[click\]\(http://e\.vil\):")  # no link is rendered
    assert "no Hub metadata yet" in caption
