"""Tasks: convert the translation model to CTranslate2, adapt it to a language NLLB lacks,
translate one source into one target."""

from __future__ import annotations

from prefect import task

from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.plan import MTAdaptJob, TranslationJob, TranslatorJob
from sparsexlt.recipe.translate import (
    adapt_translation_model,
    prepare_translator,
    translate_source,
)
from sparsexlt.tasks.options import prepare_worker, step_options


@task(**step_options("translator"))
def translator_task(job: TranslatorJob, output_dir: str) -> ArtifactRef:
    prepare_worker()
    return prepare_translator(job, output_dir)


@task(**step_options("mt-adapt"), task_run_name="mt-adapt-{job.target}")
def mt_adapt_task(job: MTAdaptJob, translator: ArtifactRef, output_dir: str) -> ArtifactRef:
    prepare_worker()
    return adapt_translation_model(job, translator, output_dir)


@task(**step_options("translation"), task_run_name="translate-{job.source}-{job.target}")
def translate_task(job: TranslationJob, translator: ArtifactRef, output_dir: str) -> ArtifactRef:
    prepare_worker()
    return translate_source(job, translator, output_dir)
