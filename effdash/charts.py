"""Altair charts and the Pareto front (no Streamlit here)."""

from __future__ import annotations

from typing import Sequence

import altair as alt
import pandas as pd

from effdash.recommend import Candidate, Recommendation

STATUS_ORDER = ["recommended", "qualifies", "below threshold"]
STATUS_COLORS = ["#d62728", "#2ca02c", "#9e9e9e"]


def pareto_front(points: Sequence[tuple[str, float, float]], higher_is_better: bool = True) -> list[str]:
    """Ids of the points not dominated in (lower energy, better quality), by increasing energy.

    ``points`` are (id, energy, quality). A point is dominated when another has energy
    <= and quality >= (for higher-is-better metrics), with one of the two strict.
    """
    sign = 1 if higher_is_better else -1
    front, best = [], float("-inf")
    for pid, _energy, quality in sorted(points, key=lambda p: (p[1], -sign * p[2])):
        if sign * quality > best:
            front.append(pid)
            best = sign * quality
    return front


def candidate_frame(result: Recommendation) -> pd.DataFrame:
    """One row per candidate that has both energy and quality (what the chart can place)."""
    recommended = result.recommended.model_id if result.recommended else None
    qualifying = {q.model_id for q in result.qualifying}

    def status(model_id: str) -> str:
        if model_id == recommended:
            return "recommended"
        return "qualifies" if model_id in qualifying else "below threshold"

    rows = [
        {"model_id": c.model_id, "wh_per_1k": c.wh_per_1k, "quality": c.quality,
         "parameters_m": c.parameters / 1e6 if c.parameters else None, "stars": c.stars,
         "status": status(c.model_id)}
        for c in result.candidates if c.quality is not None
    ]
    return pd.DataFrame(rows, columns=["model_id", "wh_per_1k", "quality", "parameters_m", "stars", "status"])


def energy_quality_chart(result: Recommendation, *, threshold: float, metric_label: str,
                         higher_is_better: bool = True) -> alt.LayerChart | None:
    """Energy (log scale) against quality, with the Pareto front, threshold line and recommendation."""
    df = candidate_frame(result)
    if df.empty:
        return None
    front_ids = pareto_front(list(zip(df.model_id, df.wh_per_1k, df.quality)), higher_is_better)
    front = df.set_index("model_id").loc[front_ids].reset_index()
    y = alt.Y("wh_per_1k:Q", scale=alt.Scale(type="log"), title="Energy (Wh per 1000 inferences, log scale)")
    x = alt.X("quality:Q", scale=alt.Scale(zero=False), title=metric_label)
    tooltip = [
        alt.Tooltip("model_id:N", title="model"), alt.Tooltip("wh_per_1k:Q", title="Wh per 1000", format=".4f"),
        alt.Tooltip("quality:Q", title=metric_label, format=".4f"),
        alt.Tooltip("parameters_m:Q", title="parameters (M)", format=",.0f"), alt.Tooltip("stars:Q"),
        alt.Tooltip("status:N"),
    ]
    points = alt.Chart(df).mark_circle(opacity=0.85).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("status:N", scale=alt.Scale(domain=STATUS_ORDER, range=STATUS_COLORS), title=None),
        size=alt.condition(alt.datum.status == "recommended", alt.value(260), alt.value(80)),
    )
    pareto = alt.Chart(front).mark_line(strokeDash=[4, 3], color="#1f77b4", point=False).encode(
        x="quality:Q", y="wh_per_1k:Q", order="wh_per_1k:Q"
    )
    rule = alt.Chart(pd.DataFrame({"threshold": [threshold]})).mark_rule(color="#555", strokeDash=[2, 2]).encode(
        x="threshold:Q"
    )
    labels = alt.Chart(df[df.status == "recommended"]).mark_text(align="left", dx=10, fontWeight="bold").encode(
        x="quality:Q", y="wh_per_1k:Q", text="model_id:N"
    )
    return alt.layer(pareto, rule, points, labels).properties(height=420)
