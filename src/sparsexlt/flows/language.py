"""Subflow: every language SFT, fanned out per (method, language)."""

from __future__ import annotations

from prefect import flow

from sparsexlt.flows.unique import unique
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.plan import LanguageSFTJob
from sparsexlt.tasks import language_sft_task


@flow(name="language-sfts", validate_parameters=False)
def language_sft_flow(
    jobs: list[LanguageSFTJob], base: ArtifactRef, output_dir: str
) -> dict[str, ArtifactRef]:
    """Train φ_L for each job (masked LM on the language's unlabelled text); {key: artifact}."""
    futures = {job.key: language_sft_task.submit(job, base, output_dir) for job in unique(jobs)}
    return {key: future.result() for key, future in futures.items()}
