"""Subflow: one task SFT per (method, scenario[, target]), each on its mix of sources."""

from __future__ import annotations

from prefect import flow

from sparsexlt.flows.unique import unique
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.plan import TaskSFTJob
from sparsexlt.tasks import task_sft_task


@flow(name="task-sfts", validate_parameters=False)
def task_sft_flow(
    jobs: list[TaskSFTJob],
    base: ArtifactRef,
    language_sfts: dict[str, ArtifactRef],
    translations: dict[str, ArtifactRef],
    output_dir: str,
) -> dict[str, ArtifactRef]:
    """Train φ_task of each scenario: multi-source batches, each with its language's SFT
    applied; few-shot data upsampled (except fs-no-upsample); {key: artifact}."""
    futures = {
        job.key: task_sft_task.submit(
            job, base, used_language_sfts(job, language_sfts), translations, output_dir
        )
        for job in unique(jobs)
    }
    return {key: future.result() for key, future in futures.items()}


def used_language_sfts(job: TaskSFTJob, refs: dict[str, ArtifactRef]) -> dict[str, ArtifactRef]:
    """The language SFTs of `refs` that `job`'s mix applies (all a task needs to receive)."""
    keys = {p.language_sft_key for p in job.parts}
    return {k: v for k, v in refs.items() if k in keys}
