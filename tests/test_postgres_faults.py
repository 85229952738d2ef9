"""PostgreSQL going away mid-session: a clear message, and recovery on the next action.

These tests stop and start a PostgreSQL server, so they run a private one (initdb into a
temporary folder, 127.0.0.1, a free port) rather than the shared test server. They need
the server binaries (Debian package postgresql); without them they are skipped (failed
under CI=true, where scripts/test.sh installs them).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid

import pytest

from effdash.errors import DatabaseUnavailable
from effdash.records import MeasurementIn, RunEnergy, SourceRef, add_measurement, add_quality, get_or_create_model
from effdash.store import Store, data_version



class PrivateServer:
    """A throwaway PostgreSQL cluster that a test may stop and start."""

    def __init__(self, bindir: str):
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix="effdash-pgfault-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", f"{self.dir}/data", "-U", "effdash", "--auth=trust", "-E", "UTF8", "--no-locale")
        self.start()
        self.url = f"postgresql+psycopg://effdash@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        """The URL of a new, empty database on this server."""
        from sqlalchemy import create_engine, text

        name = f"fault_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def _run(self, tool: str, *args: str) -> None:
        cmd = [f"{self.bindir}/{tool}", *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-w", "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-m", "fast", "-w", "restart", "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off")

    def close(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def server(missing):
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not bindirs:
        missing("no PostgreSQL server binaries (Debian package postgresql)")
    srv = PrivateServer(os.path.dirname(bindirs[-1]))
    yield srv
    srv.close()


@pytest.fixture
def pg_store(server):
    """A migrated store on the private server holding one model with a measurement and a score."""
    s = Store(server.new_database())
    source = SourceRef("measured", "fault test")
    with s.session() as session:
        get_or_create_model(session, "fault/model", parameters=10_000_000)
        add_measurement(session, MeasurementIn(
            model_id="fault/model", task="text-classification", inferences=1000, hardware="Fault GPU",
            runs=[RunEnergy(gpu_energy_kwh=0.002)], source=source, components=("gpu",), gpu_method="nvml_counter"))
        add_quality(session, model_id="fault/model", task="text-classification", dataset="sst2", metric="accuracy",
                    value=0.9, source=source)
    yield s
    s.dispose()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "effdash", *args], capture_output=True, text=True, timeout=120)


def test_a_restart_between_actions_is_invisible(server, pg_store):
    assert data_version(pg_store) == ((1, 1), (1, 1), (1, 1))  # pooled connections are now open
    server.restart()  # they die with the old server; pool_pre_ping replaces them at checkout
    assert data_version(pg_store) == ((1, 1), (1, 1), (1, 1))


def test_a_stopped_server_gives_a_clear_message_then_recovers(server, pg_store):
    assert data_version(pg_store)[0] == (1, 1)
    server.stop()
    try:
        with pytest.raises(DatabaseUnavailable) as exc:
            data_version(pg_store)
        assert str(exc.value).startswith("The database did not answer")
        assert "Check that it is running, then retry." in str(exc.value)
        cli = run_cli("recommend", "--db", pg_store.url, "--task", "text-classification", "--metric", "accuracy",
                      "--min-quality", "0.5")
        assert cli.returncode == 1
        assert cli.stderr.startswith("effdash: error: Cannot open the database") and "Traceback" not in cli.stderr
        assert len(cli.stderr.strip().splitlines()) <= 3  # one screen, no traceback
    finally:
        server.start()
    assert data_version(pg_store) == ((1, 1), (1, 1), (1, 1))  # the same Store works again: the next action recovers
    cli = run_cli("recommend", "--db", pg_store.url, "--task", "text-classification", "--metric", "accuracy",
                  "--min-quality", "0.5", "--json")
    assert cli.returncode == 0 and '"model_id": "fault/model"' in cli.stdout


def test_the_dashboard_shows_an_error_while_the_server_is_down_and_recovers(server, pg_store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("EFFDASH_DATABASE_URL", pg_store.url)
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.query_params["task"] = "text-classification"
    at.query_params["min"] = "0.5"
    at.run()
    assert "Recommended: fault/model" in at.success[0].value  # 10M params, accuracy 0.9 >= 0.5
    server.stop()
    try:
        at.run()
        assert not at.exception  # no traceback on the page
        assert any("did not answer" in e.value for e in at.error)
    finally:
        server.start()
    at.run()
    assert not at.exception and not at.error
    assert "Recommended: fault/model" in at.success[0].value
