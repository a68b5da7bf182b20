"""Prefect flows: the recipe's DAG, composed from `sparsexlt.tasks`.

`xlt_pipeline(config_path, overrides, ...)` runs everything; the subflows
`language_sft_flow`, `translate_flow`, `task_sft_flow` and `evaluate_flow` are its stages and
can be run on their own with jobs from `sparsexlt.recipe.plan.build_plan`.
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
