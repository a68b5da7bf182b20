"""Task: train one language SFT (one method, one language)."""

from __future__ import annotations

from prefect import task

from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.language_sft import train_language_sft
from sparsexlt.recipe.plan import LanguageSFTJob
from sparsexlt.tasks.options import prepare_worker, step_options


@task(**step_options("language-sft"), task_run_name="language-sft-{job.method}-{job.language}")
def language_sft_task(job: LanguageSFTJob, base: ArtifactRef, output_dir: str) -> ArtifactRef:
    prepare_worker()
    return train_language_sft(job, base, output_dir)
