"""A stored measurement as a JSON-ready dict and as the CLI's summary table."""

from __future__ import annotations

import json
import statistics

from sqlalchemy import select
from sqlalchemy.orm import Session

from effdash.measure.meters import COMPONENTS
from effdash.measure.persist import NET_LABEL, QUALITY_SOURCE
from effdash.methods import TIER_LABEL, method_tier
from effdash.schema import Measurement, QualityScore, Source

METHOD_LABEL = {
    "nvml_counter": "NVML energy counter (measured)",
    "nvml_power": "NVML sampled power (measured)",
    "rapl": "RAPL energy counter (measured)",
    "estimate": "CodeCarbon estimate (not measured)",
    "replay": "replayed trace (demo, not measured)",
}


def per_1k(energy_kwh: float | None, inferences: int) -> float | None:
    """kWh for ``inferences`` inferences -> Wh per 1000 inferences (x 1000 Wh/kWh x 1000 / n)."""
    return None if energy_kwh is None else energy_kwh * 1e6 / inferences


def net_wh_per_1k(m: Measurement) -> float | None:
    """Gross minus idle power over the mean window, per 1000 inferences (derived, labelled)."""
    if m.energy_kwh is None or m.idle_power_w is None or m.duration_s is None:
        return None
    idle_kwh = m.idle_power_w * m.duration_s / 3.6e6
    return per_1k(m.energy_kwh - idle_kwh, m.inferences)


def _components(m: Measurement) -> dict:
    out = {}
    for c in COMPONENTS:
        method = getattr(m, f"{c}_method")
        if method is not None:
            out[c] = {"wh_per_1k": per_1k(getattr(m, f"{c}_energy_kwh"), m.inferences), "method": method,
                      "method_label": METHOD_LABEL.get(method, method), "tier": method_tier(method)}
    return out


def _quality(session: Session, m: Measurement) -> list[dict]:
    rows = session.scalars(select(QualityScore).join(Source).where(
        QualityScore.model_pk == m.model_pk, QualityScore.task == m.task,
        Source.citation == QUALITY_SOURCE.citation)).all()
    return [{"metric": q.metric, "dataset": q.dataset, "value": q.value, "source": "measured by effdash"} for q in rows]


def record_json(session: Session, m: Measurement) -> dict:
    """The stored record, JSON-ready: identity, figures, spread, methods, hardware, software."""
    wh = m.wh_per_1k if m.energy_kwh is not None else None
    std = per_1k(m.std_energy_kwh, m.inferences)
    repeats = [{"repeat": r.repeat_index + 1, "wh_per_1k": per_1k(r.energy_kwh, m.inferences),
                "duration_s": r.duration_s} for r in m.runs]
    return {
        "id": m.id, "model_id": m.model.model_id, "task": m.task, "wh_per_1k": wh, "wh_per_1k_std": std,
        "wh_per_1k_cv": (std / wh) if std is not None and wh else None,
        "net_wh_per_1k": net_wh_per_1k(m), "net_label": NET_LABEL, "inferences": m.inferences,
        "repeats": m.repeats, "batch_size": m.batch_size, "duration_s": m.duration_s,
        "throughput_per_s": m.inferences / m.duration_s if m.duration_s else None,
        "components": _components(m), "gpu_method": m.gpu_method, "cpu_method": m.cpu_method,
        "ram_method": m.ram_method, "tier_total": m.tier_total, "tier_gpu": m.tier_gpu,
        "tier_label": TIER_LABEL.get(m.tier_total or "", m.tier_total), "window": m.window,
        "idle_power_w": m.idle_power_w, "hardware": m.hardware, "gpu_model": m.gpu_model,
        "cpu_model": m.cpu_model, "cpu_count": m.cpu_count, "ram_gb": m.ram_gb,
        "hardware_detail": json.loads(m.hardware_detail or "{}"), "software": json.loads(m.software or "{}"),
        "settings": json.loads(m.settings or "{}"), "input_set": m.input_set,
        "input_set_sha256": m.input_set_sha256, "country_iso": m.country_iso,
        "carbon_intensity_g_per_kwh": m.carbon_intensity_g_per_kwh,
        "g_co2e_per_1k": wh / 1000 * m.carbon_intensity_g_per_kwh if wh and m.carbon_intensity_g_per_kwh else None,
        "notes": m.notes, "source": {"kind": m.source.kind, "citation": m.source.citation},
        "measured_at": m.measured_at.isoformat() if m.measured_at else None,
        "repeats_detail": repeats, "quality": _quality(session, m),
    }


def _fmt(value: float | None, spec: str = ".4g") -> str:
    return "n/a" if value is None else format(value, spec)


def summary_lines(rec: dict) -> list[str]:
    """The CLI's closing summary table."""
    cv = rec["wh_per_1k_cv"]
    lines = [
        f"{rec['model_id']} · {rec['task']} · {rec['hardware']}",
        f"  {'Wh per 1000 inferences (gross)':<34} {_fmt(rec['wh_per_1k'])} ± {_fmt(rec['wh_per_1k_std'])}"
        f"  (CV {_fmt(cv * 100 if cv is not None else None, '.1f')} % over {rec['repeats']} repeats)",
        f"  {'net of idle (derived)':<34} {_fmt(rec['net_wh_per_1k'])}  idle power {_fmt(rec['idle_power_w'], '.3g')} W",
    ]
    for comp, c in rec["components"].items():
        lines.append(f"  {comp.upper() + ' Wh per 1000':<34} {_fmt(c['wh_per_1k'])}  {c['method_label']}")
    lines.append(f"  {'throughput':<34} {_fmt(rec['throughput_per_s'], '.4g')} inferences/s "
                 f"({rec['inferences']} per repeat, batch size {rec['batch_size']})")
    lines.append(f"  {'record tier':<34} {rec['tier_label']}")
    for q in rec["quality"]:
        lines.append(f"  {'quality (' + q['metric'] + ')':<34} {q['value']:.4f} on {q['dataset']}, measured by effdash")
    if rec["notes"]:
        lines.append(f"  note: {rec['notes']}")
    return lines


def repeat_cv(values: list[float]) -> float | None:
    """Coefficient of variation (sample std / mean) of repeat figures."""
    return statistics.stdev(values) / statistics.fmean(values) if len(values) > 1 else None
