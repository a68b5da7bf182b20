"""Step 1: a language SFT φ_L — masked-LM training on one language's unlabelled text.

The method comes from the registry, so the same step yields a SparseDelta (lt-sft, spiel-*,
full) or a language adapter (madx): the loop and the later steps treat both as components.
Training runs in `<output_dir>/work/language-sft/<key>/` with checkpoints, so an interrupted
training resumes; the finished component is published as the artifact
`<output_dir>/artifacts/language-sft/<key>/component/`. With `job.launch` the training runs as
`sparsexlt train` on several processes (`launched`); under a launcher every rank trains and
rank 0 publishes (`artifacts.produce_together`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sparsexlt.adapters.registry import COMPONENT_DIR
from sparsexlt.recipe import artifacts
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.base_model import load_base
from sparsexlt.recipe.inputs import load
from sparsexlt.recipe.launched import launched, should_launch
from sparsexlt.recipe.plan import LanguageSFTJob


def train_language_sft(
    job: LanguageSFTJob, base: ArtifactRef, output_dir: str | Path
) -> ArtifactRef:
    """The language SFT of `job`, trained now unless its artifact exists."""
    if should_launch(job.launch):
        step = ["--method", job.method, "--language", job.language]
        return launched(output_dir, "language-sft", job.key, job.launch, step)
    return artifacts.produce_together(
        output_dir,
        "language-sft",
        job.key,
        lambda tmp: _train(job, base, Path(output_dir), tmp),
        language=job.language,
        method=job.method,
        work=True,
    )


def _train(job: LanguageSFTJob, base: ArtifactRef, output_dir: Path, tmp: Path) -> dict:
    from sparsexlt.adapters.registry import get_method
    from sparsexlt.models import MLMCollator, build_task_model, encode_text_for_mlm, load_tokenizer
    from sparsexlt.training import Source, TrainConfig, train
    from sparsexlt.training.distributed import is_main_process

    tokenizer = load_tokenizer(base.path)
    text = encode_text_for_mlm(load(job.data), tokenizer, max_length=job.max_length)
    seed = job.train["seed"]
    source = Source(
        f"text-{job.language}",
        job.language,
        text,
        collate=MLMCollator(tokenizer, seed=seed),
        fingerprint=job.data.key,
    )
    model = build_task_model(load_base(base), "masked-lm", seed=seed)
    method = get_method(job.method_name)(**job.hparams)
    work = artifacts.work_dir(output_dir, "language-sft", job.key)
    result = train(model, method, [source], TrainConfig(**job.train), output_dir=work)
    if not is_main_process():
        return {}  # rank 0 publishes
    publish_training(work, tmp)
    return {"steps": result.steps, "examples": len(text), "final_loss": _last_loss(result.history)}


def publish_training(work: Path, tmp: Path) -> None:
    """Copy the trained component and its history from a work folder into the artifact."""
    shutil.copytree(work / COMPONENT_DIR, tmp / COMPONENT_DIR)
    for name in ("history.json", "train_args.json"):
        if (work / name).is_file():
            shutil.copyfile(work / name, tmp / name)
    for marker in (tmp / COMPONENT_DIR).glob(".complete"):
        marker.unlink()


def _last_loss(history: list[dict]) -> float | None:
    losses = [h["loss"] for h in history if h.get("kind") == "train"]
    return losses[-1] if losses else None


def load_language_component(ref: ArtifactRef | None):
    """The component of a language-SFT artifact (None stays None)."""
    if ref is None:
        return None
    from sparsexlt.adapters.registry import load_component

    return load_component(Path(ref.path) / COMPONENT_DIR)
