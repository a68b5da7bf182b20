"""Steps 2-5 of the pipeline as one DAG of tasks, submitted to the current flow's task runner.

Independent work runs side by side (language SFTs with the translator and translations; each
evaluation as soon as its task SFT is done). A task is submitted only once its inputs are
finished, so no worker thread ever sits blocked waiting for another task's result: with a
thread pool as large as the machine has cores, every thread is busy with real work.
Jobs with equal keys are submitted once (see `unique`).
"""

from __future__ import annotations

from prefect.futures import as_completed, wait

from sparsexlt.flows.task_sft import used_language_sfts
from sparsexlt.flows.unique import unique
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.evaluate import result_rows
from sparsexlt.recipe.plan import Plan
from sparsexlt.tasks import (
    evaluate_task,
    language_sft_task,
    mt_adapt_task,
    task_sft_task,
    translate_task,
    translator_task,
)


def run_steps(plan: Plan, base: ArtifactRef, out: str) -> tuple[list[dict], list[ArtifactRef]]:
    """Run every job of `plan`; (result rows, artifacts made or found)."""
    language_f = {j.key: language_sft_task.submit(j, base, out) for j in unique(plan.language_sfts)}
    translations: dict[str, ArtifactRef] = {}
    if plan.translator is not None:
        translator = translator_task.submit(plan.translator, out).result()
        adapted_f = {
            j.key: mt_adapt_task.submit(j, translator, out) for j in unique(plan.mt_adaptations)
        }
        models = {plan.translator.key: translator, **_results(adapted_f)}
        translation_f = {
            j.key: translate_task.submit(j, models[j.translator_key], out)
            for j in unique(plan.translations)
        }
        translations = {**models, **_results(translation_f)}
    language = _results(language_f)
    task_f = {
        task_sft_task.submit(j, base, used_language_sfts(j, language), translations, out): j
        for j in unique(plan.task_sfts)
    }
    task: dict[str, ArtifactRef] = {}
    evaluation_f = {}
    for future in as_completed(list(task_f)):
        job = task_f[future]
        task[job.key] = future.result()
        for e in unique(x for x in plan.evaluations if x.task_sft_key == job.key):
            lang = language.get(e.language_sft_key) if e.language_sft_key else None
            evaluation_f[e.key] = evaluate_task.submit(e, base, task[job.key], lang, out)
    scores = _results(evaluation_f)
    rows = [row for job in plan.evaluations for row in result_rows(job, scores[job.key])]
    return rows, [*language.values(), *translations.values(), *task.values()]


def _results(futures: dict) -> dict[str, ArtifactRef]:
    wait(list(futures.values()))
    return {key: future.result() for key, future in futures.items()}
