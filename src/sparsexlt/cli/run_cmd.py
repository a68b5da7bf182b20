"""`sparsexlt run CONFIG`: the whole recipe as one ad-hoc Prefect flow run, or its plan.

Heavy imports (torch, transformers, prefect) happen inside the command, so `sparsexlt --help`
stays fast, and Prefect's defaults (`deployments.prefect_env`) are set before Prefect loads.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from sparsexlt.cli.options import QuietOption, fail, problems_text

ConfigFile = Annotated[Path, typer.Argument(help="Pipeline config (YAML).", show_default=False)]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a setting: key=value with a dotted key (methods.0.task.steps=10). "
        "Repeatable.",
    ),
]
ScenarioOption = Annotated[
    list[str] | None,
    typer.Option("--scenario", help="Run only this scenario (repeatable; default: all)."),
]
MethodOption = Annotated[
    list[str] | None,
    typer.Option("--method", help="Run only this method entry, by label or name (repeatable)."),
]
TargetOption = Annotated[
    list[str] | None,
    typer.Option("--target", help="Only what evaluating on this target needs (repeatable)."),
]
DaskWorkers = Annotated[
    int | None,
    typer.Option(
        "--dask-workers",
        min=0,
        help="Run per-language steps on a local Dask cluster of N worker processes "
        "(default: the config's execution.dask_workers; 0 = Prefect's thread pool).",
    ),
]
DaskAddress = Annotated[
    str | None,
    typer.Option("--dask-address", help="Use an existing Dask scheduler (tcp://host:8786)."),
]
OutputDir = Annotated[
    Path | None,
    typer.Option("--output-dir", help="Where artifacts and (by default) results go."),
]
LauncherOption = Annotated[
    str | None,
    typer.Option(
        "--launcher",
        help="Run every language-SFT and task-SFT training as `sparsexlt train` on "
        "--processes local processes started by this launcher: accelerate or torchrun "
        "(default: the config's execution.launcher). The artifacts are the ones one process "
        "makes (same keys).",
    ),
]
ProcessesOption = Annotated[
    int | None,
    typer.Option(
        "--processes",
        min=1,
        help="Training processes (GPUs) per training step (default: execution.processes).",
    ),
]
DryRun = Annotated[
    bool,
    typer.Option("--dry-run", help="Print the plan (jobs and what is already done); run nothing."),
]


def register(app: typer.Typer) -> None:
    """Add the `run` command to the root app."""
    app.command("run")(run)


def run(
    config: ConfigFile,
    set_: SetOption = None,
    scenario: ScenarioOption = None,
    method: MethodOption = None,
    target: TargetOption = None,
    dask_workers: DaskWorkers = None,
    dask_address: DaskAddress = None,
    output_dir: OutputDir = None,
    launcher: LauncherOption = None,
    processes: ProcessesOption = None,
    dry_run: DryRun = False,
    quiet: QuietOption = False,
) -> None:
    """Run the cross-lingual transfer recipe of CONFIG end to end as a Prefect flow.

    Language SFTs → translate-train data → task SFTs per scenario → evaluation of
    θ + φ_task + φ_target per target → results in DuckDB (path printed at the end). Finished
    steps are never recomputed: run it again to resume after a crash.
    """
    from sparsexlt.config.overrides import verbatim

    overrides = list(set_ or [])
    if output_dir is not None:
        overrides.append(verbatim("output_dir", output_dir))  # a path, not YAML
    overrides += _execution_overrides(launcher, processes)
    cfg = _load(config, overrides)
    if dry_run:
        _print_plan(cfg, method, scenario, target)
        return
    _check_selection(cfg, method, scenario, target)  # a typo fails now, before Prefect starts
    from sparsexlt.deployments.prefect_env import prefect_defaults

    prefect_defaults(cfg.output_dir, quiet=os.environ.get("SPARSEXLT_QUIET") == "1")
    with _stop_promptly():
        result = _run_flow(config, overrides, method, scenario, target, dask_workers, dask_address)
    _print_results(result)


@contextmanager
def _stop_promptly() -> Iterator[None]:
    """Ctrl-C or SIGTERM ends the process as soon as Prefect has recorded the crash.

    Without this the interpreter would wait at exit for the training threads of the task pool,
    which keep going for minutes. Stopping them abruptly loses nothing: artifacts and
    checkpoints are written atomically, so the same command resumes (as after `kill -9`).
    """
    from prefect.exceptions import TerminationSignal

    try:
        yield
    except (KeyboardInterrupt, TerminationSignal) as stop:
        code = 128 + getattr(stop, "signal", signal.SIGINT)
        typer.echo(
            "interrupted: finished steps are kept; run the same command again to resume",
            err=True,
        )
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _execution_overrides(launcher: str | None, processes: int | None) -> list[str]:
    """`--launcher` / `--processes` as config overrides (validated with the rest)."""
    from sparsexlt.training.launch import LAUNCHERS  # stdlib only: no torch

    choices = ("none", *LAUNCHERS)
    if launcher is not None and launcher not in choices:
        listed = f"{', '.join(choices[:-1])} or {choices[-1]}"
        raise typer.BadParameter(f"choose {listed}", param_hint="--launcher")
    found = []
    if launcher is not None:
        found.append(f"execution.launcher={launcher}")
    if processes is not None:
        found.append(f"execution.processes={processes}")
    return found


def _load(config: Path, overrides: list[str]):
    """The validated config, or every problem printed and exit code 2 (nothing has started)."""
    from sparsexlt.config import load_config
    from sparsexlt.errors import ConfigError
    from sparsexlt.recipe.validate import preflight

    try:
        cfg = load_config(config, overrides)
        preflight(cfg)
    except ConfigError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    return cfg


def _check_selection(cfg, methods, scenarios, targets) -> None:
    """An unknown method, scenario or target is a usage error (one line, exit 2), found from
    the config alone: nothing is planned or hashed, no model loaded."""
    from sparsexlt.errors import ConfigError
    from sparsexlt.recipe.plan import check_selection

    try:
        check_selection(cfg, methods, scenarios, targets)
    except KeyError as err:
        fail(str(err.args[0]) if err.args else "unknown selection")
    except ConfigError as err:
        fail(problems_text(err))


def _print_plan(cfg, methods, scenarios, targets) -> None:
    from sparsexlt.recipe.base_model import known_base
    from sparsexlt.recipe.describe import describe_plan
    from sparsexlt.recipe.plan import build_plan, plan_base, restrict_to_targets

    _check_selection(cfg, methods, scenarios, targets)
    base_job = plan_base(cfg)
    base = known_base(base_job, cfg.output_dir)
    fingerprint = base.info["fingerprint"] if base else None
    plan = build_plan(cfg, base_job, fingerprint, methods=methods, scenarios=scenarios)
    plan = restrict_to_targets(plan, targets) if targets else plan
    title = f"Plan of {cfg.name} (config {cfg.config_hash()[:12]}), output {cfg.output_dir}"
    typer.echo(describe_plan(plan, cfg.output_dir, title))


def _run_flow(config, overrides, methods, scenarios, targets, workers, address) -> dict:
    from sparsexlt.errors import DeterministicError
    from sparsexlt.flows.pipeline import xlt_pipeline

    try:
        return xlt_pipeline(
            str(config.resolve()),
            overrides=overrides,
            methods=methods or None,
            scenarios=scenarios or None,
            targets=targets or None,
            dask_workers=workers,
            dask_address=address,
        )
    except KeyError as err:  # KeyError's str() is its repr: quotes around the message
        fail(str(err.args[0]) if err.args else repr(err), 1)
    except DeterministicError as err:  # the input is wrong (a data file, a model): exit 2
        fail(str(err))


def _print_results(result: dict) -> None:
    """One table per task/metric: a row per scenario and method, a column per target."""
    from rich.console import Console

    from sparsexlt.cli.result_tables import rich_table
    from sparsexlt.evaluation.report import run_tables
    from sparsexlt.evaluation.store import ResultsStore
    from sparsexlt.recipe.record import DEMO_NOTE

    console = Console()
    for table in run_tables(ResultsStore(result["db_path"]), result["run_id"]):
        console.print(rich_table(table))
    if DEMO_NOTE in result["markdown"]:
        console.print(f"[italic]{DEMO_NOTE}[/italic]")
    for note in result.get("notes", []):
        console.print(f"note: {note}")
    console.print(f"Results database: {result['db_path']}  (run {result['run_id']})")
    if result.get("chart"):
        console.print(f"Chart: {result['chart']}")
