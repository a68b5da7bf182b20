"""Task: evaluate θ + φ_task + φ_target on one target language."""

from __future__ import annotations

from prefect import task

from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.evaluate import evaluate_composed
from sparsexlt.recipe.plan import EvalJob
from sparsexlt.tasks.options import prepare_worker, step_options


@task(
    **step_options("evaluation"), task_run_name="evaluate-{job.method}-{job.scenario}-{job.target}"
)
def evaluate_task(
    job: EvalJob,
    base: ArtifactRef,
    task_sft: ArtifactRef,
    language_sft: ArtifactRef | None,
    output_dir: str,
) -> ArtifactRef:
    prepare_worker()
    return evaluate_composed(job, base, task_sft, language_sft, output_dir)
