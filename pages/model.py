"""Model: one model's metadata, lineage, every measurement and quality score with provenance."""

import pandas as pd
import streamlit as st

from effdash.errors import EffdashError
from effdash.models_view import list_model_ids, model_detail

if "store" not in st.session_state:  # opened without the router (a deep link on a fresh server)
    st.switch_page("app.py", query_params={**st.query_params.to_dict(), "goto": "model"})
store = st.session_state["store"]

try:  # the database may have gone away since the last rerun: say so, the next action retries
    with store.session() as s:
        model_ids = list_model_ids(s)
except EffdashError as exc:
    st.error(str(exc))
    st.stop()
if not model_ids:
    st.info("No models yet. Run `python -m effdash init` to load the bundled reference data.")
    st.stop()

wanted = st.query_params.get("model")
model_id = st.selectbox("Model", model_ids, index=model_ids.index(wanted) if wanted in model_ids else 0)
st.query_params["model"] = model_id
try:
    with store.session() as s:
        d = model_detail(s, model_id)
except EffdashError as exc:
    st.error(str(exc))
    st.stop()

st.title(d.model.model_id)
m = d.model
cols = st.columns(4)
cols[0].metric("Parameters", f"{m.parameters / 1e6:,.1f} M" if m.parameters else "unknown")
cols[1].metric("Pipeline task", m.pipeline_tag or "unknown")
cols[2].metric("Licence", m.license or "unknown")
cols[3].metric("Downloads", f"{m.downloads:,}" if m.downloads is not None else "unknown")
if m.parameters_source:
    st.caption(f"Parameter count: {m.parameters_source}")
if m.metadata_source:
    st.caption(f"Metadata from {m.metadata_source}"
               + (f", as of {m.metadata_fetched_at:%Y-%m-%d}" if m.metadata_fetched_at else ""))

st.subheader("Lineage")
if d.bases or d.derived:
    for edge in d.bases:
        st.markdown(f"- {edge.relation} of `{edge.base_model_id}`" + (f" — {edge.source}" if edge.source else ""))
    for other, relation in d.derived:
        st.markdown(f"- `{other}` is a {relation} of this model")
else:
    st.caption("No known base model or derived variants.")

st.subheader("Energy measurements")
if d.measurements:
    st.dataframe(pd.DataFrame(d.measurements), hide_index=True, width="stretch")
else:
    st.caption("Not measured yet.")
st.subheader("Quality scores")
if d.quality:
    st.dataframe(pd.DataFrame(d.quality), hide_index=True, width="stretch")
else:
    st.caption("No quality scores.")
