"""Compare: task-matched models, and the smallest one that is good enough."""

import pandas as pd
import streamlit as st

from effdash.candidates import list_groups, list_quality_keys, list_tasks, task_baselines
from effdash.carbon import countries
from effdash.charts import energy_quality_chart
from effdash.compare import compare, comparison_rows
from effdash.compare_view import comparison_view
from effdash.errors import EffdashError
from effdash.export import to_csv
from effdash.hub.catalog import discovered_candidates
from effdash.recommend import OBJECTIVES
from effdash.store import data_version
from effdash.tasks import task_label

if "store" not in st.session_state:  # opened without the router (a deep link on a fresh server)
    st.switch_page("app.py", query_params={**st.query_params.to_dict(), "goto": "compare"})
store = st.session_state["store"]
try:  # the database may have gone away since the last rerun: say so, the next action retries
    version = data_version(store)
except EffdashError as exc:
    st.error(str(exc))
    st.stop()
qp = st.query_params


@st.cache_data(show_spinner=False)
def cached_tasks(url: str, version: tuple) -> list[str]:
    with store.session() as s:
        return list_tasks(s)


@st.cache_data(show_spinner=False)
def cached_options(url: str, version: tuple, task: str):
    with store.session() as s:
        return list_quality_keys(s, task), list_groups(s, task), task_baselines(s, task)


@st.cache_data(show_spinner=False)
def cached_discovered(url: str, version: tuple, task: str):
    with store.session() as s:
        return discovered_candidates(s, task)


@st.cache_data(show_spinner="Comparing…")
def cached_view(url: str, version: tuple, **kwargs):
    with store.session() as s:
        return comparison_view(s, asked=[d.model_id for d in discovered_candidates(s, kwargs["task"])], **kwargs)


@st.cache_data(show_spinner=False)
def cached_csv(url: str, version: tuple, **kwargs) -> str:
    with store.session() as s:
        return to_csv(comparison_rows(compare(s, **kwargs)))


def init_state(key: str, options: list, default):
    """Seed a widget's state from the URL on first use, and keep it valid when its options change."""
    if key not in st.session_state:
        wanted = qp.get(key, default)
        st.session_state[key] = wanted if wanted in options else default
    if st.session_state[key] not in options:
        st.session_state[key] = default if default in options else options[0]


def init_number(key: str, default: float, cast, low: float, high: float) -> None:
    if key not in st.session_state:
        try:
            value = cast(qp.get(key, default))
        except ValueError:
            value = default
        st.session_state[key] = min(max(value, low), high)


st.title("Which model is good enough, for the least energy?")
tasks = cached_tasks(store.url, version)
if not tasks:
    st.info("No measurements or quality scores yet. Run `python -m effdash init` to load the bundled "
            "reference data, or add your own figures.")
    st.stop()

c1, c2, c3 = st.columns([1, 1.4, 2])
init_state("task", tasks, "text-classification" if "text-classification" in tasks else tasks[0])
task = c1.selectbox("Task", tasks, format_func=task_label, key="task")
keys, groups, baselines = cached_options(store.url, version, task)
if not keys:
    st.info(f"No quality scores for {task_label(task)} yet, so nothing can be recommended. "
            "Import scores (quality columns of the native CSV format) to compare models on quality.")
    st.stop()
key_by_token = {"|".join((k.metric, k.dataset, k.split, k.slice)): (k, n) for k, n in keys}
key_tokens = list(key_by_token)
init_state("metric", key_tokens, key_tokens[0])
key_token = c2.selectbox("Quality metric and dataset", key_tokens, key="metric",
                         format_func=lambda t: f"{key_by_token[t][0].label} ({key_by_token[t][1]} models)")
key = key_by_token[key_token][0]
if not groups:
    st.info(f"No energy measurements for {task_label(task)} yet.")
    st.stop()
group_by_token = {g.group.as_token(): g for g in groups}
group_tokens = list(group_by_token)
init_state("group", group_tokens, group_tokens[0])
group_token = c3.selectbox("Compare figures measured on", group_tokens, key="group",
                           format_func=lambda t: f"{group_by_token[t].group.label} ({group_by_token[t].models} models)",
                           help="Figures from different hardware, energy basis, method tier or window are "
                                "never mixed: pick the group to compare within.")
group = group_by_token[group_token].group

c4, c5, c6, c7 = st.columns([2, 1.2, 1, 1.2])
init_number("min", 0.85, float, 0.0, 1.0)
threshold = c4.slider(f"Minimum {key.metric} (0 to 1)", 0.0, 1.0, step=0.01, key="min")
init_state("opt", list(OBJECTIVES), "params")
objective = c5.radio("Recommend the model with", list(OBJECTIVES), format_func=OBJECTIVES.get, key="opt")
init_number("daily", 1_000_000, int, 1, 10**12)
daily = c6.number_input("Inferences per day", min_value=1, step=100_000, key="daily")
grids = {g.code: g for g in countries()}
init_state("country", list(grids), "WORLD")
country = c7.selectbox("Electricity grid", list(grids), key="country",
                       format_func=lambda c: f"{grids[c].name} ({grids[c].g_co2e_per_kwh:.0f} gCO2e/kWh)")

st.query_params.update({"task": task, "metric": key_token, "group": group.as_token(),
                        "min": f"{threshold:.2f}", "opt": objective, "daily": str(daily), "country": country})

wanted = dict(task=task, threshold=threshold, metric=key.metric, dataset=key.dataset, split=key.split,
              slice=key.slice, group=group, objective=objective, daily_inferences=int(daily), country=country)
try:
    view = cached_view(store.url, version, **wanted)
except EffdashError as exc:
    st.error(str(exc))
    st.stop()
cmp = view.cmp
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
    m[0].metric("Wh per 1000 inferences", f"{rec.wh_per_1k:.3f}", help=f"Mean of {rec.measurements} "
                f"measurement(s) over {rec.repeats} repeat(s) {spread}")
    m[1].metric("gCO2e per 1000 inferences", f"{rec.g_co2e_per_1k:.3f}", help=f"On the {cmp.grid.name} grid")
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
                       f"at {int(daily):,} per day", delta_color="off", delta_arrow="off")
        else:
            col.caption(f"The recommendation is itself the {label}.")

chart = energy_quality_chart(res, threshold=threshold, metric_label=key.label,
                             higher_is_better=cmp.request.higher_is_better)
if chart is not None:
    st.altair_chart(chart, width="stretch")
    st.caption("Dashed blue line: Pareto front (no other model is both cheaper and better). "
               "Dotted grey line: the threshold. Models without a score for this metric are listed below.")

st.subheader("All candidates")
rows = view.rows
if len(rows) < view.rows_total:
    st.caption(f"Showing {len(rows):,} of {view.rows_total:,} candidates: the best qualifying ones, those nearest "
               "the threshold, the Pareto front, the first unscored ones and the best scored ones not measured here. "
               "The CSV below has all of them.")
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
             column_config={"parameters (M)": st.column_config.NumberColumn(format="%.0f"),
                            "Wh per 1000 inferences": st.column_config.NumberColumn(format="%.4f"),
                            "± spread": st.column_config.NumberColumn(format="%.4f"),
                            "gCO2e per 1000": st.column_config.NumberColumn(format="%.4f"),
                            key.metric: st.column_config.NumberColumn(format="%.4f")})
st.download_button("Download this comparison (CSV)", lambda: cached_csv(store.url, version, **wanted),
                   file_name=f"effdash-{task}-{key.dataset}.csv", mime="text/csv",
                   help="Cells that a spreadsheet would run as formulas are neutralised.")
discovered = [d for d in cached_discovered(store.url, version, task) if d.model_id not in view.in_comparison]
if discovered:
    st.subheader("Not measured yet (found on the Hugging Face Hub)")
    st.dataframe(pd.DataFrame([
        {"model": d.model_id, "downloads": d.downloads, "parameters (M)": d.parameters / 1e6 if d.parameters else None,
         "licence": d.license, "metadata as of": d.metadata_fetched_at.date().isoformat() if d.metadata_fetched_at else None}
        for d in discovered]), hide_index=True, width="stretch")
    st.caption("Measure them on the **Measure** page (or `effdash measure MODEL --task TASK`), or import a "
               "published figure on the **Upload** page, to compare them here.")
if baselines:
    st.caption("Typical for this task: " + "; ".join(
        f"{b.wh_per_1k_mean:.0f} ± {b.wh_per_1k_std:.0f} Wh per 1000 inferences ({b.hardware}; {src.citation})"
        for b, src in baselines))
st.page_link("pages/model.py", label="Open a model's details", icon="🔎",
             query_params={"model": rec.model_id} if rec else None)
