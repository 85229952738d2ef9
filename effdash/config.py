"""Where the database is: --db, then EFFDASH_DATABASE_URL, then Streamlit secrets, then data/."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Mapping

ENV_VAR = "EFFDASH_DATABASE_URL"
#: The project root (the folder holding app.py and data/).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_URL = f"sqlite:///{DATA_DIR / 'effdash.db'}"


def secrets_files() -> list[Path]:
    """Streamlit's secrets locations: the project's .streamlit/ then the user's ~/.streamlit/."""
    return [Path.cwd() / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


def url_from_secrets(secrets: Mapping | None = None) -> str | None:
    """``[connections.effdash] url`` from a secrets mapping, or from the secrets files."""
    if secrets is None:
        for path in secrets_files():
            if path.is_file():
                with path.open("rb") as fh:
                    secrets = tomllib.load(fh)
                break
        else:
            return None
    try:
        url = secrets["connections"]["effdash"]["url"]
    except (KeyError, TypeError):
        return None
    return str(url) if url else None


def resolve_database_url(cli_url: str | None = None, secrets: Mapping | None = None) -> str:
    """The database URL by precedence: --db, env var, secrets, default SQLite file in data/."""
    for candidate in (cli_url, os.environ.get(ENV_VAR), url_from_secrets(secrets)):
        if candidate:
            return candidate
    return DEFAULT_URL
