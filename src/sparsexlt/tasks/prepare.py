"""Task: resolve (or build) the base model and fingerprint it."""

from __future__ import annotations

from prefect import task

from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.base_model import prepare_base_model
from sparsexlt.recipe.plan import BaseModelJob
from sparsexlt.tasks.options import prepare_worker, step_options


@task(**step_options("base-model"))
def base_model_task(job: BaseModelJob, output_dir: str) -> ArtifactRef:
    prepare_worker()
    return prepare_base_model(job, output_dir)
