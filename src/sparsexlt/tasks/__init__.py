"""Prefect tasks: one thin `@task` per recipe step, no logic of their own.

Each wraps one plain function of `sparsexlt.recipe`. Its cache key is the step's artifact key
(the content hash of its inputs) plus the output folder and a token renewed whenever the
artifact is missing (`options.artifact_cache_key`), and its result (a small JSON `ArtifactRef`)
is persisted, so re-running a finished pipeline recomputes nothing and a deleted artifact is
rebuilt rather than handed back from Prefect's store. Transient
failures are retried; `sparsexlt.errors.DeterministicError` (bad data, bad config) never is.
"""

from sparsexlt.tasks.evaluate import evaluate_task
from sparsexlt.tasks.language_sft import language_sft_task
from sparsexlt.tasks.prepare import base_model_task
from sparsexlt.tasks.record import record_task
from sparsexlt.tasks.task_sft import task_sft_task
from sparsexlt.tasks.translation import mt_adapt_task, translate_task, translator_task

__all__ = [
    "base_model_task",
    "evaluate_task",
    "language_sft_task",
    "mt_adapt_task",
    "record_task",
    "task_sft_task",
    "translate_task",
    "translator_task",
]
