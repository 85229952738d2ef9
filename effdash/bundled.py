"""The reference data shipped in data/sources/, loaded by ``effdash init``.

Every figure cites where it was read: the repository, path and commit of the Power
Hungry Processing run logs (Luccioni, Jernite & Strubell, FAccT 2024), or the paper
and table. See data/SOURCES.md for how the files were compiled.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from effdash.config import DATA_DIR
from effdash.errors import BundledDataError
from effdash.records import (
    MeasurementIn, RunEnergy, SourceRef, add_lineage, add_measurement, add_quality, get_or_create_model,
    get_or_create_source,
)
from effdash.schema import Measurement, Source, TaskBaseline

SOURCES_DIR = DATA_DIR / "sources"
PHP_DIR = SOURCES_DIR / "co2_inference"
PHP_REPO = "github.com/sashavor/co2_inference"
PHP_PAPER = (
    'Luccioni, Jernite & Strubell (2024) "Power Hungry Processing: Watts Driving the Cost of AI '
    'Deployment?", ACM FAccT 2024, doi:10.1145/3630106.3658542'
)
#: The commit at which eval/performance.csv was read (see eval_performance.SOURCE.md).
PHP_EVAL_COMMIT = "6a9729129f941bfdb9ae9addb52c925b0a492ff9"
PHP_HARDWARE = "NVIDIA A100-SXM4-80GB (1 GPU used on an 8-GPU AWS node; all 8 GPUs metered)"
PHP_NOTE = (
    "Whole CodeCarbon run of 1000 inferences, batch size 1, including model loading "
    "(data/emissions/complete). GPU energy from NVML via CodeCarbon 2.3.1 (all 8 GPUs of the node, "
    "per the paper's footnote 3); CPU power a constant TDP-based estimate; RAM power CodeCarbon's "
    "3/8 W per GB estimate for a 1148 GB host. Grid: AWS us-west-2 (paper: 297.6 gCO2e/kWh)."
)

#: File-stem prefix -> (pipeline tag, kind). Zero-shot runs are of multi-purpose models
#: prompted for the task, so they are measured *for* that task.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("zeroshot_sentiment_", "text-classification"),
    ("zeroshot_qa_", "question-answering"),
    ("zeroshot_summarize_", "summarization"),
    ("fillmask_", "fill-mask"),
    ("image_class_", "image-classification"),
    ("itt_", "image-to-text"),
    ("obj_detection_", "object-detection"),
    ("qa_", "question-answering"),
    ("summarize_", "summarization"),
    ("text_classif_", "text-classification"),
    ("textgen_", "text-generation"),
    ("token_classif_", "token-classification"),
    ("tti_", "text-to-image"),
)
#: Dataset names in file stems -> the names used for quality scores.
DATASET_NAMES = {
    "tomatoes": "rotten_tomatoes", "sst2": "sst2", "imdb": "imdb", "squad": "squad",
    "squadv2": "squad_v2", "squad2": "squad_v2", "sciq": "sciq", "cnn": "cnn_dailymail",
    "samsum": "samsum", "xsum": "xsum",
}


@dataclass(frozen=True)
class PhpFile:
    path: Path
    task: str
    dataset: str


def parse_stem(stem: str) -> tuple[str, str]:
    """(pipeline tag, dataset) of a co2_inference log file stem."""
    for prefix, task in _PREFIXES:
        if stem.startswith(prefix):
            rest = stem[len(prefix):]
            rest = re.sub(r"_bloomz$", "", rest)
            rest = re.sub(r"_15$", "", rest)  # summarization logs are suffixed _15
            resized = rest.endswith("_resized")
            base = rest.removesuffix("_resized")
            name = DATASET_NAMES.get(base, base)
            return task, f"{name} (resized)" if resized else name
    raise BundledDataError(f"Unknown log file {stem!r} in {PHP_DIR}")


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BundledDataError(f"Bundled file {path} is missing; reinstall effdash or restore data/.")
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _manifest() -> dict[str, dict[str, str]]:
    rows = _read_csv(PHP_DIR / "complete" / "MANIFEST.csv")
    return {r["file"].removesuffix(".csv"): r for r in rows}


def _model_catalogue() -> dict[str, dict[str, str]]:
    return {r["model_id_as_logged"]: r for r in _read_csv(SOURCES_DIR / "model_parameters.csv")}


def _hub_id(logged: str, catalogue: dict[str, dict[str, str]]) -> str:
    row = catalogue.get(logged)
    return (row or {}).get("hub_id") or logged


def _load_models(session: Session, catalogue: dict[str, dict[str, str]]) -> None:
    for logged, row in catalogue.items():
        params = row.get("parameters")
        model = get_or_create_model(
            session, row.get("hub_id") or logged,
            parameters=int(params) if params else None,
            parameters_source=row.get("source") or None,
            metadata_source="bundled: data/sources/model_parameters.csv",
        )
        if row.get("base_model") and row.get("relation"):
            add_lineage(session, model, row["base_model"], row["relation"], row.get("note") or None)


def parse_log_timestamp(text: str) -> datetime:
    """CodeCarbon log timestamps: ISO 8601, or a spreadsheet's re-save ('2023-10-06 0:05:27'), in UTC."""
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    return parsed.replace(tzinfo=timezone.utc)


def _single(value: str) -> str | None:
    """A manifest value that varies between rows is written 'A|B': then it is not one value."""
    return None if "|" in value else value


def _load_runs(session: Session, catalogue: dict[str, dict[str, str]]) -> int:
    manifest = _manifest()
    count = 0
    for stem, meta in sorted(manifest.items()):
        task, dataset = parse_stem(stem)
        path_in_repo = f"data/emissions/complete/{stem}.csv"
        ref = SourceRef(
            kind="published", citation=f"{PHP_REPO} {path_in_repo} @ {meta['commit'][:12]} ({PHP_PAPER})",
            repository=PHP_REPO, path=path_in_repo, commit=meta["commit"], paper=PHP_PAPER,
            url=f"https://{PHP_REPO}/blob/{meta['commit']}/{path_in_repo}",
        )
        by_model: dict[str, list[RunEnergy]] = defaultdict(list)
        for row in _read_csv(PHP_DIR / "complete" / f"{stem}.csv"):
            by_model[row["project_name"]].append(RunEnergy(
                gpu_energy_kwh=float(row["gpu_energy"]), cpu_energy_kwh=float(row["cpu_energy"]),
                ram_energy_kwh=float(row["ram_energy"]), energy_kwh=float(row["energy_consumed"]),
                duration_s=float(row["duration"]),
                started_at=parse_log_timestamp(row["timestamp"]),
                origin=f"{path_in_repo} line {row['line']}",
            ))
        for logged, runs in by_model.items():
            add_measurement(session, MeasurementIn(
                model_id=_hub_id(logged, catalogue), task=task, dataset=dataset, inferences=1000,
                hardware=PHP_HARDWARE, runs=runs, source=ref, gpu_method="nvml_counter",
                cpu_method="estimate", ram_method="estimate", window="whole_run",
                extra=dict(
                    batch_size=1, gpu_model="NVIDIA A100-SXM4-80GB", gpu_count=int(meta["gpu_count"]),
                    cpu_model=meta["cpu_model"], cpu_count=int(meta["cpu_count"]),
                    ram_gb=float(meta["ram_total_size"]), country_iso=_single(meta["country_iso_code"]),
                    region=_single(meta["region"]), software={"codecarbon": meta["codecarbon_version"]},
                    measured_at=min(r.started_at for r in runs),
                    notes=PHP_NOTE + (f" Logged as {logged!r}." if _hub_id(logged, catalogue) != logged else ""),
                ),
            ))
            count += 1
    return count


#: eval/performance.csv: task column -> pipeline tag; "<dataset> (<metric>[, note])" columns.
_PERF_TASKS = {"sentiment": "text-classification", "qa": "question-answering", "summarization": "summarization"}
_PERF_METRICS = {"acc": "accuracy", "f1": "f1", "rouge": "rouge"}


def parse_performance_column(column: str) -> tuple[str, str, str] | None:
    """(dataset, metric, slice) of a performance.csv column such as 'squad_v2 (f1, has answer)'."""
    match = re.fullmatch(r"(\S+) \(([a-z0-9]+)(?:, (.+))?\)", column.strip())
    if not match:
        return None
    dataset, metric, note = match.groups()
    return DATASET_NAMES.get(dataset, dataset), _PERF_METRICS.get(metric, metric), note or ""


def _load_quality(session: Session, catalogue: dict[str, dict[str, str]]) -> int:
    commit = PHP_EVAL_COMMIT
    ref = SourceRef(
        kind="published", citation=f"{PHP_REPO} eval/performance.csv @ {commit[:12]} ({PHP_PAPER}, Table 7)",
        repository=PHP_REPO, path="eval/performance.csv", commit=commit, paper=PHP_PAPER, paper_location="Table 7",
        url=f"https://{PHP_REPO}/blob/{commit}/eval/performance.csv",
    )
    count = 0
    for row in _read_csv(PHP_DIR / "eval_performance.csv"):
        task = _PERF_TASKS[row["task"]]
        for column, text in row.items():
            parsed = parse_performance_column(column)
            if parsed is None or not text.strip():
                continue
            dataset, metric, slice_ = parsed
            add_quality(
                session, model_id=_hub_id(row["model"], catalogue), task=task, dataset=dataset,
                metric=metric, value=float(text), slice=slice_, source=ref,
            )
            count += 1
    return count


def _load_baselines(session: Session) -> int:
    ref = SourceRef(
        kind="published", citation=f"{PHP_PAPER}, Table 2 (mean and std of inference energy per task)",
        paper=PHP_PAPER, paper_location="Table 2", url="https://arxiv.org/abs/2311.16863",
    )
    source = get_or_create_source(session, ref)
    rows = _read_csv(SOURCES_DIR / "power_hungry_processing_table2.csv")
    for row in rows:
        session.add(TaskBaseline(
            task=row["pipeline_tag"], wh_per_1k_mean=float(row["mean_kwh_per_1k"]) * 1000,
            wh_per_1k_std=float(row["std_kwh_per_1k"]) * 1000, hardware=PHP_HARDWARE, basis="total",
            source_pk=source.id,
        ))
    return len(rows)


def is_loaded(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Source).where(Source.repository == PHP_REPO)))


@dataclass(frozen=True)
class LoadReport:
    measurements: int
    quality_scores: int
    baselines: int
    already_loaded: bool = False


def load_reference_data(session: Session) -> LoadReport:
    """Load the bundled reference data once (idempotent); returns what was added."""
    if is_loaded(session):
        return LoadReport(0, 0, 0, already_loaded=True)
    catalogue = _model_catalogue()
    _load_models(session, catalogue)
    measurements = _load_runs(session, catalogue)
    quality = _load_quality(session, catalogue)
    baselines = _load_baselines(session)
    session.flush()
    return LoadReport(measurements, quality, baselines)
