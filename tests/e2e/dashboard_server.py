"""Serving the dashboard for browser tests: ``streamlit run app.py`` on a free localhost port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer within {START_TIMEOUT_S} s:\n{log.read_text()}")


class App:
    """A running dashboard: its base URL and the database it reads."""

    def __init__(self, url: str, db_url: str, env: dict):
        self.url, self.db_url, self.env = url, db_url, env

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "effdash", *args, "--db", self.db_url], env=self.env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120)


def start_app(workdir: Path, db_url: str, *, init: bool = True):
    """Start ``streamlit run app.py`` on ``db_url``; returns (App, process)."""
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "EFFDASH_DATABASE_URL": db_url, "HOME": str(home), "HF_HUB_OFFLINE": "1"}
    app = App("", db_url, env)
    if init:
        done = app.cli("init")
        assert done.returncode == 0, done.stderr
    port = free_port()
    log = workdir / "streamlit.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    app.url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(app.url, proc, log)
    except Exception:
        proc.kill()
        raise
    return app, proc
