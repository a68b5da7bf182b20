"""Subflow: convert the translator once, then translate the source data into each target."""

from __future__ import annotations

from prefect import flow

from sparsexlt.flows.unique import unique
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.plan import MTAdaptJob, TranslationJob, TranslatorJob
from sparsexlt.tasks import mt_adapt_task, translate_task, translator_task


@flow(name="translate-train-data", validate_parameters=False)
def translate_flow(
    translator: TranslatorJob,
    jobs: list[TranslationJob],
    output_dir: str,
    adaptations: list[MTAdaptJob] | None = None,
) -> dict[str, ArtifactRef]:
    """1. NLLB → CTranslate2 (or a tiny NLLB for `tiny:`); 2. adapt it to targets NLLB lacks
    that have parallel data; 3. one translation per (source, target), in parallel;
    {key: artifact}, the translators' included."""
    base = translator_task(translator, output_dir)
    adapted = {j.key: mt_adapt_task.submit(j, base, output_dir) for j in unique(adaptations or [])}
    models = {translator.key: base, **{k: f.result() for k, f in adapted.items()}}
    futures = {
        job.key: translate_task.submit(job, models[job.translator_key], output_dir)
        for job in unique(jobs)
    }
    return {**models, **{key: future.result() for key, future in futures.items()}}
