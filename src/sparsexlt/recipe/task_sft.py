"""Step 3: a task SFT φ_task for one scenario — multi-source training on its mix of sources.

Each part of the job's mix (source task data, translations, few-shot target data) becomes one
`training.Source` with that language's SFT as its language component, so every batch comes from
one language and is trained with θ + φ_task + φ_language (the loop applies and reverts the
language component per batch). Few-shot parts carry their upsampling factor. The published
artifact holds `component/` and, in the manifest, the label list the head was built for (needed
to evaluate it; dependency parsing infers it from the training data when the config has none).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sparsexlt.recipe import artifacts
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.base_model import load_base
from sparsexlt.recipe.inputs import load
from sparsexlt.recipe.language_sft import load_language_component, publish_training
from sparsexlt.recipe.launched import launched, should_launch
from sparsexlt.recipe.plan import PartJob, TaskSFTJob
from sparsexlt.recipe.translate import load_translation


def train_task_sft(
    job: TaskSFTJob,
    base: ArtifactRef,
    language_sfts: Mapping[str, ArtifactRef],
    translations: Mapping[str, ArtifactRef],
    output_dir: str | Path,
) -> ArtifactRef:
    """The task SFT of `job`; `language_sfts` / `translations` map artifact keys to refs.

    With `job.launch`, trained by `sparsexlt train` on several processes, which find the same
    upstream artifacts by their keys (`launched`)."""
    if should_launch(job.launch):
        step = ["--method", job.method, "--scenario", job.scenario]
        step += ["--target", job.target] if job.target else []
        return launched(output_dir, "task-sft", job.key, job.launch, step)
    return artifacts.produce_together(
        output_dir,
        "task-sft",
        job.key,
        lambda tmp: _train(job, base, language_sfts, translations, Path(output_dir), tmp),
        language=job.target,
        method=job.method,
        work=True,
    )


def part_dataset(part: PartJob, translations: Mapping[str, ArtifactRef]):
    """The raw (unencoded) examples of one part of the mix."""
    if part.translation_key is not None:
        return load_translation(_needed(translations, part.translation_key, part.name))
    dataset = load(part.data)
    if part.few_shot is None:
        return dataset
    from sparsexlt.data import few_shot

    k = part.few_shot["k"]
    k = len(dataset) if k == "all" else min(int(k), len(dataset))
    return few_shot(dataset, k, part.few_shot["strategy"], part.few_shot["seed"])


def label_list(job: TaskSFTJob, datasets: list) -> list[str]:
    """The config's labels, or (dependency parsing without them) the relations seen in training."""
    if job.task["labels"]:
        return list(job.task["labels"])
    seen = {rel for ds in datasets for rels in ds["deprels"] for rel in rels}
    return sorted(seen)


def _train(
    job: TaskSFTJob,
    base: ArtifactRef,
    language_sfts: Mapping[str, ArtifactRef],
    translations: Mapping[str, ArtifactRef],
    output_dir: Path,
    tmp: Path,
) -> dict:
    from sparsexlt.adapters.registry import get_method
    from sparsexlt.models import build_task_model, encode_dataset, load_tokenizer, make_collator
    from sparsexlt.training import Source, TrainConfig, train
    from sparsexlt.training.distributed import is_main_process

    tokenizer = load_tokenizer(base.path)
    task_type = job.task["type"]
    raw = [part_dataset(p, translations) for p in job.parts]
    labels = label_list(job, raw)
    collate = make_collator(task_type, tokenizer.pad_token_id)
    sources = []
    for part, dataset in zip(job.parts, raw, strict=True):
        encoded = encode_dataset(dataset, tokenizer, task_type, labels, job.max_length)
        language_sft = None
        if part.language_sft_key is not None:
            language_sft = _needed(language_sfts, part.language_sft_key, part.name)
        sources.append(
            Source(
                part.name,
                part.language,
                encoded,
                load_language_component(language_sft),
                part.upsample,
                collate,
                fingerprint=_part_fingerprint(part),
            )
        )
    seed = job.train["seed"]
    model = build_task_model(load_base(base), task_type, len(labels), seed=seed)
    method = get_method(job.method_name)(**job.hparams)
    eval_fn = _validation_fn(job, tokenizer, labels)
    work = artifacts.work_dir(output_dir, "task-sft", job.key)
    result = train(
        model, method, sources, TrainConfig(**job.train), output_dir=work, eval_fn=eval_fn
    )
    if not is_main_process():
        return {}  # rank 0 publishes
    publish_training(work, tmp)
    return {
        "labels": labels,
        "task_type": task_type,
        "steps": result.steps,
        "scenario": job.scenario,
        "target": job.target,
        "sources": {p.name: len(ds) for p, ds in zip(job.parts, raw, strict=True)},
    }


def _part_fingerprint(part: PartJob) -> str:
    from sparsexlt.util.hashing import hash_json

    data = part.translation_key or (part.data.key if part.data else None)
    return hash_json({"data": data, "few_shot": part.few_shot})


def _needed(refs: Mapping[str, ArtifactRef], key: str, part: str) -> ArtifactRef:
    try:
        return refs[key]
    except KeyError:
        raise ValueError(
            f"task SFT part {part!r}: upstream artifact {key[:12]} not given"
        ) from None


def _validation_fn(job: TaskSFTJob, tokenizer, labels: list[str]):
    """Score the source validation data during training (`eval_every`), if configured."""
    if job.validation is None:
        return None
    from sparsexlt.evaluation.evaluate import evaluate

    dataset = load(job.validation)

    def eval_fn(model) -> dict[str, float]:
        return evaluate(
            model, dataset, tokenizer, job.task["type"], labels, max_length=job.max_length
        )

    return eval_fn
