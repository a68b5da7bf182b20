"""The end-to-end cross-lingual transfer pipeline as one Prefect flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from sparsexlt.config import PipelineConfig, load_config
from sparsexlt.config.overrides import verbatim
from sparsexlt.flows.report import publish_prefect_artifacts
from sparsexlt.flows.runners import dask_runner, thread_runner, torch_threads_for_thread_pool
from sparsexlt.flows.steps import run_steps
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.plan import (
    Plan,
    build_plan,
    check_selection,
    plan_base,
    restrict_to_targets,
)
from sparsexlt.recipe.record import finish_run, open_run, report
from sparsexlt.recipe.validate import preflight
from sparsexlt.tasks import base_model_task, record_task


def load_pipeline_config(
    config_path: str | Path, overrides: list[str] | None = None, output_dir: str | None = None
) -> PipelineConfig:
    """The validated config (every problem at once, data files checked) plus a final check of
    what only the recipe knows (`recipe.validate`). Raises ConfigError; no task has started."""
    given = list(overrides or [])
    if output_dir is not None:
        given.append(verbatim("output_dir", output_dir))  # a path, never YAML ('#', dates)
    config = load_config(config_path, given)
    preflight(config)
    return config


@flow(name="xlt-pipeline", validate_parameters=False, task_runner=thread_runner())
def xlt_pipeline(
    config_path: str,
    overrides: list[str] | None = None,
    methods: list[str] | None = None,
    scenarios: list[str] | None = None,
    targets: list[str] | None = None,
    output_dir: str | None = None,
    dask_workers: int | None = None,
    dask_address: str | None = None,
    chart: bool = True,
) -> dict[str, Any]:
    """Cross-lingual transfer with composable SFTs, from a config file to rows in DuckDB.

    0. Validate the config and check every data path (nothing starts on an invalid config).
    1. Base model: resolve it (or build the tiny one) and fingerprint it.
    2. Language SFTs: one per method and language with unlabelled text, in parallel with
    3. translate-train data: NLLB → CTranslate2, then the source task data into every target
       NLLB supports (targets it lacks are skipped, and the run says so).
    4. Task SFTs: one per method and scenario (and target, for "-single" scenarios), each
       trained on its scenario's mix of sources with per-batch language SFTs.
    5. Evaluate θ + φ_task + φ_target for every task SFT and target (as soon as it is ready).
    6. Record results and artifacts in DuckDB; a table and a markdown artifact in Prefect; a
       PNG chart beside the database.
    `methods` / `scenarios` / `targets` restrict the run (targets: onboarding a language).
    Steps 2-5 run on the flow's thread pool, or, with `dask_workers` / `dask_address` (or the
    config's `execution`), in a subflow on Dask. Every step is cached on the content hash of its
    inputs: a re-run recomputes nothing, a crashed run resumes from the last finished step.
    """
    logger = get_run_logger()
    config = load_pipeline_config(config_path, overrides, output_dir)
    workers = config.execution.dask_workers if dask_workers is None else dask_workers
    address = dask_address or config.execution.dask_address
    out = str(config.output_dir)
    check_selection(config, methods, scenarios, targets)  # a typo fails before any task
    base_job = plan_base(config)
    base = base_model_task(base_job, out)
    plan = build_plan(
        config, base_job, base.info["fingerprint"], methods=methods, scenarios=scenarios
    )
    if targets:
        plan = restrict_to_targets(plan, targets)
    for note in plan.notes:
        logger.warning(note)
    logger.info(_summary(plan))
    run_id = open_run(config)
    try:
        with dask_runner(workers, address) as dask:
            if dask is None:
                torch_threads_for_thread_pool()
                rows, refs = run_steps(plan, base, out)
            else:
                rows, refs = dask_steps.with_options(task_runner=dask)(plan, base, out)
        count = record_task(str(config.results_db), run_id, rows, [base, *refs])
    except BaseException as error:
        finish_run(config, run_id, error)
        raise
    finish_run(config, run_id)
    summary = report(config, run_id, count, chart=chart)
    publish_prefect_artifacts(config, summary)
    return {
        "run_id": run_id,
        "db_path": summary.db_path,
        "rows": count,
        "chart": summary.chart,
        "markdown": summary.markdown,
        "notes": plan.notes,
    }


@flow(name="xlt-steps-on-dask", validate_parameters=False)
def dask_steps(plan: Plan, base: ArtifactRef, out: str) -> tuple[list[dict], list[ArtifactRef]]:
    """Steps 2-5 of `xlt_pipeline` on the Dask task runner the caller gives this subflow."""
    return run_steps(plan, base, out)


def _summary(plan: Plan) -> str:
    return (
        f"plan: {len(plan.language_sfts)} language SFTs, {len(plan.translations)} translations, "
        f"{len(plan.task_sfts)} task SFTs, {len(plan.evaluations)} evaluations"
    )
