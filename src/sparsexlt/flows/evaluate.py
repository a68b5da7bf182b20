"""Subflow: score every composed model θ + φ_task + φ_target on its target language."""

from __future__ import annotations

from prefect import flow

from sparsexlt.flows.unique import unique
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.plan import EvalJob
from sparsexlt.tasks import evaluate_task


@flow(name="evaluate", validate_parameters=False)
def evaluate_flow(
    jobs: list[EvalJob],
    base: ArtifactRef,
    task_sfts: dict[str, ArtifactRef],
    language_sfts: dict[str, ArtifactRef],
    output_dir: str,
) -> dict[str, ArtifactRef]:
    """Evaluate each (task SFT, target) pair; {evaluation key: scores artifact}."""
    futures = {
        job.key: evaluate_task.submit(
            job,
            base,
            task_sfts[job.task_sft_key],
            language_sfts.get(job.language_sft_key) if job.language_sft_key else None,
            output_dir,
        )
        for job in unique(jobs)
    }
    return {key: future.result() for key, future in futures.items()}
