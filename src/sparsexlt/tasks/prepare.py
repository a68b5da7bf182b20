"""Task: resolve (or build) the base model and fingerprint it."""

from __future__ import annotations

from pathlib import Path

from prefect import task

from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.base_model import known_base, prepare_base_model
from sparsexlt.recipe.plan import BaseModelJob
from sparsexlt.tasks.options import prepare_worker, step_options


def _resolved(job: BaseModelJob, output_dir: str) -> bool:
    """Whether an earlier run resolved the base and, for `tiny:`, its built folder (our artifact)
    still exists. A hub id or local folder is no artifact of ours: its path is a name (a hub id
    never exists on disk) and the job key already follows its content."""
    ref = known_base(job, output_dir)
    return ref is not None and (job.tiny is None or Path(ref.path).exists())


def _dropout(job: BaseModelJob) -> list[str]:
    """`job.key` leaves dropout out (the model folder does not depend on it), but the ref this
    step returns carries the dropout every training then applies: a cached ref must match."""
    return [f"dropout={job.dropout!r}"]


@task(**step_options("base-model", finished=_resolved, extra=_dropout))
def base_model_task(job: BaseModelJob, output_dir: str) -> ArtifactRef:
    prepare_worker()
    return prepare_base_model(job, output_dir)
