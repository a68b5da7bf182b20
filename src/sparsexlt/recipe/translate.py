"""Step 2: translate-train — the translator (NLLB → CTranslate2) and the translated task data.

`prepare_translator` converts the configured NLLB model to CTranslate2 (for `tiny:`, it first
builds a tiny random NLLB whose vocabulary covers the run's languages), as an artifact keyed by
the model and quantization. `adapt_translation_model` adapts it to a target NLLB lacks, with the
parallel text of `translation.adapt` (`sparsexlt.translation.adapt`).
`translate_source` translates one source language's training data
into one target; the translation library's sentence cache lives under
`<output_dir>/cache/translation/`, so an interrupted translation resumes where it stopped.
Targets NLLB lacks without parallel data never get here: the plan leaves them out and says so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sparsexlt.recipe import artifacts
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.inputs import load
from sparsexlt.recipe.plan import (
    MTAdaptJob,
    Plan,
    TranslationJob,
    TranslatorJob,
    parse_tiny_spec,
)

CT2_DIR = "ct2"
HF_DIR = "hf"
DATA_DIR = "data"
ADAPT_DEFAULT_STEPS = 500  # when translation.adapt.training gives epochs (adaptation counts steps)
TINY_TRANSLATOR_OPTIONS = ("seed", "vocab_size", "d_model", "layers", "heads", "ffn_dim")


def prepare_translator(job: TranslatorJob, output_dir: str | Path) -> ArtifactRef:
    """The converted translator of `job` (built now unless its artifact exists)."""
    return artifacts.produce(output_dir, "translator", job.key, lambda tmp: _convert(job, tmp))


def _convert(job: TranslatorJob, tmp: Path) -> dict:
    from sparsexlt.translation import convert_model, converted_manifest

    manifest = None if job.model.startswith("tiny:") else converted_manifest(job.model)
    if manifest is not None:
        return _reuse_conversion(job, manifest, tmp)
    source: str | Path = job.model
    if job.model.startswith("tiny:"):
        source = _build_tiny(job, tmp / HF_DIR)
    convert_model(source, tmp / CT2_DIR, quantization=job.quantization)
    return {"model": job.model, "codes": list(job.codes), "quantization": job.quantization}


def _reuse_conversion(job: TranslatorJob, manifest, tmp: Path) -> dict:
    """`translation.model` is already a CTranslate2 conversion (`sparsexlt translate convert`):
    link its files into the artifact (copy across file systems) instead of converting again."""
    from sparsexlt.util.progress import log

    if manifest.quantization != job.quantization:  # preflight says so first; a library call too
        raise ValueError(
            f"{job.model}: converted with quantization {manifest.quantization!r}, "
            f"translation.quantization is {job.quantization!r}"
        )
    log(f"translator {job.model} is already converted ({manifest.quantization}); reusing it")
    shutil.copytree(job.model, tmp / CT2_DIR, copy_function=_link_or_copy)
    return {
        "model": job.model,
        "codes": list(job.codes),
        "quantization": job.quantization,
        "converted_from": manifest.source,
    }


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _build_tiny(job: TranslatorJob, out: Path) -> Path:
    from sparsexlt.models.tiny_translator import build_tiny_translator
    from sparsexlt.recipe.validate import check_tiny_spec

    check_tiny_spec("translation.model", job.model, TINY_TRANSLATOR_OPTIONS)
    options = parse_tiny_spec(job.model)
    texts: dict[str, list[str]] = {code: [] for code in job.codes}
    for code, ref in job.corpus:
        texts[code] += list(load(ref)["text"])
    for code in job.codes:
        texts[code] = texts[code] or ["."]
    return build_tiny_translator(out, texts, **options)


def adapt_translation_model(
    job: MTAdaptJob, translator: ArtifactRef, output_dir: str | Path
) -> ArtifactRef:
    """The translator adapted to `job.target` (a language NLLB lacks) with parallel text: a new
    language code, fine-tuning with a registered method, the merge converted to CTranslate2.
    Its `info.report` holds chrF/BLEU on held-out pairs before and after."""
    return artifacts.produce(
        output_dir,
        "mt-adapt",
        job.key,
        lambda tmp: _adapt(job, translator, Path(output_dir), tmp),
        language=job.target,
        method=job.method,
        work=True,
    )


def _adapt(job: MTAdaptJob, translator: ArtifactRef, output_dir: Path, tmp: Path) -> dict:
    from sparsexlt.translation import AdaptConfig, adapt_translator

    pairs = parallel_pairs(job)
    held_out = max(1, min(200, len(pairs) // 10))
    steps = job.train.get("steps") or ADAPT_DEFAULT_STEPS
    config = AdaptConfig(
        src_lang=job.src_code,
        tgt_lang=job.target,
        init_from=job.init_from,
        method=job.method,
        method_options=job.hparams,
        steps=max(steps) if isinstance(steps, list) else int(steps),
        batch_size=job.train["batch_size"],
        lr=job.train["lr"],
        warmup_ratio=job.train["warmup_ratio"],
        seed=job.train["seed"],
        quantization=job.quantization,
    )
    hf = Path(translator.path) / HF_DIR
    base = hf if hf.is_dir() else translator.info["model"]
    work = artifacts.work_dir(output_dir, "mt-adapt", job.key)
    result = adapt_translator(base, pairs[:-held_out], pairs[-held_out:], config, work)
    shutil.copytree(result.translator_dir, tmp / CT2_DIR)
    report = result.report
    return {
        "model": translator.info.get("model"),
        "target_code": report["tgt_code"],
        "code_added": report["code_added"],
        "before": report["before"],
        "after": report["after"],
        "train_pairs": report["train_pairs"],
    }


def parallel_pairs(job: MTAdaptJob) -> list[tuple[str, str]]:
    """The sentence pairs of `job` (row i of one side translates row i of the other)."""
    from sparsexlt.errors import DataFormatError

    source, target = (list(load(ref)["text"]) for ref in job.pairs)
    if len(source) != len(target):
        where = job.pairs[1].path or f"demo:{job.target}"
        raise DataFormatError(
            where, None, f"parallel data: {len(source)} source lines but {len(target)} target lines"
        )
    return list(zip(source, target, strict=True))


def translate_source(
    job: TranslationJob, translator: ArtifactRef, output_dir: str | Path
) -> ArtifactRef:
    """Source task data of `job.source` translated into `job.target` (ids and labels kept)."""
    return artifacts.produce(
        output_dir,
        "translation",
        job.key,
        lambda tmp: _translate(job, translator, Path(output_dir), tmp),
        language=job.target,
    )


def _translate(job: TranslationJob, translator: ArtifactRef, output_dir: Path, tmp: Path) -> dict:
    from sparsexlt.translation import TranslationOptions, read_report, translate_dataset

    options = TranslationOptions(**job.options)
    paths = translate_dataset(
        load(job.data),
        model_dir=Path(translator.path) / CT2_DIR,
        src_lang=job.src_code,
        tgt_langs=[job.tgt_code],
        options=options,
        cache_dir=output_dir / "cache" / "translation",
        out_dir=tmp / DATA_DIR,
    )
    report = read_report(paths[job.tgt_code])
    return {
        "dataset": f"{DATA_DIR}/{job.tgt_code}",
        "source": job.source,
        "target": job.target,
        "examples": report.get("examples_out"),
        "dropped": report.get("dropped_markers_lost"),
    }


def produce_translations(
    plan: Plan, output_dir: str | Path, wanted: set[str] | None = None
) -> tuple[dict[str, ArtifactRef], dict[str, ArtifactRef]]:
    """(translations, translators) of `plan`, each by job key, made now unless finished.

    The translator comes first, then its adaptations, then the translations, in plan order.
    `wanted` keeps only the translations with those keys and the adaptations they use
    (an empty set makes nothing); None makes every translation and every adaptation.
    """
    if plan.translator is None or (wanted is not None and not wanted):
        return {}, {}
    translator = prepare_translator(plan.translator, output_dir)
    needed = [j for j in plan.translations if wanted is None or j.key in wanted]
    used = {j.translator_key for j in needed}
    models = {plan.translator.key: translator}
    for job in plan.mt_adaptations:
        if wanted is None or job.key in used:
            models[job.key] = adapt_translation_model(job, translator, output_dir)
    translations = {
        j.key: translate_source(j, models[j.translator_key], output_dir) for j in needed
    }
    return translations, models


def load_translation(ref: ArtifactRef):
    """The translated Dataset of a translation artifact."""
    from datasets import load_from_disk

    return load_from_disk(str(Path(ref.path) / ref.info["dataset"]))
