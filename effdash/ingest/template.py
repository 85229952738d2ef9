"""A downloadable template of the native CSV format, with a description of every column."""

from __future__ import annotations

import csv
import io

from effdash.ingest.native import COLUMNS

EXAMPLES = (
    {"model_id": "distilbert/distilbert-base-uncased-finetuned-sst-2-english", "task": "text-classification",
     "hardware": "NVIDIA A100-SXM4-80GB", "energy_kwh": "0.0045", "inferences": "2000", "gpu_energy_kwh": "0.003",
     "cpu_energy_kwh": "0.001", "ram_energy_kwh": "0.0005", "method": "gpu=nvml_counter;cpu=rapl;ram=estimate",
     "repeats": "10", "std_wh_per_1k": "0.05", "dataset": "sst2", "batch_size": "1", "precision": "fp32",
     "country_iso": "FRA", "measured_at": "2025-02-01T10:00:00Z", "source": "our lab run 2025-02",
     "quality_metric": "accuracy", "quality_value": "0.9106", "quality_dataset": "sst2"},
    {"model_id": "google-bert/bert-base-uncased", "task": "text-classification", "hardware": "NVIDIA H100 80GB",
     "wh_per_1k": "0.31", "basis": "gpu", "method": "nvml_counter", "dataset": "imdb"},
)


def template_csv() -> str:
    """The native format's header (every column) and two example rows."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(EXAMPLES)
    return buf.getvalue()


def column_docs() -> list[dict[str, str]]:
    return [{"column": name, "meaning": text} for name, text in COLUMNS.items()]
