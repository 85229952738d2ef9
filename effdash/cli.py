"""The ``effdash`` command line: thin parsing over the library; errors become one-line messages."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from effdash import __version__
from effdash.errors import EffdashError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NOTHING_QUALIFIES = 0, 1, 2, 3

#: Subcommand registrars: each adds its parser and sets ``func`` (args, store) -> exit code.
Registrar = Callable[[argparse._SubParsersAction], None]


def _store(args):
    from effdash.config import resolve_database_url
    from effdash.store import open_store

    return open_store(resolve_database_url(args.db))


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", help="database URL (default: $EFFDASH_DATABASE_URL, "
                   "Streamlit secrets [connections.effdash] url, else sqlite:///data/effdash.db)")


# --- init -------------------------------------------------------------------------------------

def cmd_init(args) -> int:
    from effdash.bundled import load_reference_data

    store = _store(args)
    if args.empty:
        print(f"Database ready (schema at head, no data loaded): {store.engine.url.render_as_string(hide_password=True)}")
        return EXIT_OK
    with store.session() as session:
        report = load_reference_data(session)
    if report.already_loaded:
        print("Database ready; the bundled reference data was already loaded.")
    else:
        print(f"Database ready; loaded {report.measurements} measurements, {report.quality_scores} quality "
              f"scores and {report.baselines} task baselines from data/sources/.")
    return EXIT_OK


def register_init(sub) -> None:
    p = sub.add_parser("init", help="create or upgrade the database and load the bundled reference data",
                       description="Create or upgrade the database to the current schema and load the "
                                   "bundled reference data (idempotent).")
    _add_db(p)
    p.add_argument("--empty", action="store_true", help="create the schema only, without reference data")
    p.set_defaults(func=cmd_init)


# --- recommend --------------------------------------------------------------------------------

def _candidate_json(c) -> dict:
    d = asdict(c)
    d["quality_value"] = d.pop("quality")
    d["class"] = d.pop("size_class")
    return d


def recommendation_json(cmp) -> dict:
    res = cmp.result
    rec = res.recommended
    out = {
        "task": cmp.task, "metric": cmp.key.metric, "dataset": cmp.key.dataset, "split": cmp.key.split,
        "slice": cmp.key.slice, "min_quality": cmp.request.threshold, "optimize": cmp.request.objective,
        "group": cmp.group.label, "hardware": cmp.group.hardware, "basis": cmp.group.basis,
        "tier": cmp.group.tier, "window": cmp.group.window,
        "country": cmp.grid.code, "g_co2e_per_kwh": cmp.grid.g_co2e_per_kwh,
        "daily_inferences": cmp.request.daily_inferences,
        "model_id": rec.model_id if rec else None,
        "parameters": rec.parameters if rec else None,
        "wh_per_1k": rec.wh_per_1k if rec else None,
        "wh_per_1k_std": rec.wh_per_1k_std if rec else None,
        "g_co2e_per_1k": rec.g_co2e_per_1k if rec else None,
        "quality_value": rec.quality if rec else None,
        "stars": rec.stars if rec else None,
        "reason": res.reason,
        "qualifying": [_candidate_json(c) for c in res.qualifying],
        "excluded": [{"model_id": e.candidate.model_id, "reason": e.reason} for e in res.excluded],
        "closest": [_candidate_json(c) for c in res.closest],
    }
    for name in ("saving_vs_largest", "saving_vs_hungriest"):
        s = getattr(res, name)
        out[name] = None if s is None else {
            "model_id": s.versus.model_id, "wh_per_1k": s.wh_per_1k, "percent": s.percent,
            "kwh_per_year": s.kwh_per_year, "kg_co2e_per_year": s.kg_co2e_per_year,
        }
    return out


def _print_recommendation(cmp) -> None:
    res = cmp.result
    print(f"Task: {cmp.task} | quality: {cmp.key.label} >= {cmp.request.threshold:g} | group: {cmp.group.label}")
    if res.recommended is None:
        print(f"No recommendation: {res.reason}")
        for c in res.closest:
            print(f"  closest: {c.model_id}  quality {c.quality:.4f}  {c.wh_per_1k:.3f} Wh per 1000 inferences")
        return
    r = res.recommended
    params = f"{r.parameters / 1e6:,.0f}M parameters" if r.parameters else "parameters unknown"
    print(f"Recommended: {r.model_id} ({params})")
    print(f"  {r.wh_per_1k:.3f} Wh per 1000 inferences, {r.g_co2e_per_1k:.3f} gCO2e per 1000 ({cmp.grid.name}), "
          f"{cmp.key.metric} {r.quality:.4f}, {r.stars} stars")
    for label, s in (("largest qualifying", res.saving_vs_largest), ("most energy-hungry", res.saving_vs_hungriest)):
        if s:
            print(f"  saves {s.wh_per_1k:.3f} Wh per 1000 ({s.percent:.0f}%) vs {label} {s.versus.model_id}: "
                  f"{s.kwh_per_year:,.1f} kWh and {s.kg_co2e_per_year:,.1f} kgCO2e per year at "
                  f"{cmp.request.daily_inferences:,} inferences per day")
    print(f"Qualifying: {len(res.qualifying)}; excluded: {len(res.excluded)}")


def cmd_recommend(args) -> int:
    from effdash.compare import compare
    from effdash.tasks import normalise_task

    store = _store(args)
    with store.session() as session:
        cmp = compare(
            session, task=normalise_task(args.task), threshold=args.min_quality, metric=args.metric,
            dataset=args.dataset, split=args.split, slice=args.slice, hardware=args.hardware,
            basis=args.basis, objective=args.optimize, daily_inferences=args.daily, country=args.country,
        )
    if args.json:
        print(json.dumps(recommendation_json(cmp), indent=2, default=str))
    else:
        _print_recommendation(cmp)
    return EXIT_OK if cmp.result.recommended else EXIT_NOTHING_QUALIFIES


def register_recommend(sub) -> None:
    p = sub.add_parser("recommend", help="the smallest model that meets a quality threshold",
                       description="Recommend the smallest (or least-energy) model of a task whose quality "
                                   "meets --min-quality, within one hardware/method group. Exit code 3 when "
                                   "nothing qualifies.")
    _add_db(p)
    p.add_argument("--task", required=True, help="Hugging Face pipeline tag, e.g. text-classification")
    p.add_argument("--metric", required=True, help="quality metric, e.g. accuracy")
    p.add_argument("--dataset", help="quality dataset, e.g. sst2 (default: the one most models have)")
    p.add_argument("--split", help="dataset split, if scores give one")
    p.add_argument("--slice", help="slice of the dataset, e.g. a language")
    p.add_argument("--min-quality", type=float, required=True, help="threshold on the metric's 0..1 scale")
    p.add_argument("--hardware", help="compare within hardware matching this text (default: best-covered group)")
    p.add_argument("--basis", choices=["gpu", "total"], help="GPU energy only, or GPU+CPU+RAM")
    p.add_argument("--optimize", choices=["params", "energy", "carbon"], default="params",
                   help="rank qualifying models by fewest parameters (default), energy or carbon")
    p.add_argument("--daily", type=int, default=1_000_000, help="inferences per day for yearly savings")
    p.add_argument("--country", help="ISO3 grid for carbon (default: world average)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_recommend)


# --- ratings ----------------------------------------------------------------------------------

def cmd_ratings(args) -> int:
    from effdash.ratings import ratings
    from effdash.tasks import normalise_task

    store = _store(args)
    with store.session() as session:
        group, rows = ratings(session, normalise_task(args.task), hardware=args.hardware, basis=args.basis)
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    print(f"{args.task} | {group.label}")
    for r in rows:
        cls = f" class {r['class']}" if r.get("class") else ""
        print(f"  {'★' * r['stars']:<5} {r['wh_per_1k']:>12.4f} Wh/1000  {r['model_id']}{cls}")
    return EXIT_OK


def register_ratings(sub) -> None:
    p = sub.add_parser("ratings", help="AI Energy Score style star ratings of a task's models",
                       description="Star ratings (1-5) by the AI Energy Score rule within one hardware/method group.")
    _add_db(p)
    p.add_argument("--task", required=True)
    p.add_argument("--hardware", help="rate within hardware matching this text")
    p.add_argument("--basis", choices=["gpu", "total"], help="GPU energy only, or GPU+CPU+RAM")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ratings)


# --- export -----------------------------------------------------------------------------------

def cmd_export(args) -> int:
    from effdash.export import records, to_csv, to_json

    store = _store(args)
    with store.session() as session:
        rows = records(session, args.what)
    text = to_json(rows) if args.format == "json" else to_csv(rows)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Wrote {len(rows)} {args.what} records to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def register_export(sub) -> None:
    p = sub.add_parser("export", help="export models, measurements or quality scores",
                       description="Export records as CSV (safe to open in a spreadsheet) or JSON.")
    _add_db(p)
    p.add_argument("--what", choices=["models", "measurements", "quality"], required=True)
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(func=cmd_export)


REGISTRARS: list[Registrar] = [register_init, register_recommend, register_ratings, register_export]

from effdash.hub.cli import register_hub  # noqa: E402

REGISTRARS.append(register_hub)

from effdash.measure.cli import register_measure  # noqa: E402

REGISTRARS.append(register_measure)

from effdash.ingest.cli import register_import  # noqa: E402

REGISTRARS.append(register_import)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="effdash",
        description="effdash: which AI model is good enough for your task at the lowest energy cost.",
    )
    parser.add_argument("--version", action="version", version=f"effdash {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except EffdashError as exc:
        print(f"effdash: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("effdash: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
