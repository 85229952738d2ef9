"""Which format a file is in, from its header (CSV) or its keys (JSON); overridable by the user."""

from __future__ import annotations

from effdash.ingest.errors import InvalidUpload

#: Format name -> what it is (for --format help, the Upload page and error messages).
FORMATS: dict[str, str] = {
    "native": "effdash native CSV (model_id, task, hardware, wh_per_1k or energy_kwh + inferences)",
    "codecarbon": "CodeCarbon emissions.csv (2.x or 3.x)",
    "aienergyscore": "AI Energy Score leaderboard file, download CSV or master_results.csv",
    "optimum-benchmark": "optimum-benchmark benchmark_report.json (or benchmark.json)",
    "mlenergy": "ML.ENERGY leaderboard model JSON (configurations[])",
}


def detect_csv(header: list[str]) -> str | None:
    cols = set(header)
    if "model_id" in cols and cols & {"task", "hardware", "wh_per_1k", "energy_kwh"}:
        return "native"
    if {"energy_consumed", "codecarbon_version"} <= cols or {"energy_consumed", "project_name", "duration"} <= cols:
        return "codecarbon"
    if "total_gpu_energy" in cols or {"model_name", "wh_per_1000_queries"} <= cols:
        return "aienergyscore"
    if any(c.startswith("gpu energy (wh)") for c in cols):
        return "aienergyscore"
    return None


def detect_json(data) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("configurations"), list):
        return "mlenergy"
    if isinstance(data, dict):
        report = data.get("report", data)
        if isinstance(report, dict) and any(isinstance(v, dict) and "energy" in v for v in report.values()):
            return "optimum-benchmark"
    return None


def unknown_format(name: str, what: str) -> InvalidUpload:
    known = "; ".join(f"{k}: {v}" for k, v in FORMATS.items())
    return InvalidUpload(name, f"cannot tell which format this {what} is in. effdash reads: {known}. "
                               "Choose the format explicitly (--format) if the header is unusual.")


def check_format(name: str | None) -> str | None:
    if name is None:
        return None
    key = name.strip().lower().replace("_", "-")
    key = {"optimum": "optimum-benchmark", "ai-energy-score": "aienergyscore", "ml.energy": "mlenergy",
           "ml-energy": "mlenergy"}.get(key, key)
    if key not in FORMATS:
        raise InvalidUpload("--format", f"unknown format {name!r}; use one of {', '.join(FORMATS)}.")
    return key
