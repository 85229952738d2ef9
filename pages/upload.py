"""Upload: import measurement files. Each file is checked first (preview and plan), and stored
only on an explicit confirmation, as one transaction."""

import re

import pandas as pd
import streamlit as st

from effdash.hub.sync import schedule_sync
from effdash.ingest import (
    FORMATS, ImportOptions, InvalidUpload, Upload, detect_format, import_file, imported_model_ids, plan_file,
)
from effdash.ingest.template import column_docs, template_csv
from effdash.store import data_version
from effdash.tasks import TASKS, task_label

if "store" not in st.session_state:  # opened without the router (a deep link on a fresh server)
    st.switch_page("app.py", query_params={**st.query_params.to_dict(), "goto": "upload"})
store = st.session_state["store"]


def plain(text: str) -> str:
    """Text from a file, shown as text: Markdown characters escaped (no links, images or HTML)."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~$])", r"\\\1", text)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_detect(name: str, data: bytes) -> str | None:
    try:
        return detect_format(Upload.from_bytes(name, data))
    except InvalidUpload:
        return None


@st.cache_data(show_spinner="Checking the file…", max_entries=64)
def cached_plan(url: str, version: tuple, name: str, data: bytes, options: ImportOptions):
    try:
        return plan_file(store, Upload.from_bytes(name, data), options), None
    except InvalidUpload as exc:
        return None, str(exc)


st.title("Upload measurement files")
st.caption("Import energy figures measured elsewhere. Each file is checked and previewed first; nothing is "
           "stored until you confirm, and a file with a bad row is stored completely or not at all.")

with st.expander("Formats effdash reads, and the template of its own format"):
    st.table(pd.DataFrame({"format": list(FORMATS), "what": list(FORMATS.values())}))
    st.download_button("Download the native CSV template", template_csv(), file_name="effdash_template.csv",
                       mime="text/csv")
    st.dataframe(pd.DataFrame(column_docs()), hide_index=True, width="stretch")

files = st.file_uploader("Measurement files (CSV or JSON)", type=["csv", "tsv", "txt", "json"],
                         accept_multiple_files=True, key="upload_files")
with st.expander("Values the file does not contain (CodeCarbon, optimum-benchmark, AI Energy Score leaderboard)"):
    c1, c2, c3, c4 = st.columns(4)
    task = c1.selectbox("Task", list(TASKS), index=None, format_func=task_label, placeholder="from the file")
    inferences = c2.number_input("Inferences per run", min_value=1, value=None, step=100, placeholder="required "
                                 "for CodeCarbon")
    model = c3.text_input("Model id", placeholder="from the file") or None
    hardware = c4.text_input("Hardware (overrides the file)", placeholder="from the file") or None
valid_rows_only = st.checkbox("Import only the valid rows of a file that has rejected rows",
                              help="By default a file with any rejected row is not imported at all.")
if not files:
    st.info("Drop one or more files above: effdash native CSV, CodeCarbon emissions.csv, AI Energy Score, "
            "optimum-benchmark benchmark_report.json or ML.ENERGY model JSON.")
    st.stop()

version = data_version(store)
ready = []
for i, f in enumerate(files):
    data = f.getvalue()
    st.subheader(plain(f.name))
    detected = cached_detect(f.name, data)
    formats = list(FORMATS)
    fmt = st.selectbox("Format", formats, index=formats.index(detected) if detected else None,
                       format_func=lambda k: f"{k}: {FORMATS[k]}", key=f"format_{i}",
                       placeholder="not recognised: choose the format")
    options = ImportOptions(format=fmt, task=task, model=model, inferences=int(inferences) if inferences else None,
                            hardware=hardware, valid_rows_only=valid_rows_only)
    plan, error = cached_plan(store.url, version, f.name, data, options)
    if error:
        st.error("This file cannot be imported as it is; nothing of it will be stored.")
        st.code(error, language=None)
        continue
    st.markdown(f"**Plan:** {plan.rows_new:,} new, {plan.rows_duplicate:,} duplicates skipped, "
                f"{plan.rows_rejected:,} rejected; {plan.quality_new:,} quality scores · {plain(plan.label)}")
    for note in plan.notes:
        st.caption(plain(note))
    st.dataframe(pd.DataFrame(plan.preview), hide_index=True, width="stretch")
    if plan.errors:
        st.warning(f"{plan.rows_rejected:,} rows rejected" + ("" if valid_rows_only else
                   ": the file will not be imported unless you choose to import only the valid rows."))
        st.dataframe(pd.DataFrame([e.__dict__ for e in plan.errors]), hide_index=True, width="stretch")
        if not valid_rows_only:
            continue
    if plan.rows_new:
        ready.append((f.name, data, options))

if st.button(f"Import {len(ready)} file(s)", type="primary", disabled=not ready, key="confirm"):
    for name, data, options in ready:
        try:
            done = import_file(store, Upload.from_bytes(name, data), options)
        except InvalidUpload as exc:
            st.error(f"{plain(name)} was not imported.")
            st.code(str(exc), language=None)
            continue
        schedule_sync(imported_model_ids(store, done.batch_id), store)  # Hub metadata, in the background
        st.success(f"Imported {plain(name)} as import #{done.batch_id}: {done.rows_new:,} new measurements, "
                   f"{done.rows_duplicate:,} duplicates skipped, {done.quality_new:,} quality scores.")
    st.page_link("pages/compare.py", label="Compare the models", icon="⚖️")
