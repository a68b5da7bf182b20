"""Prefect flows: the recipe's DAG, composed from `sparsexlt.tasks`.

`xlt_pipeline(config_path, overrides, ...)` runs everything as one DAG (`steps.run_steps`: each
evaluation starts as soon as its task SFT is done, not when the whole stage is). The subflows
`language_sft_flow`, `translate_flow`, `task_sft_flow` and `evaluate_flow` run one stage each,
on their own, with jobs from `sparsexlt.recipe.plan.build_plan` (e.g. re-evaluating after a
change); they submit the same tasks, so they share the pipeline's cache.
"""

from sparsexlt.flows.evaluate import evaluate_flow
from sparsexlt.flows.language import language_sft_flow
from sparsexlt.flows.pipeline import load_pipeline_config, xlt_pipeline
from sparsexlt.flows.task_sft import task_sft_flow
from sparsexlt.flows.translate import translate_flow

__all__ = [
    "evaluate_flow",
    "language_sft_flow",
    "load_pipeline_config",
    "task_sft_flow",
    "translate_flow",
    "xlt_pipeline",
]
