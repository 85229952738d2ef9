"""Measure: run a model on this machine in the background and record its energy per 1000 inferences."""

import streamlit as st

from effdash.errors import EffdashError
from effdash.measure import missing_packages
from effdash.measure.jobs import ACTIVE, list_jobs, request_cancel, start_measure_job
from effdash.measure.runners import SUPPORTED_TASKS
from effdash.tasks import task_label

if "store" not in st.session_state:  # opened without the router (a deep link on a fresh server)
    st.switch_page("app.py", query_params={**st.query_params.to_dict(), "goto": "measure"})
if "store" not in st.session_state:  # opened without the router (a deep link on a fresh server)
    st.switch_page("app.py", query_params={**st.query_params.to_dict(), "goto": "measure"})
store = st.session_state["store"]

st.title("Measure a model on this machine")
missing = missing_packages()
if missing:
    st.info(f"Measuring needs the measurement stack ({', '.join(missing)} missing). Enable it with "
            "`pip install -r requirements-measure.txt`, then restart the dashboard. Everything else works without it.")
    st.stop()

st.caption("Runs the model on effdash's fixed input set for the task: idle power first, warm-up, then repeated "
           "measured windows. GPU energy comes from the NVML counter; CPU and RAM from CodeCarbon, which "
           "estimates them where no RAPL counter is readable, and says so in the record.")

with st.form("measure"):
    c1, c2 = st.columns([2, 1])
    model = c1.text_input("Model (Hugging Face id or local folder)", placeholder="sentence-transformers/all-MiniLM-L6-v2")
    task = c2.selectbox("Task", SUPPORTED_TASKS, format_func=task_label)
    c3, c4, c5, c6 = st.columns(4)
    samples = c3.number_input("Inferences per repeat", min_value=1, value=1000, step=100)
    batch_size = c4.number_input("Batch size", min_value=1, value=1)
    repeats = c5.number_input("Repeats", min_value=1, value=5)
    device = c6.selectbox("Device", ["cpu", "cuda"])
    with st.expander("Advanced"):
        a1, a2 = st.columns(2)
        idle_s = a1.number_input("Idle-power window (s)", min_value=0.0, value=5.0, step=1.0)
        min_window_s = a2.number_input("Shortest measured window (s; 0 = the meter's own)", min_value=0.0, value=0.0)
    started = st.form_submit_button("Start measuring", type="primary")

if started:
    if not model.strip():
        st.error("Enter a model id or a local model folder first.")
    else:
        params = {"model": model.strip(), "task": task, "samples": int(samples), "batch_size": int(batch_size),
                  "repeats": int(repeats), "device": device, "idle_s": idle_s,
                  "min_window_s": min_window_s or None}
        try:
            job_id = start_measure_job(store, params)
            st.success(f"Started measurement #{job_id}: {model.strip()} on {task_label(task)}. "
                       "It runs in the background; you can keep using the dashboard.")
        except EffdashError as exc:
            st.error(f"Could not start the measurement. {exc}")


def cancel(job_id: int) -> None:
    try:
        request_cancel(store, job_id)
    except EffdashError as exc:
        st.error(f"Could not cancel measurement #{job_id}. {exc}")
        return
    st.rerun(scope="fragment")


@st.fragment(run_every=2.0)
def jobs_panel() -> None:
    try:
        jobs = list_jobs(store)
    except EffdashError as exc:
        st.error(f"Cannot read the measurement jobs. {exc}")
        return
    if not jobs:
        st.info("No measurements started from the dashboard yet.")
        return
    for job in jobs:
        p = job.params
        with st.container(border=True):
            st.markdown(f"**#{job.id} {p.get('model')}** · {task_label(p.get('task', ''))} · {p.get('device')} · "
                        f"{p.get('samples')} inferences × {p.get('repeats')} repeats · status **{job.status}**")
            if job.status in ACTIVE:
                st.progress(job.progress, text=job.message or job.status)
                if not job.cancel_requested and st.button("Cancel", key=f"cancel-{job.id}"):
                    cancel(job.id)
            elif job.status == "done":
                st.success(f"Done: {job.message}. The result is on the Compare page "
                           f"(task {task_label(p.get('task', ''))}).")
                st.page_link("pages/compare.py", label="Open Compare", query_params={"task": p.get("task")})
            else:
                st.error(f"{job.status.capitalize()}: {job.message}")


jobs_panel()
