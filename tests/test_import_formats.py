"""Every supported format imported from a realistic file, with the conversion to Wh per 1000
inferences worked out by hand in each test (the expected numbers are not the code's output)."""

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from effdash.ingest import ImportOptions, Upload, import_file
from effdash.schema import ImportBatch, Measurement, MeasurementRepeat, Model, QualityScore, Source

DATA = Path(__file__).parent / "data" / "import"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"


def do_import(store, name, **options):
    return import_file(store, Upload.from_path(DATA / name), ImportOptions(**options))


def measurements(store) -> dict[str, Measurement]:
    with store.session() as s:
        rows = s.execute(select(Measurement, Model.model_id).join(Model, Model.id == Measurement.model_pk)).all()
        return {model_id: m for m, model_id in rows}


def test_native_csv_with_components_methods_quality(store):
    plan = do_import(store, "native_good.csv")
    assert (plan.format, plan.rows_total, plan.rows_new, plan.rows_rejected, plan.quality_new) == ("native", 3, 3, 0, 2)
    ms = measurements(store)
    d = ms["distilbert/distilbert-base-uncased-finetuned-sst-2-english"]
    # 0.0045 kWh for 2000 inferences: 0.0045 * 1e6 / 2000 = 2.25 Wh per 1000; GPU 0.003 kWh -> 1.5 Wh per 1000.
    assert d.wh_per_1k == pytest.approx(2.25)
    assert d.gpu_wh_per_1k == pytest.approx(1.5)
    # std 0.05 Wh per 1000 over runs of 2000 inferences: 0.05 * 2000 / 1e6 = 1e-4 kWh.
    assert d.std_energy_kwh == pytest.approx(1e-4)
    assert (d.task, d.repeats, d.inferences, d.batch_size, d.precision, d.country_iso) == (
        "text-classification", 10, 2000, 1, "fp32", "FRA")
    assert (d.gpu_method, d.cpu_method, d.ram_method) == ("nvml_counter", "rapl", "estimate")
    assert (d.tier_gpu, d.tier_total, d.window) == ("counter", "estimate", "inference")
    assert d.measured_at.replace(tzinfo=timezone.utc) == datetime(2025, 2, 1, 10, tzinfo=timezone.utc)
    assert "my lab notebook p.12" in d.notes
    # wh_per_1k 3.1 with no inferences: 1000 inferences, 3.1 * 1000 / 1e6 = 0.0031 kWh.
    b = ms["google-bert/bert-base-uncased"]
    assert (b.energy_kwh, b.inferences, b.tier_total, b.tier_gpu) == (pytest.approx(0.0031), 1000, "counter", None)
    assert ms["my-org/tiny-sentiment"].tier_total == "estimate"
    with store.session() as s:
        scores = {(q.metric, q.dataset, q.value) for q in s.scalars(select(QualityScore))}
        source = s.scalar(select(Source))
        batch = s.scalar(select(ImportBatch))
    assert scores == {("accuracy", "sst2", 0.9106), ("accuracy", "sst2", 0.925)}
    assert source.kind == "imported" and source.import_batch_id == batch.id
    assert "native_good.csv" in source.citation and "effdash native CSV" in source.citation
    assert (batch.rows_total, batch.rows_imported, batch.format) == (3, 3, "native")


def test_native_excel_export_semicolon_cp1252_decimal_comma(store):
    plan = do_import(store, "native_excel_semicolon_cp1252.csv")
    assert plan.rows_new == 1  # the trailing ';;;;;;;' row of the spreadsheet export is skipped
    m = measurements(store)["cmarkea/distilcamembert-base-sentiment"]
    assert m.wh_per_1k == pytest.approx(0.42)  # "0,42" is 0.42
    assert m.dataset == "allociné"  # cp1252 byte 0xE9 read as é
    with store.session() as s:
        assert s.scalar(select(QualityScore.value)) == pytest.approx(0.973)


def test_native_utf8_bom_tab_separated_gpu_basis(store):
    do_import(store, "native_bom_tab.tsv")
    m = measurements(store)["facebook/detr-resnet-50"]
    # basis gpu: 0.0375 kWh per 1000 inferences of GPU energy = 37.5 Wh per 1000; no total figure.
    assert m.gpu_wh_per_1k == pytest.approx(37.5)
    assert m.energy_kwh is None and m.tier_total is None and m.tier_gpu == "counter"
    assert m.task == "object-detection"


def test_aienergyscore_leaderboard_file_kwh_per_1000_queries(store):
    plan = do_import(store, "text_generation.csv")
    assert plan.label == "AI Energy Score leaderboard file"
    m = measurements(store)["distilbert/distilgpt2"]
    # total_gpu_energy 0.001313333 kWh per 1000 queries x 1000 = 1.313333 Wh per 1000.
    assert m.gpu_wh_per_1k == pytest.approx(1.313333)
    assert m.energy_kwh is None and m.tier_gpu == "counter" and m.gpu_method == "nvml_counter"
    assert (m.task, m.hardware, m.repeats, m.batch_size, m.precision) == (
        "text-generation", "NVIDIA H100 80GB", 10, 1, "fp16")
    assert (m.source_stars, m.source_class) == (5, "A")
    assert measurements(store)["openai-community/gpt2-xl"].source_stars == 4


def test_aienergyscore_hardware_option_overrides(store):
    do_import(store, "text_generation.csv", hardware="NVIDIA A100-SXM4-80GB")
    assert {m.hardware for m in measurements(store).values()} == {"NVIDIA A100-SXM4-80GB"}


def test_aienergyscore_download_csv_wh_per_1k_tasks(store):
    do_import(store, "aienergyscore_download.csv")
    ms = measurements(store)
    # "GPU Energy (Wh) per 1k tasks" is taken as is: 0.217736 Wh per 1000 (= 0.000217736 kWh per 1000).
    assert ms["distilbert/distilbert-base-uncased-finetuned-sst-2-english"].gpu_wh_per_1k == pytest.approx(0.217736)
    sdxl = ms["stabilityai/stable-diffusion-xl-base-1.0"]
    assert sdxl.gpu_wh_per_1k == pytest.approx(1639.84)  # "1,639.84": thousands separator
    assert (sdxl.task, sdxl.source_stars) == ("text-to-image", 2)


def test_aienergyscore_master_results(store):
    do_import(store, "master_results.csv")
    ms = measurements(store)
    # 7.708234 Wh over 1000 successful prompts = 7.708234 Wh per 1000.
    assert ms["HuggingFaceTB/SmolLM2-1.7B-Instruct"].gpu_wh_per_1k == pytest.approx(7.708234)
    q = ms["Qwen/Qwen3-8B"]
    # 64 Wh over 800 successful prompts: 64 * 1000 / 800 = 80 Wh per 1000.
    assert (q.inferences, q.gpu_wh_per_1k, q.source_class) == (800, pytest.approx(80.0), "A")
    assert '"reasoning_state": "on"' in q.settings


def test_optimum_benchmark_report_prefill_plus_decode(store):
    do_import(store, "benchmark_report.json", model="openai-community/gpt2", task="text_generation",
              hardware="NVIDIA H100 80GB")
    m = measurements(store)["openai-community/gpt2"]
    # prefill: 0.002 kWh x 500,000 samples/kWh = 1000 samples; prefill + decode = 0.008 kWh
    # -> 0.008 * 1e6 / 1000 = 8 Wh per 1000; GPU 0.0017 + 0.0052 = 0.0069 kWh -> 6.9 Wh per 1000.
    assert m.inferences == 1000
    assert m.wh_per_1k == pytest.approx(8.0)
    assert m.gpu_wh_per_1k == pytest.approx(6.9)
    assert (m.gpu_method, m.cpu_method, m.tier_gpu, m.tier_total) == ("nvml_counter", "estimate", "counter", "estimate")


def test_mlenergy_model_json_joules_per_request(store):
    plan = do_import(store, "Qwen__Qwen3-8B__lm-arena-chat.json")
    assert plan.rows_new == 2
    with store.session() as s:
        rows = s.scalars(select(Measurement).order_by(Measurement.batch_size)).all()
    # 170.74922433101034 J per request / 3.6 = 47.430340 Wh per 1000 (batch 16);
    # 61.97866199722847 J / 3.6 = 17.216295 Wh per 1000 (batch 128).
    assert [r.batch_size for r in rows] == [16, 128]
    assert rows[0].gpu_wh_per_1k == pytest.approx(47.430340, rel=1e-6)
    assert rows[1].gpu_wh_per_1k == pytest.approx(17.216295, rel=1e-6)
    assert {(r.task, r.hardware, r.energy_kwh, r.tier_gpu) for r in rows} == {
        ("text-generation", "NVIDIA H100", None, "counter")}


def test_codecarbon_2_3_layout_model_from_project_name(store):
    plan = do_import(store, "codecarbon_2.3_31col.csv", task="fill-mask", inferences=1000, window="whole_run")
    assert plan.label.startswith("CodeCarbon emissions.csv (31 columns")
    assert any("project_name" in n for n in plan.notes)
    with store.session() as s:
        rows = s.scalars(select(Measurement).order_by(Measurement.measured_at)).all()
        repeats = s.scalars(select(MeasurementRepeat)).all()
        model_ids = set(s.scalars(select(Model.model_id)))
    assert model_ids == {"bert-base-uncased"} and len(rows) == 2 and len(repeats) == 2
    first = rows[0]
    # energy_consumed 0.0049006135 kWh for 1000 inferences = 4.9006135 Wh per 1000.
    assert first.wh_per_1k == pytest.approx(4.9006135)
    assert first.gpu_wh_per_1k == pytest.approx(3.262435943327)
    assert first.hardware == "8 x NVIDIA A100-SXM4-80GB" and first.window == "whole_run"
    assert (first.gpu_method, first.cpu_method, first.ram_method) == ("nvml_counter", "estimate", "estimate")
    assert (first.tier_gpu, first.tier_total) == ("counter", "estimate")
    assert first.duration_s == pytest.approx(12.459383726119995)
    # 0.0018682987 kg / 0.0049006135 kWh = 381.24 g per kWh.
    assert first.carbon_intensity_g_per_kwh == pytest.approx(381.24, abs=0.01)
    assert '"codecarbon": "2.3.1"' in first.software
    assert any("7397b210" in r.origin for r in repeats)


@pytest.mark.parametrize("name, columns", [("codecarbon_3.0_32col.csv", 32), ("codecarbon_3.1_34col.csv", 34)])
def test_codecarbon_3x_layouts_with_model_option(store, name, columns):
    plan = do_import(store, name, task="text-generation", inferences=500, model="openai-community/gpt2")
    assert plan.label.startswith(f"CodeCarbon emissions.csv ({columns} columns")
    m = measurements(store)["openai-community/gpt2"]
    # 0.004428 kWh for 500 inferences: 0.004428 * 1e6 / 500 = 8.856 Wh per 1000.
    assert m.wh_per_1k == pytest.approx(8.856)
    assert (m.hardware, m.country_iso, m.inferences) == ("1 x NVIDIA GeForce RTX 4090", "FRA", 500)


def test_overlapping_rows_are_skipped_as_duplicates(store):
    """3.0 and 3.1 files hold the same run: the second import stores nothing new."""
    do_import(store, "codecarbon_3.0_32col.csv", task="text-generation", inferences=500)
    plan = do_import(store, "codecarbon_3.1_34col.csv", task="text-generation", inferences=500)
    assert (plan.rows_total, plan.rows_new, plan.rows_duplicate) == (1, 0, 1)
    with store.session() as s:
        assert s.scalar(select(func.count(Measurement.id))) == 1
        assert s.scalar(select(func.count(ImportBatch.id))) == 2


def test_dry_run_plans_without_storing(store):
    plan = import_file(store, Upload.from_path(DATA / "native_good.csv"), dry_run=True)
    assert (plan.rows_new, plan.rows_duplicate, plan.rows_rejected, plan.batch_id) == (3, 0, 0, None)
    assert plan.preview[0]["model"] == "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    assert plan.preview[0]["Wh per 1000 (total)"] == pytest.approx(2.25)
    with store.session() as s:
        assert s.scalar(select(func.count(Measurement.id))) == 0
        assert s.scalar(select(func.count(ImportBatch.id))) == 0


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/reference is absent")
def test_published_leaderboard_figures_import_unchanged(store, tmp_path):
    """The Feb 2025 AI Energy Score text_classification rows, written as a leaderboard file."""
    with (SHARED / "ai_energy_score_leaderboard_2025-02.csv").open(encoding="utf-8") as fh:
        ref = [r for r in csv.DictReader(fh) if r["leaderboard_task"] == "text_classification"]
    path = tmp_path / "text_classification.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["model", "total_gpu_energy", "energy_score", "class"])
        w.writerows([r["model_id"], r["total_gpu_energy"], r["star_rating_1_to_5"], ""] for r in ref)
    plan = import_file(store, Upload.from_path(path))
    assert plan.rows_new == len(ref) > 5
    ms = measurements(store)
    for r in ref:
        m = ms[r["model_id"]]
        assert m.gpu_wh_per_1k == pytest.approx(float(r["total_gpu_energy"]) * 1000)
        assert m.source_stars == int(r["star_rating_1_to_5"])


def test_source_stars_are_kept_and_effdash_rates_on_its_own(store):
    from effdash.ratings import ratings

    do_import(store, "text_generation.csv")
    with store.session() as s:
        _, rows = ratings(s, "text-generation")
    # effdash's own rule on this cohort: range 1.313333..8.921289 Wh per 1000, five equal bands;
    # gpt2 at 2.146239 is in band floor(5 * 0.832906 / 7.607956) = 0 -> 5 stars, gpt2-xl at the top -> 1.
    assert [(r["model_id"], r["stars"]) for r in rows] == [
        ("distilbert/distilgpt2", 5), ("openai-community/gpt2", 5), ("openai-community/gpt2-xl", 1)]
    assert measurements(store)["openai-community/gpt2-xl"].source_stars == 4  # the leaderboard's own, kept


def test_spreadsheet_unicode_text_export_utf16_tab(store):
    """Excel's 'Unicode Text' export: UTF-16 with a BOM, tab separated."""
    text = "model_id\ttask\thardware\twh_per_1k\norg/utf16-model\ttext-classification\tNVIDIA H100 80GB\t1.25\n"
    plan = import_file(store, Upload.from_bytes("export.txt", text.encode("utf-16")))
    assert (plan.format, plan.rows_new) == ("native", 1)
    assert measurements(store)["org/utf16-model"].wh_per_1k == pytest.approx(1.25)
