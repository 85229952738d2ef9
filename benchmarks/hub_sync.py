"""Benchmark: sync N models from a local Hub with a per-request delay, concurrent vs sequential.

Both runs use the same code path (``effdash.hub.sync.sync_models``), the real ``huggingface_hub``
client and a fresh SQLite database each; only ``max_workers`` differs (1 = the sequential
baseline). A third run re-syncs the concurrent database to show the skip of unchanged revisions.

    .venv/bin/python benchmarks/hub_sync.py                 # 500 models, 50 ms per request
    .venv/bin/python benchmarks/hub_sync.py --models 100 --delay-ms 100 --workers 16
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from effdash.hub.client import HubClient  # noqa: E402
from effdash.hub.localhub import LocalHub, hub_model_json  # noqa: E402
from effdash.hub.sync import sync_models  # noqa: E402
from effdash.store import Store  # noqa: E402


def make_hub(n: int, delay_s: float) -> tuple[LocalHub, list[str]]:
    hub = LocalHub(delay_s=delay_s)
    ids = [f"bench-org/model-{i:04d}" for i in range(n)]
    for i, mid in enumerate(ids):
        hub.add_model(hub_model_json(
            mid, sha=f"{i:040x}", downloads=n - i, pipeline_tag="text-classification",
            tags=["transformers", "license:apache-2.0", f"base_model:finetune:bench-org/base-{i % 10}"],
            cardData={"license": "apache-2.0", "model-index": [{"name": mid, "results": [{
                "task": {"type": "text-classification"},
                "dataset": {"type": "glue", "name": "glue", "config": "sst2", "split": "validation"},
                "metrics": [{"type": "accuracy", "value": 0.85 + (i % 10) / 100}]}]}]},
            safetensors={"parameters": {"F32": 1_000_000 + i}, "total": 1_000_000 + i},
        ))
    return hub, ids


def timed_sync(url: str, db: str, ids: list[str], workers: int) -> tuple[float, dict]:
    store = Store(db)
    client = HubClient(endpoint=url, timeout_s=30)
    start = time.perf_counter()
    report = sync_models(store, ids, client=client, max_workers=workers)
    elapsed = time.perf_counter() - start
    store.dispose()
    counts = {s: len(report.by_status(s)) for s in ("synced", "unchanged", "failed")}
    return elapsed, counts


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", type=int, default=500)
    p.add_argument("--delay-ms", type=float, default=50.0, help="server delay added to every request")
    p.add_argument("--workers", type=int, default=8, help="concurrent requests (effdash's default is 8)")
    args = p.parse_args()
    hub, ids = make_hub(args.models, args.delay_ms / 1000)
    with hub, tempfile.TemporaryDirectory() as tmp:
        seq_db, conc_db = f"sqlite:///{tmp}/seq.db", f"sqlite:///{tmp}/conc.db"
        Store(seq_db).dispose(), Store(conc_db).dispose()  # migrations outside the timed part
        print(f"{args.models} models, {args.delay_ms:g} ms per request, 2 requests per new model "
              "(revision probe + full metadata)")
        t_seq, c_seq = timed_sync(hub.url, seq_db, ids, 1)
        print(f"sequential (1 worker):      {t_seq:7.2f} s  {c_seq}")
        t_conc, c_conc = timed_sync(hub.url, conc_db, ids, args.workers)
        print(f"concurrent ({args.workers} workers):     {t_conc:7.2f} s  {c_conc}")
        t_skip, c_skip = timed_sync(hub.url, conc_db, ids, args.workers)
        print(f"re-sync, unchanged ({args.workers} w.):  {t_skip:7.2f} s  {c_skip}")
    print(f"speed-up concurrent vs sequential: {t_seq / t_conc:.1f}x")
    print(f"speed-up unchanged re-sync vs first concurrent sync: {t_conc / t_skip:.1f}x")
    failed = c_seq["failed"] + c_conc["failed"] + c_skip["failed"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
