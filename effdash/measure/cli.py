"""``effdash measure``: parse options, run the measurement with a progress bar, store, summarise."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
from datetime import datetime, timezone

from effdash.measure.errors import MeasureError, MeasurementInterrupted
from effdash.measure.protocol import MeasureRequest, Progress

PHASE_WEIGHT = 0.9  # share of the job's progress bar given to the measured repeats


def request_from_args(args) -> MeasureRequest:
    return MeasureRequest(
        model=args.model, task=args.task, samples=args.samples, batch_size=args.batch_size, repeats=args.repeats,
        device=args.device, country=args.country, warmup_batches=args.warmup, idle_s=args.idle_s,
        min_window_s=args.min_window_s, new_tokens=args.new_tokens, model_name=args.name, meter=args.meter,
        measure_quality=not args.no_quality,
    )


class ProgressSink:
    """Sends protocol progress to a tqdm bar (terminal) and/or a job row (dashboard)."""

    def __init__(self, reporter=None, show_bar: bool = True):
        self.reporter, self.show_bar, self.bar = reporter, show_bar, None
        self._last_phase = ""

    def __call__(self, p: Progress) -> None:
        if p.phase == "measuring":
            self._bar(p)
        if self.reporter is not None:
            fraction = 0.05 + PHASE_WEIGHT * p.done / p.total if p.phase == "measuring" else {
                "loading": 0.0, "idle": 0.02, "warm-up": 0.04, "quality": 0.96}.get(p.phase, 0.0)
            label = f"{p.phase}: {p.message}" if p.message else p.phase
            self.reporter.progress(fraction, label, force=p.phase != "measuring")
        elif p.phase != "measuring" and self.show_bar and p.phase != self._last_phase:
            self.close()
            print(f"{p.phase}… {p.message}", file=sys.stderr)
        self._last_phase = p.phase

    def _bar(self, p: Progress) -> None:
        if not self.show_bar:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=p.total, unit="batch", desc="measuring", file=sys.stderr, mininterval=0.5)
        self.bar.n = p.done
        self.bar.set_postfix_str(p.message, refresh=False)
        self.bar.refresh() if p.done == p.total else self.bar.update(0)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _cpu_hardware(request) -> str | None:
    """The hardware label of a CPU run (GPU runs may have failed because the GPU is missing)."""
    if request.device != "cpu":
        return None
    from effdash.measure.environment import cpu_hardware_label

    return cpu_hardware_label()


def _record_failure(store, request, exc: BaseException, started_at, reporter) -> None:
    from effdash.measure.persist import save_failure

    error_type = getattr(exc, "error_type", "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
    reason = str(exc) or type(exc).__name__
    with store.session() as s:
        save_failure(s, request, error_type, reason, _cpu_hardware(request), started_at)
    if reporter is not None:
        reporter.failed(reason, cancelled=error_type == "interrupted")


def _run(args, store, reporter):
    from effdash.measure.run import measure

    request = request_from_args(args)
    sink = ProgressSink(reporter, show_bar=reporter is None)
    started_at = datetime.now(timezone.utc)
    try:
        return measure(request, progress=sink,
                       should_cancel=reporter.should_cancel if reporter else (lambda: False))
    except (MeasureError, KeyboardInterrupt) as exc:
        _record_failure(store, request, exc, started_at, reporter)
        raise
    except Exception as exc:  # an unexpected failure still becomes a failed run and a one-line message
        wrapped = MeasureError(f"The measurement failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
        _record_failure(store, request, wrapped, started_at, reporter)
        raise wrapped from exc
    finally:
        sink.close()


def cmd_measure(args) -> int:
    from effdash.cli import _store
    from effdash.measure.jobs import JobReporter
    from effdash.measure.persist import save_result
    from effdash.measure.report import record_json, summary_lines

    store = _store(args)
    reporter = JobReporter(store, args.job) if args.job else None
    try:
        result, env = _run(args, store, reporter)
    except MeasurementInterrupted:
        print("effdash: measurement cancelled; recorded as a failed run, nothing else stored", file=sys.stderr)
        return 130
    with store.session() as s:
        row = save_result(s, result, env)
        rec = record_json(s, row)
    if reporter is not None:
        reporter.done(rec["id"], f"{rec['wh_per_1k']:.4g} Wh per 1000 inferences")
    if not Path(rec["model_id"]).exists():  # a Hub id, not a local folder: its metadata, in the background
        from effdash.hub.sync import schedule_sync

        schedule_sync([rec["model_id"]], store, detach=True)
    print(json.dumps(rec, indent=2, default=str) if args.json else "\n".join(summary_lines(rec)))
    return 0


def _positive_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def register_measure(sub) -> None:
    from effdash.cli import _add_db

    p = sub.add_parser(
        "measure", help="measure a model's energy per 1000 inferences on this machine",
        description="Run MODEL (a Hugging Face id or a local folder) on effdash's fixed input set for TASK and "
                    "record its energy per 1000 inferences (GPU via NVML, CPU/RAM via CodeCarbon), with idle "
                    "power, repeats, hardware, software and, where an evaluation set ships, quality. "
                    "Needs the measurement stack: pip install -r requirements-measure.txt")
    _add_db(p)
    p.add_argument("model", help="Hugging Face model id or local model folder")
    p.add_argument("--task", required=True, help="pipeline tag, e.g. text-classification")
    p.add_argument("--samples", type=int, default=1000, help="inferences per repeat (default 1000)")
    p.add_argument("--batch-size", type=int, default=1, help="inputs per forward pass (default 1)")
    p.add_argument("--repeats", type=int, default=5, help="measured repeats (default 5)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    p.add_argument("--country", help="ISO3 grid for the carbon intensity stored (default: world average)")
    p.add_argument("--json", action="store_true", help="print the stored record as JSON")
    p.add_argument("--name", help="record the model under this id (default: MODEL as given)")
    p.add_argument("--warmup", type=int, default=3, help="warm-up batches before measuring (default 3)")
    p.add_argument("--idle-s", type=_positive_float, default=5.0, help="idle-power window in s (default 5)")
    p.add_argument("--min-window-s", type=_positive_float, default=None,
                   help="shortest measured window in s; shorter runs are repeated inside the window "
                        "(default: the meter's own, 1 s CodeCarbon, 2 s NVML)")
    p.add_argument("--new-tokens", type=int, default=32, help="new tokens per generation (greedy; default 32)")
    p.add_argument("--meter", choices=["auto", "replay"], default="auto",
                   help="auto: NVML + CodeCarbon; replay: the shipped demo trace (not a measurement)")
    p.add_argument("--no-quality", action="store_true", help="skip the quality evaluation")
    p.add_argument("--job", type=int, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_measure)
