"""Task: train one task SFT (one method, one scenario, and the target of a "-single" one)."""

from __future__ import annotations

from prefect import task

from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.plan import TaskSFTJob
from sparsexlt.recipe.task_sft import train_task_sft
from sparsexlt.tasks.options import prepare_worker, step_options


@task(**step_options("task-sft"), task_run_name="task-sft-{job.method}-{job.scenario}")
def task_sft_task(
    job: TaskSFTJob,
    base: ArtifactRef,
    language_sfts: dict[str, ArtifactRef],
    translations: dict[str, ArtifactRef],
    output_dir: str,
) -> ArtifactRef:
    prepare_worker()
    return train_task_sft(job, base, language_sfts, translations, output_dir)
