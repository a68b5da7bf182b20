"""The whole recipe in plain Python, one step after another (no Prefect).

Useful from a notebook or a script, and the reference the Prefect flow (`sparsexlt.flows`)
follows with the same step functions; the flow adds parallel fan-out, retries, caching in
Prefect and the UI. Either one resumes where a crashed run stopped, because every step
returns an existing artifact instead of recomputing it.
"""

from __future__ import annotations

from sparsexlt.config import PipelineConfig
from sparsexlt.recipe.base_model import prepare_base_model
from sparsexlt.recipe.evaluate import evaluate_composed, result_rows
from sparsexlt.recipe.language_sft import train_language_sft
from sparsexlt.recipe.plan import build_plan, plan_base
from sparsexlt.recipe.record import (
    RunReport,
    finish_run,
    open_run,
    record_artifacts,
    record_results,
    report,
)
from sparsexlt.recipe.task_sft import train_task_sft
from sparsexlt.recipe.translate import produce_translations
from sparsexlt.recipe.validate import preflight


def run_recipe(
    config: PipelineConfig,
    *,
    methods: list[str] | None = None,
    scenarios: list[str] | None = None,
    chart: bool = True,
) -> RunReport:
    """Run every step of `config` (optionally some methods/scenarios) and record the results."""
    preflight(config)
    out = config.output_dir
    base_job = plan_base(config)
    base = prepare_base_model(base_job, out)
    plan = build_plan(
        config, base_job, base.info["fingerprint"], methods=methods, scenarios=scenarios
    )
    run_id = open_run(config)
    try:
        language = {j.key: train_language_sft(j, base, out) for j in plan.language_sfts}
        translations, models = produce_translations(plan, out)
        translations.update(models)
        task = {j.key: train_task_sft(j, base, language, translations, out) for j in plan.task_sfts}
        rows = []
        for job in plan.evaluations:
            lang = language.get(job.language_sft_key) if job.language_sft_key else None
            scores = evaluate_composed(job, base, task[job.task_sft_key], lang, out)
            rows += result_rows(job, scores)
        count = record_results(config.results_db, run_id, rows)
        refs = [base, *language.values(), *translations.values(), *task.values()]
        record_artifacts(config.results_db, run_id, refs)
    except BaseException as error:
        finish_run(config, run_id, error)
        raise
    finish_run(config, run_id)
    return report(config, run_id, count, chart=chart)
