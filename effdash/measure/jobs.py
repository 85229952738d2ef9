"""Background measurements: a ``jobs`` row per run, a CLI subprocess doing the work.

The dashboard calls :func:`start_measure_job`, which adds a job and starts
``python -m effdash measure ... --job ID`` in its own process session, so the page never
blocks. The subprocess reports progress into the row (:class:`JobReporter`) and checks
``cancel_requested`` between batches; :func:`request_cancel` sets it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from effdash.config import PROJECT_ROOT
from effdash.schema import Job
from effdash.store import Store

KIND = "measure"
ACTIVE = ("queued", "running")
UPDATE_EVERY_S = 0.5


@dataclass(frozen=True)
class JobView:
    id: int
    status: str
    progress: float
    message: str
    params: dict
    measurement_pk: int | None
    cancel_requested: bool
    created_at: datetime


def _view(job: Job) -> JobView:
    return JobView(job.id, job.status, job.progress, job.message or "", json.loads(job.params or "{}"),
                   job.measurement_pk, job.cancel_requested, job.created_at)


def cli_args(params: dict) -> list[str]:
    """``effdash measure`` arguments for the page's form values."""
    args = [params["model"], "--task", params["task"], "--samples", str(params["samples"]),
            "--batch-size", str(params["batch_size"]), "--repeats", str(params["repeats"]),
            "--device", params["device"]]
    for key in ("country", "idle_s", "min_window_s", "meter"):
        if params.get(key) not in (None, ""):
            args += [f"--{key.replace('_', '-')}", str(params[key])]
    return args


def start_measure_job(store: Store, params: dict) -> int:
    """Add a job for ``params`` and start its worker process; returns the job id."""
    with store.session() as s:
        job = Job(kind=KIND, status="queued", progress=0.0, message="starting", params=json.dumps(params))
        s.add(job)
        s.flush()
        job_id = job.id
    log = Path(tempfile.gettempdir()) / f"effdash-job-{os.getpid()}-{job_id}.log"
    cmd = [sys.executable, "-m", "effdash", "measure", *cli_args(params), "--db", store.url, "--job", str(job_id)]
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=fh,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    with store.session() as s:
        job = s.get(Job, job_id)
        job.params = json.dumps({**params, "pid": proc.pid, "log": str(log)})
    return job_id


def list_jobs(store: Store, limit: int = 10) -> list[JobView]:
    """The most recent measurement jobs, newest first; jobs whose worker died are marked failed."""
    with store.session() as s:
        jobs = s.scalars(select(Job).where(Job.kind == KIND).order_by(Job.id.desc()).limit(limit)).all()
        for job in jobs:
            _reap(job)
        return [_view(j) for j in jobs]


def _alive(pid: int | None) -> bool:
    if not pid:
        return True  # not started yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of this process has exited
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def _reap(job: Job) -> None:
    if job.status in ACTIVE and not _alive(json.loads(job.params or "{}").get("pid")):
        job.status, job.message = "failed", "the measuring process ended without reporting a result"


def request_cancel(store: Store, job_id: int) -> None:
    with store.session() as s:
        job = s.get(Job, job_id)
        if job is not None and job.status in ACTIVE:
            job.cancel_requested = True
            job.message = "cancelling…"


class JobReporter:
    """The worker's side: progress updates (throttled), cancel checks, final state."""

    def __init__(self, store: Store, job_id: int):
        self.store, self.job_id = store, job_id
        self._last_update = self._last_check = 0.0
        self._cancelled = False
        self._set(status="running", message="loading")

    def _set(self, **fields) -> None:
        with self.store.session() as s:
            job = s.get(Job, self.job_id)
            for key, value in fields.items():
                setattr(job, key, value)
            job.updated_at = datetime.now(timezone.utc)

    def progress(self, fraction: float, message: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_update >= UPDATE_EVERY_S:
            self._last_update = now
            self._set(progress=max(0.0, min(1.0, fraction)), message=message)

    def should_cancel(self) -> bool:
        now = time.monotonic()
        if not self._cancelled and now - self._last_check >= UPDATE_EVERY_S:
            self._last_check = now
            with self.store.session() as s:
                self._cancelled = bool(s.scalar(select(Job.cancel_requested).where(Job.id == self.job_id)))
        return self._cancelled

    def done(self, measurement_pk: int, message: str) -> None:
        self._set(status="done", progress=1.0, measurement_pk=measurement_pk, message=message)

    def failed(self, message: str, cancelled: bool = False) -> None:
        self._set(status="cancelled" if cancelled else "failed", message=message)
