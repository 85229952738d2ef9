"""effdash: which AI model is good enough for a task at the lowest energy cost.

The package is a library: the Streamlit pages (``app.py``, ``pages/``) and the
command line (``effdash.cli``) are thin faces over it. It never imports Streamlit.
"""

__version__ = "0.1.0"
