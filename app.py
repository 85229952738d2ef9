"""effdash dashboard: the router. Sets the page config, opens the store once, builds the
shared sidebar and hands over to the page chosen in the navigation."""

from pathlib import Path

import streamlit as st

from effdash import __version__
from effdash.config import DEFAULT_URL, resolve_database_url
from effdash.errors import EffdashError
from effdash.store import Store, open_store

st.set_page_config(page_title="effdash · energy per task", page_icon="⚡", layout="wide")


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets.toml: Streamlit raises its own error type
        return {}


@st.cache_resource(show_spinner="Opening the database…")
def get_store(url: str) -> Store:
    first_start = url == DEFAULT_URL and not Path(url.removeprefix("sqlite:///")).exists()
    store = open_store(url)
    if first_start:
        from effdash.bundled import load_reference_data

        with store.session() as session:
            load_reference_data(session)
    return store


url = resolve_database_url(secrets=_secrets())
try:
    st.session_state["store"] = get_store(url)
except EffdashError as exc:
    st.error(f"effdash cannot open its database. {exc}")
    st.stop()

with st.sidebar:
    store = st.session_state["store"]
    st.caption(
        f"effdash {__version__} · {store.dialect} database · energy in Wh per 1000 inferences"
    )

PAGES = {
    "compare": st.Page("pages/compare.py", title="Compare", icon="⚖️", default=True),
    "model": st.Page("pages/model.py", title="Model", icon="🔎"),
    "upload": st.Page("pages/upload.py", title="Upload", icon="📥"),
    "measure": st.Page("pages/measure.py", title="Measure", icon="🔌"),
    "models": st.Page("pages/models.py", title="Models", icon="🗂️"),
}
page = st.navigation(list(PAGES.values()))
goto = st.query_params.get("goto")
if goto:  # a page opened without the router handed over to it: go back to that page
    params = {k: v for k, v in st.query_params.to_dict().items() if k != "goto"}
    if goto in PAGES:
        st.switch_page(PAGES[goto], query_params=params)
    st.query_params.clear()
    st.query_params.update(params)
try:
    page.run()
except EffdashError as exc:  # e.g. the database went away mid-session: say so; the next action retries
    st.error(str(exc))
