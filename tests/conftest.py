"""Shared fixtures: every test gets its own real database, HOME and caches under tmp_path.

Database fixtures run against two backends. ``backend`` is parametrised over ``sqlite`` and
``postgresql`` for every test that uses ``db_url``, ``store`` or ``reference_store`` (directly
or through another fixture). The PostgreSQL variant gets a fresh database on the server named
by ``EFFDASH_TEST_POSTGRES_URL`` (``scripts/test.sh`` starts one), created for the test and
dropped after it. Without that variable the PostgreSQL variants are skipped, except under
``CI=true``, where they fail: CI must test both backends.

A test that cannot run on PostgreSQL (it reads the SQLite file itself) is marked
``@pytest.mark.sqlite_only`` and gets the SQLite variant only.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest

from effdash.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
POSTGRES_ENV = "EFFDASH_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip a test whose infrastructure is missing; in CI, where it must exist, fail instead."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this must be available; run the tests with scripts/test.sh)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def missing():
    """``missing(reason)``: skip a test whose infrastructure is absent (fail under CI=true)."""
    return skip_or_fail


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: run only against SQLite (the test reads the SQLite file)")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"] if metafunc.definition.get_closest_marker("sqlite_only") else list(BACKENDS)
        metafunc.parametrize("backend", backends, indirect=True)


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
    monkeypatch.setenv("EFFDASH_HUB_AUTOSYNC", "0")  # no background Hub sync unless a test asks for one
    yield


# --- PostgreSQL server: one per test session, a fresh database per test ----------------------

class PostgresServer:
    """The test server at EFFDASH_TEST_POSTGRES_URL: creates and drops databases."""

    _names = itertools.count()

    def __init__(self, url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.url = make_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def unique_name(self, prefix: str = "effdash_test") -> str:
        return f"{prefix}_{os.getpid()}_{next(self._names)}"

    def create(self, name: str, template: str | None = None) -> str:
        from sqlalchemy import text

        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        with self.admin.connect() as conn:
            conn.execute(text(sql))
        return self.url_for(name)

    def drop(self, name: str) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_server():
    """The PostgreSQL test server, or a skip (a fail in CI) when none is configured."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        skip_or_fail(f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against")
    server = PostgresServer(url)
    yield server
    server.admin.dispose()


def _template(server: PostgresServer, load_reference: bool) -> str:
    """A migrated database (optionally with the reference data) to clone with CREATE DATABASE ... TEMPLATE."""
    name = server.unique_name("effdash_tmpl_ref" if load_reference else "effdash_tmpl")
    s = Store(server.create(name))
    if load_reference:
        from effdash.bundled import load_reference_data

        with s.session() as session:
            load_reference_data(session)
    s.dispose()  # a template must have no open connections when it is cloned
    return name


@pytest.fixture(scope="session")
def postgres_templates(postgres_server):
    names = {}

    def get(load_reference: bool) -> str:
        if load_reference not in names:
            names[load_reference] = _template(postgres_server, load_reference)
        return names[load_reference]

    yield get
    for name in names.values():
        postgres_server.drop(name)


@pytest.fixture
def backend(request) -> str:
    """Which database backend this test runs against: ``sqlite`` or ``postgresql``."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def fresh_database(backend, tmp_path, request):
    """A function ``make(reference=False, migrated=True) -> url`` of a new database of ``backend``.

    ``migrated=False`` gives a database without any table (for migration tests); a SQLite
    URL may point at a file that does not exist yet (opening it creates it).
    """
    created: list[str] = []

    def make(reference: bool = False, migrated: bool = True) -> str:
        if backend == "sqlite":
            path = tmp_path / ("ref.db" if reference else "effdash.db" if migrated else "bare.db")
            if reference:
                shutil.copy(request.getfixturevalue("reference_db_template"), path)
            return f"sqlite:///{path}"
        server = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("postgres_templates")(reference) if migrated or reference else None
        name = server.unique_name()
        created.append(name)
        return server.create(name, template=template)

    yield make
    if created:
        server = request.getfixturevalue("postgres_server")
        for name in created:
            server.drop(name)


@pytest.fixture
def db_url(fresh_database) -> str:
    """The URL of a fresh, migrated, empty database (SQLite file in tmp_path, or a new PostgreSQL database)."""
    return fresh_database()


@pytest.fixture
def store(db_url) -> Store:
    """A fresh, migrated, empty database."""
    s = Store(db_url)
    yield s
    s.dispose()


@pytest.fixture(scope="session")
def reference_db_template(tmp_path_factory) -> Path:
    """A SQLite database with the bundled reference data, built once and copied per test."""
    from effdash.bundled import load_reference_data

    path = tmp_path_factory.mktemp("reference") / "reference.db"
    s = Store(f"sqlite:///{path}")
    with s.session() as session:
        load_reference_data(session)
    s.dispose()
    return path


@pytest.fixture
def reference_store(fresh_database) -> Store:
    """A database holding the bundled reference data (a private copy)."""
    s = Store(fresh_database(reference=True))
    yield s
    s.dispose()
