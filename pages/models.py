"""Models: search and filter every known model; a model's family with energy and quality side by side."""

import pandas as pd
import streamlit as st

from effdash.errors import EffdashError
from effdash.hub.catalog import family_side_by_side, filter_options, hub_version, list_known_models, model_family
from effdash.tasks import task_label

if "store" not in st.session_state:  # opened without the router (a deep link on a fresh server)
    st.switch_page("app.py", query_params={**st.query_params.to_dict(), "goto": "models"})
store = st.session_state["store"]
version = hub_version(store)
qp = st.query_params
SIZES = {"any size": (None, None), "under 100M": (None, 100_000_000), "100M to 1B": (100_000_000, 1_000_000_000),
         "1B to 10B": (1_000_000_000, 10_000_000_000), "over 10B": (10_000_000_000, None)}
MEASURED = {"any": None, "measured": True, "not measured yet": False}


@st.cache_data(show_spinner=False)
def cached_options(url: str, version: tuple) -> dict:
    with store.session() as s:
        return filter_options(s)


@st.cache_data(show_spinner=False)
def cached_models(url: str, version: tuple, **filters) -> list:
    with store.session() as s:
        return list_known_models(s, **filters)


@st.cache_data(show_spinner=False)
def cached_family(url: str, version: tuple, model_id: str):
    with store.session() as s:
        return model_family(s, model_id)


def as_of(when) -> str:
    return f"as of {when:%Y-%m-%d}" if when else "no Hub metadata yet"


def plain(text: str) -> str:
    """A model id as literal text inside Markdown (ids are user data: no links, no formatting)."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!<>|~$" else c for c in text)


def millions(n) -> float | None:
    return round(n / 1e6, 1) if n else None


st.title("Models")
st.caption("Every model effdash knows, with metadata from the Hugging Face Hub (`effdash hub sync`, "
           "`effdash hub discover`) kept locally: the page works offline and shows when it was fetched.")
options = cached_options(store.url, version)
c1, c2, c3, c4, c5 = st.columns([2, 1.4, 1.2, 1.1, 1.1])
text = c1.text_input("Search", placeholder="model id contains…")
tasks = ["all tasks", *options["tasks"]]
task = c2.selectbox("Task", tasks, format_func=lambda t: t if t == "all tasks" else task_label(t))
licenses = ["any licence", *options["licenses"]]
license_ = c3.selectbox("Licence", licenses)
size = c4.selectbox("Size (parameters)", list(SIZES))
measured = c5.selectbox("Measurements", list(MEASURED))

low, high = SIZES[size]
models = cached_models(store.url, version, text=text or None, task=None if task == "all tasks" else task,
                       license=None if license_ == "any licence" else license_, min_parameters=low,
                       max_parameters=high, measured=MEASURED[measured])
if not models:
    st.info("No model matches these filters. Add models with `effdash hub sync MODEL_ID` or "
            "`effdash hub discover --task TASK`, or load the reference data with `effdash init`.")
    st.stop()
st.dataframe(pd.DataFrame([{
    "model": m.model_id, "task": m.pipeline_tag, "parameters (M)": millions(m.parameters),
    "size from": "config (derived)" if m.parameters_derived else ("Hub / source" if m.parameters else "unknown"),
    "licence": m.license, "downloads": m.downloads, "measurements": m.measurements,
    "quality scores": m.quality_scores,
    "energy": "measured" if m.measurements else "not measured yet",
    "metadata": as_of(m.metadata_fetched_at),
} for m in models]), hide_index=True, width="stretch")
st.caption(f"{len(models)} models.")

st.header("Family")
ids = [m.model_id for m in models]
model_id = st.selectbox("Model", ids, index=ids.index(qp["model"]) if qp.get("model") in ids else 0)
st.query_params["model"] = model_id
try:
    family = cached_family(store.url, version, model_id)
except EffdashError as exc:
    st.error(str(exc))
    st.stop()

chosen = next(m for m in models if m.model_id == model_id)
st.caption(f"Metadata of {plain(model_id)}: {chosen.metadata_source or 'no source'}, "
           f"{as_of(chosen.metadata_fetched_at)}.")
if len(family.members) == 1:
    st.info(f"No known base model or variants of {plain(model_id)}. `effdash hub sync MODEL_ID` fetches its "
            "lineage; variants appear once they are synced or discovered.")
st.dataframe(pd.DataFrame([{
    "member": m.model_id + (" (selected)" if m.model_id == model_id else ""), "relation": m.role,
    "of": m.base_model_id, "parameters (M)": millions(m.parameters),
    "metadata": as_of(m.metadata_fetched_at) if m.known else "not in effdash yet",
} for m in family.members]), hide_index=True, width="stretch")

groups = sorted({r["group"] for r in family.energy})
metrics = sorted({r["metric"] for r in family.quality})
if not groups and not metrics:
    st.caption("No energy figures or quality scores for this family yet.")
    st.stop()
g1, g2 = st.columns(2)
group = g1.selectbox("Energy within", groups or ["no energy figures"], help="Energy is only compared within one "
                     "hardware, basis, method tier and window.")
metric = g2.selectbox("Quality metric", metrics or ["no quality scores"])
rows = family_side_by_side(family, group=group, metric=metric)
st.subheader("Energy and quality side by side")
st.caption("Per dataset and per language slice where scores exist. Changes are against each member's own base "
           "model: what a fine-tuned, quantised or distilled variant saves in energy and costs in quality.")
st.dataframe(pd.DataFrame([{
    "member": r["model_id"], "relation": r["role"], "task": r["task"], "dataset": r["dataset"], "slice": r["slice"],
    "Wh per 1000": r["wh_per_1k"], f"{metric} (0..1)": r["quality"],
    "energy vs its base (%)": r["energy_vs_base_pct"], "quality vs its base (points)": r["quality_vs_base_points"],
} for r in rows]), hide_index=True, width="stretch")
