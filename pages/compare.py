"""Compare: task-matched models, and the smallest one that is good enough."""

import pandas as pd
import streamlit as st

from effdash.candidates import list_groups, list_quality_keys, list_tasks, task_baselines
from effdash.carbon import countries
from effdash.charts import energy_quality_chart, status_of
from effdash.compare import compare
from effdash.errors import EffdashError
from effdash.methods import ComparisonGroup
from effdash.recommend import OBJECTIVES
from effdash.store import data_version
from effdash.tasks import task_label

store = st.session_state["store"]
version = data_version(store)
qp = st.query_params


@st.cache_data(show_spinner=False)
def cached_tasks(url: str, version: tuple) -> list[str]:
    with store.session() as s:
        return list_tasks(s)


@st.cache_data(show_spinner=False)
def cached_options(url: str, version: tuple, task: str):
    with store.session() as s:
        return list_quality_keys(s, task), list_groups(s, task), task_baselines(s, task)


@st.cache_data(show_spinner="Comparing…")
def cached_compare(url: str, version: tuple, **kwargs):
    with store.session() as s:
        return compare(s, **kwargs)


def pick(options: list, wanted, default_index: int = 0) -> int:
    return options.index(wanted) if wanted in options else default_index


st.title("Which model is good enough, for the least energy?")
tasks = cached_tasks(store.url, version)
if not tasks:
    st.info("No measurements or quality scores yet. Run `python -m effdash init` to load the bundled "
            "reference data, or add your own figures.")
    st.stop()

c1, c2, c3 = st.columns([1, 1.4, 2])
task = c1.selectbox("Task", tasks, index=pick(tasks, qp.get("task", "text-classification")), format_func=task_label)
keys, groups, baselines = cached_options(store.url, version, task)
if not keys:
    st.info(f"No quality scores for {task_label(task)} yet, so nothing can be recommended. "
            "Import scores (quality columns of the native CSV format) to compare models on quality.")
    st.stop()
key_tokens = ["|".join((k.metric, k.dataset, k.split, k.slice)) for k, _ in keys]
key_idx = c2.selectbox("Quality metric and dataset", range(len(keys)), index=pick(key_tokens, qp.get("metric"), 0),
                       format_func=lambda i: f"{keys[i][0].label} ({keys[i][1]} models)")
key = keys[key_idx][0]
if not groups:
    st.info(f"No energy measurements for {task_label(task)} yet.")
    st.stop()
group_tokens = [g.group.as_token() for g in groups]
group_idx = c3.selectbox("Compare figures measured on", range(len(groups)),
                         index=pick(group_tokens, qp.get("group"), 0),
                         format_func=lambda i: f"{groups[i].group.label} ({groups[i].models} models)",
                         help="Figures from different hardware, energy basis, method tier or window are "
                              "never mixed: pick the group to compare within.")
group = groups[group_idx].group

c4, c5, c6, c7 = st.columns([2, 1.2, 1, 1.2])
threshold = c4.slider(f"Minimum {key.metric} (0 to 1)", 0.0, 1.0, float(qp.get("min", 0.85)), 0.01)
objective = c5.radio("Recommend the model with", list(OBJECTIVES), index=pick(list(OBJECTIVES), qp.get("opt"), 0),
                     format_func=OBJECTIVES.get, horizontal=False)
daily = c6.number_input("Inferences per day", min_value=1, value=int(qp.get("daily", 1_000_000)), step=100_000)
grids = countries()
codes = [g.code for g in grids]
country = c7.selectbox("Electricity grid", codes, index=pick(codes, qp.get("country", "WORLD")),
                       format_func=lambda c: f"{grids[codes.index(c)].name} ({grids[codes.index(c)].g_co2e_per_kwh:.0f} gCO2e/kWh)")

st.query_params.update({"task": task, "metric": key_tokens[key_idx], "group": group.as_token(),
                        "min": f"{threshold:.2f}", "opt": objective, "daily": str(daily), "country": country})

try:
    cmp = cached_compare(store.url, version, task=task, threshold=threshold, metric=key.metric, dataset=key.dataset,
                         split=key.split, slice=key.slice, group=group, objective=objective,
                         daily_inferences=int(daily), country=country)
except EffdashError as exc:
    st.error(str(exc))
    st.stop()
res = cmp.result

st.caption(f"Comparing within **{group.label}**. Energy is in Wh per 1000 inferences; carbon in gCO2e per "
           f"1000 inferences on the {cmp.grid.name} grid ({cmp.grid.g_co2e_per_kwh:.0f} gCO2e/kWh, {cmp.grid.source}).")
if group.tier != "counter":
    st.warning(f"These figures {'include estimates' if group.tier == 'estimate' else 'are ' + group.tier}: "
               "CPU and RAM energy that CodeCarbon estimates from TDP and memory size, not measured by a counter. "
               "Switch to a GPU-only group for counter-measured figures where one exists.")
if group.window == "whole_run":
    st.info("These figures cover whole runs including model loading, which weighs more on small models.")

rec = res.recommended
if rec is None:
    st.error(f"Nothing qualifies. {res.reason}")
    if res.closest:
        st.write("Closest candidates: " + ", ".join(
            f"{c.model_id} ({key.metric} {c.quality:.3f}, {c.wh_per_1k:.3f} Wh per 1000)" for c in res.closest))
else:
    st.success(f"**Recommended: {rec.model_id}** — the model with {OBJECTIVES[objective]} whose "
               f"{key.label} is at least {threshold:.2f}.")
    m = st.columns(5)
    spread = f"± {rec.wh_per_1k_std:.3f}" if rec.wh_per_1k_std is not None else ""
    m[0].metric("Energy (Wh per 1000 inferences)", f"{rec.wh_per_1k:.3f}", help=f"mean of {rec.measurements} "
                f"measurement(s), {rec.repeats} repeat(s) {spread}")
    m[1].metric("Carbon (gCO2e per 1000 inferences)", f"{rec.g_co2e_per_1k:.3f}")
    m[2].metric(key.metric.capitalize(), f"{rec.quality:.3f}")
    m[3].metric("Energy rating", "★" * rec.stars + "☆" * (5 - rec.stars))
    m[4].metric("Parameters", f"{rec.parameters / 1e6:,.0f} M" if rec.parameters else "unknown")
    s = st.columns(2)
    for col, label, saving in ((s[0], "largest qualifying model", res.saving_vs_largest),
                               (s[1], "most energy-hungry candidate", res.saving_vs_hungriest)):
        if saving:
            col.metric(f"Saving vs {label}: {saving.versus.model_id}",
                       f"{saving.wh_per_1k:.3f} Wh per 1000 ({saving.percent:.0f}%)",
                       f"{saving.kwh_per_year:,.1f} kWh / {saving.kg_co2e_per_year:,.1f} kgCO2e per year "
                       f"at {int(daily):,} per day", delta_color="off")
        else:
            col.caption(f"The recommendation is itself the {label}.")

chart = energy_quality_chart(res, threshold=threshold, metric_label=key.label,
                             higher_is_better=cmp.request.higher_is_better)
if chart is not None:
    st.altair_chart(chart, width="stretch")
    st.caption("Dashed blue line: Pareto front (no other model is both cheaper and better). "
               "Dotted grey line: the threshold. Models without a score for this metric are listed below.")

excluded = {e.candidate.model_id: e.reason for e in res.excluded}
rows = []
for c in res.candidates + [e.candidate for e in res.excluded if e.candidate.wh_per_1k is None]:
    rows.append({
        "model": c.model_id, "parameters (M)": c.parameters / 1e6 if c.parameters else None,
        "Wh per 1000 inferences": c.wh_per_1k, "± spread": c.wh_per_1k_std,
        "gCO2e per 1000": c.g_co2e_per_1k, key.metric: c.quality, "stars": c.stars,
        "measurements": c.measurements, "repeats": c.repeats,
        "status": excluded.get(c.model_id, status_of(c, res)), "source": "; ".join(c.sources),
    })
st.subheader("All candidates")
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
             column_config={"parameters (M)": st.column_config.NumberColumn(format="%.0f"),
                            "Wh per 1000 inferences": st.column_config.NumberColumn(format="%.4f"),
                            "± spread": st.column_config.NumberColumn(format="%.4f"),
                            "gCO2e per 1000": st.column_config.NumberColumn(format="%.4f"),
                            key.metric: st.column_config.NumberColumn(format="%.4f")})
if baselines:
    st.caption("Typical for this task: " + "; ".join(
        f"{b.wh_per_1k_mean:.0f} ± {b.wh_per_1k_std:.0f} Wh per 1000 inferences ({b.hardware}; {src.citation})"
        for b, src in baselines))
st.page_link("pages/model.py", label="Open a model's details", icon="🔎",
             query_params={"model": rec.model_id} if rec else None)
