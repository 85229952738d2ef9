"""``effdash hub sync`` and ``effdash hub discover``: thin parsing over effdash.hub."""

from __future__ import annotations

import argparse
import json

DEFAULT_TIMEOUT_S = 30.0  # effdash.hub.client.DEFAULT_TIMEOUT_S (not imported: keeps --help fast)

EXIT_OK, EXIT_ERROR = 0, 1


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def _client(args):
    from effdash.hub.client import HubClient

    return HubClient(timeout_s=args.timeout)


def cmd_hub_sync(args) -> int:
    from effdash.cli import _store
    from effdash.hub.catalog import stored_record
    from effdash.hub.sync import sync_models

    store = _store(args)
    report = sync_models(store, args.model_ids, client=_client(args), max_workers=args.workers, force=args.force)
    records = []
    with store.session() as session:
        for o in report.outcomes:
            rec = stored_record(session, o.model_id) if o.status != "failed" else {"model_id": o.model_id}
            records.append({**rec, "status": o.status, "error": o.error, "warnings": o.warnings})
    if args.json:
        print(json.dumps(records, indent=2, default=str))
    else:
        for r in records:
            print(_sync_line(r))
    return EXIT_OK if report.ok else EXIT_ERROR


def _sync_line(r: dict) -> str:
    if r["status"] == "failed":
        return f"failed     {r['model_id']}: {r['error']}"
    params = "parameters unknown"
    if r.get("parameters"):
        params = f"{r['parameters'] / 1e6:,.1f}M parameters" + (" (derived)" if r["parameters_derived"] else "")
    bases = ", ".join(f"{b['relation']} of {b['model_id']}" for b in r["base_models"]) or "no base model"
    line = (f"{r['status']:<10} {r['model_id']} @ {(r['revision'] or '?')[:12]}: {r['pipeline_tag'] or 'task unknown'}, "
            f"{params}, licence {r['license'] or 'unknown'}, {bases}, {_scores(r['quality_scores'])}")
    return line + "".join(f"\n           warning: {w}" for w in r["warnings"])


def _scores(n: int) -> str:
    return f"{n} card score" + ("" if n == 1 else "s")


def cmd_hub_discover(args) -> int:
    from effdash.cli import _store
    from effdash.hub.catalog import stored_record
    from effdash.hub.sync import discover
    from effdash.tasks import normalise_task

    task = normalise_task(args.task)
    store = _store(args)
    listed = discover(store, task, args.limit, client=_client(args))
    with store.session() as session:
        records = [stored_record(session, m.model_id) for m in listed]
    if args.json:
        print(json.dumps(records, indent=2, default=str))
        return EXIT_OK
    print(f"{len(records)} most downloaded {task} models stored as candidates (not measured yet unless shown):")
    for r in records:
        params = f"{r['parameters'] / 1e6:,.1f}M" if r["parameters"] else "?"
        print(f"  {r['downloads'] or 0:>12,} downloads  {params:>10} params  {r['model_id']}")
    return EXIT_OK


def _common(p: argparse.ArgumentParser) -> None:
    from effdash.cli import _add_db

    _add_db(p)
    p.add_argument("--timeout", type=_positive, default=DEFAULT_TIMEOUT_S, metavar="S",
                   help=f"seconds to wait for each Hub request (default {DEFAULT_TIMEOUT_S:g})")
    p.add_argument("--json", action="store_true", help="print the stored records as JSON")


def register_hub(sub) -> None:
    hub = sub.add_parser("hub", help="model metadata from the Hugging Face Hub",
                         description="Fetch model metadata (task, size, licence, lineage, card results) from the "
                                     "Hugging Face Hub (HF_ENDPOINT) and keep it. HF_TOKEN is used for gated or "
                                     "private models and never stored.")
    hub_sub = hub.add_subparsers(dest="hub_command", required=True, metavar="SUBCOMMAND")
    p = hub_sub.add_parser("sync", help="fetch and store the metadata of models",
                           description="Fetch and store each model's metadata; models whose revision has not "
                                       "changed are skipped. Exit code 1 when any model failed.")
    p.add_argument("model_ids", nargs="+", metavar="MODEL_ID", help="Hub model id, e.g. distilbert/distilbert-base-uncased")
    _common(p)
    p.add_argument("--workers", type=int, default=8, help="requests in flight at once (default 8)")
    p.add_argument("--force", action="store_true", help="re-read models whose revision has not changed")
    p.set_defaults(func=cmd_hub_sync)
    d = hub_sub.add_parser("discover", help="store a task's most downloaded models as candidates",
                           description="Store the most downloaded models of a task as candidates; Compare lists "
                                       "them as 'not measured yet'.")
    d.add_argument("--task", required=True, help="Hugging Face pipeline tag, e.g. text-classification")
    d.add_argument("--limit", type=int, default=20, help="how many models (default 20)")
    _common(d)
    d.set_defaults(func=cmd_hub_discover)
