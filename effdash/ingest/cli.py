"""`effdash import FILE...`: thin parsing over effdash.ingest; one-screen report, exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

from effdash.ingest.detect import FORMATS
from effdash.ingest.errors import MAX_LISTED_ERRORS, InvalidUpload

EXIT_OK, EXIT_REFUSED = 0, 1


def format_plan(plan) -> list[str]:
    """The report of one file, a few lines."""
    head = f"{plan.file_name}: {plan.label}"
    head += " (dry run: nothing stored)" if plan.dry_run else f", import #{plan.batch_id}"
    lines = [head, f"  {plan.rows_total:,} rows: {plan.rows_new:,} new, {plan.rows_duplicate:,} duplicates skipped, "
                   f"{plan.rows_rejected:,} rejected; {plan.quality_new:,} quality scores"]
    lines += [f"  note: {n}" for n in plan.notes]
    lines += [f"  rejected {e.describe()}" for e in plan.errors[:MAX_LISTED_ERRORS]]
    if len(plan.errors) > MAX_LISTED_ERRORS:
        lines.append(f"  … and {plan.rows_rejected - MAX_LISTED_ERRORS:,} more rejected rows")
    return lines


def _options(args):
    from effdash.ingest import ImportOptions

    return ImportOptions(
        format=args.format, task=args.task, model=args.model, inferences=args.inferences, hardware=args.hardware,
        window=args.window, valid_rows_only=args.valid_rows_only, max_bytes=int(args.max_size_mb * 1024 * 1024),
    )


def _import_one(store, path: str, args) -> bool:
    from effdash.ingest import Upload, import_file

    if not Path(path).is_file():
        print(f"effdash: error: {path}: no such file.", file=sys.stderr)
        return False
    progress = None
    if args.progress:
        def progress(n: int) -> None:
            print(f"{Path(path).name}: {n:,} rows written…", file=sys.stderr, flush=True)
    try:
        plan = import_file(store, Upload.from_path(path), _options(args), dry_run=args.dry_run, progress=progress)
    except InvalidUpload as exc:
        print(f"effdash: refused {exc}", file=sys.stderr)
        return False
    except OSError as exc:
        print(f"effdash: error: {path}: cannot be read ({exc.strerror or exc}).", file=sys.stderr)
        return False
    print("\n".join(format_plan(plan)))
    if plan.batch_id is not None:  # metadata of models effdash does not know yet, without waiting for it
        from effdash.hub.sync import schedule_sync
        from effdash.ingest import imported_model_ids

        schedule_sync(imported_model_ids(store, plan.batch_id), store, detach=True)
    return True


def cmd_import(args) -> int:
    from effdash.config import resolve_database_url
    from effdash.store import open_store

    store = open_store(resolve_database_url(args.db))
    results = [_import_one(store, path, args) for path in args.files]
    if len(results) > 1:
        print(f"{sum(results)} of {len(results)} files imported" + ("" if all(results) else
              "; refused files stored nothing (fix them and import them again)"))
    return EXIT_OK if all(results) else EXIT_REFUSED


def register_import(sub) -> None:
    p = sub.add_parser(
        "import", help="import measurement files (native CSV, CodeCarbon, AI Energy Score, optimum-benchmark, "
                       "ML.ENERGY)",
        description="Import measurement files. Each file is detected, validated and stored as one transaction: "
                    "a file with a bad row stores nothing unless --valid-rows-only is given. A file imported "
                    "before is refused; rows already stored are skipped as duplicates. Exit code 0 when every "
                    "file was imported, 1 when any was refused.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--db", metavar="URL", help="database URL (default: $EFFDASH_DATABASE_URL, Streamlit secrets "
                   "[connections.effdash] url, else sqlite:///data/effdash.db)")
    p.add_argument("--format", choices=list(FORMATS), help="the file format (default: detected from the header)")
    p.add_argument("--task", help="task of files that do not name it (CodeCarbon, optimum-benchmark, AI Energy "
                                  "Score leaderboard files), e.g. text-classification")
    p.add_argument("--model", help="model id of files that do not name it (CodeCarbon: else each row's project_name)")
    p.add_argument("--inferences", type=int, help="inferences per run, for CodeCarbon files (not in the file)")
    p.add_argument("--hardware", help="hardware the figures were measured on; overrides what the file says")
    p.add_argument("--window", choices=["inference", "whole_run"],
                   help="what a CodeCarbon run covered (default inference; whole_run if it includes model loading)")
    p.add_argument("--valid-rows-only", action="store_true",
                   help="import the valid rows of a file with rejected rows (default: refuse the whole file)")
    p.add_argument("--dry-run", action="store_true", help="check and report, store nothing")
    p.add_argument("--max-size-mb", type=float, default=200, help="refuse files larger than this (default 200)")
    p.add_argument("--progress", action="store_true", help="print progress to standard error")
    p.set_defaults(func=cmd_import)
