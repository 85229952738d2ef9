"""Shared fixtures: every test gets its own real database, HOME and caches under tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from effdash.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """No test reads the developer's HOME, secrets, database or Hub cache."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("EFFDASH_DATABASE_URL", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'effdash.db'}"


@pytest.fixture
def store(db_url) -> Store:
    """A fresh, migrated, empty database."""
    s = Store(db_url)
    yield s
    s.dispose()


@pytest.fixture(scope="session")
def reference_db_template(tmp_path_factory) -> Path:
    """A database with the bundled reference data, built once and copied per test."""
    from effdash.bundled import load_reference_data

    path = tmp_path_factory.mktemp("reference") / "reference.db"
    s = Store(f"sqlite:///{path}")
    with s.session() as session:
        load_reference_data(session)
    s.dispose()
    return path


@pytest.fixture
def reference_store(tmp_path, reference_db_template) -> Store:
    """A database holding the bundled reference data (a private copy)."""
    import shutil

    path = tmp_path / "ref.db"
    shutil.copy(reference_db_template, path)
    s = Store(f"sqlite:///{path}")
    yield s
    s.dispose()
