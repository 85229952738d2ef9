"""Syncing metadata: many models at once (bounded concurrency, unchanged revisions skipped),
discovering a task's most downloaded models, and a background sync that never gets in the way.

Requests run in worker threads; every database write happens in the calling thread, one
transaction per model, so a bad answer for one model leaves the others stored and its own rows
exactly as they were.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import select

from effdash.errors import EffdashError
from effdash.hub.client import HubClient
from effdash.hub.errors import HubBadResponse, HubError
from effdash.hub.parse import HubModel, parse_model_info
from effdash.hub.storage import LISTING_SOURCE, stored_revisions, store_hub_model
from effdash.schema import Model
from effdash.store import Store

log = logging.getLogger(__name__)
DEFAULT_WORKERS = 8
#: Set to 0 to switch the background sync off (e.g. on an air-gapped machine).
AUTOSYNC_ENV = "EFFDASH_HUB_AUTOSYNC"


@dataclass
class SyncOutcome:
    model_id: str
    status: str  # synced | unchanged | failed
    revision: str | None = None
    error: str | None = None
    model: HubModel | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class SyncReport:
    outcomes: list[SyncOutcome]

    def by_status(self, status: str) -> list[SyncOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        return not self.by_status("failed")


def fetch_model(client: HubClient, model_id: str, known_revision: str | None = None) -> SyncOutcome:
    """Ask the Hub for one model; skip it when its revision equals ``known_revision``."""
    sha = client.revision(model_id)
    if known_revision is not None and sha == known_revision:
        return SyncOutcome(model_id, "unchanged", revision=sha)
    info = client.model_info(model_id, revision=sha)
    warnings: list[str] = []
    config = None
    if info.safetensors is None:
        try:
            config = client.config_json(model_id, sha)
        except HubError as exc:
            warnings.append(f"parameter count unknown: {exc}")
    try:
        hub = parse_model_info(info, config)
    except Exception as exc:  # noqa: BLE001 - anything unexpected in foreign data is a bad response
        raise HubBadResponse(f"The Hub's answer for {model_id} could not be read ({type(exc).__name__}); "
                             "nothing was stored for it. Retry later.") from None
    hub.warnings.extend(warnings)
    return SyncOutcome(model_id, "synced", revision=sha, model=hub, warnings=hub.warnings)


def sync_models(store: Store, model_ids: Iterable[str], *, client: HubClient | None = None,
                max_workers: int = DEFAULT_WORKERS, force: bool = False) -> SyncReport:
    """Fetch and store each model's metadata; ``force`` re-reads unchanged revisions too."""
    ids = list(dict.fromkeys(m.strip() for m in model_ids if m and m.strip()))
    client = client or HubClient()
    with store.session() as session:
        known = {} if force else stored_revisions(session, ids)
    results: dict[str, SyncOutcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(ids) or 1))) as pool:
        futures = {pool.submit(fetch_model, client, mid, known.get(mid)): mid for mid in ids}
        for future in as_completed(futures):
            mid = futures[future]
            results[mid] = _store_outcome(store, client, mid, future)
    return SyncReport([results[mid] for mid in ids])


def _store_outcome(store: Store, client: HubClient, model_id: str, future) -> SyncOutcome:
    try:
        outcome = future.result()
        if outcome.model is not None:
            with store.session() as session:
                store_hub_model(session, outcome.model, endpoint=client.endpoint)
        return outcome
    except EffdashError as exc:
        return SyncOutcome(model_id, "failed", error=str(exc))
    except ValueError as exc:  # a value the database refuses, e.g. a score outside its scale
        return SyncOutcome(model_id, "failed", error=f"Could not store {model_id}: {exc}")


def discover(store: Store, task: str, limit: int = 20, *, client: HubClient | None = None) -> list[HubModel]:
    """Store the ``limit`` most downloaded models of ``task`` as candidates (``discovered_for_task``)."""
    if limit < 1:
        raise EffdashError(f"--limit must be at least 1, got {limit}.")
    client = client or HubClient()
    listed = [parse_model_info(info) for info in client.list_models(task=task, limit=limit)]
    now = datetime.now(timezone.utc)
    with store.session() as session:
        full = stored_revisions(session, [m.model_id for m in listed])
        for hub in listed:
            if hub.model_id in full:
                _refresh_counts(session, hub, task)
            else:
                store_hub_model(session, hub, fetched_at=now, metadata_source=LISTING_SOURCE,
                                discovered_for_task=task, endpoint=client.endpoint)
    return listed


def _refresh_counts(session, hub: HubModel, task: str) -> None:
    model = session.scalar(select(Model).where(Model.model_id == hub.model_id))
    model.downloads, model.likes = hub.downloads, hub.likes
    if model.discovered_for_task is None:
        model.discovered_for_task = task


#: At most this many models are synced in the background after one import or measurement.
AUTOSYNC_MAX_MODELS = 200


def schedule_sync(model_ids: Iterable[str], store: Store, *, client: HubClient | None = None,
                  detach: bool = False) -> threading.Thread | subprocess.Popen | None:
    """Sync, in the background, the models among ``model_ids`` that have no Hub metadata yet.

    For importers and measurements: returns at once and never raises; failures are logged and
    given up quietly (the Hub may be unreachable). A long-lived process (the dashboard) syncs in
    a daemon thread; a short one (a CLI command, ``detach=True``) starts ``effdash hub sync`` as a
    detached process that outlives it. Returns the thread or process (None when there is nothing
    to do, or when ``EFFDASH_HUB_AUTOSYNC=0`` or ``HF_HUB_OFFLINE=1``).
    """
    try:
        if os.environ.get(AUTOSYNC_ENV, "1") == "0" or os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0"):
            return None
        ids = list(dict.fromkeys(model_ids))
        with store.session() as session:
            have = set(session.scalars(select(Model.model_id).where(
                Model.model_id.in_(ids), Model.metadata_fetched_at.is_not(None))))
        todo = [m for m in ids if m not in have][:AUTOSYNC_MAX_MODELS]
        if not todo:
            return None
        if detach:
            return _detached_sync(store, todo)
        thread = threading.Thread(target=_background_sync, args=(store, todo, client),
                                  name="effdash-hub-sync", daemon=True)
        thread.start()
        return thread
    except Exception:  # noqa: BLE001 - a background convenience must never fail its caller
        log.warning("effdash: could not start the background Hub sync", exc_info=False)
        return None


def _detached_sync(store: Store, model_ids: list[str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "effdash", "hub", "sync", "--db", store.url, *model_ids]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _background_sync(store: Store, model_ids: list[str], client: HubClient | None) -> None:
    try:
        report = sync_models(store, model_ids, client=client, max_workers=4)
        for o in report.by_status("failed"):
            log.info("effdash: background Hub sync of %s failed: %s", o.model_id, o.error)
    except Exception as exc:  # noqa: BLE001 - the thread must end quietly
        log.info("effdash: background Hub sync stopped: %s", type(exc).__name__)
