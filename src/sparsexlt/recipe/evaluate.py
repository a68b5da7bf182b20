"""Step 4: score θ + φ_task + φ_target on a target language's evaluation split.

The composed model is built by applying the target's language component first and the task
component on top (the order MAD-X stacks adapters in; for SFTs it is plain addition). The
scores are published as a small artifact (`metrics.json`), so a re-run or resumed run finds
them by key; `result_rows` turns them into `ResultRow`s for the results store.
"""

from __future__ import annotations

from pathlib import Path

from sparsexlt.adapters.registry import COMPONENT_DIR
from sparsexlt.recipe import artifacts
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.base_model import load_base
from sparsexlt.recipe.inputs import load
from sparsexlt.recipe.plan import EvalJob
from sparsexlt.util.atomic import atomic_write_json

# Config metric name -> the key `evaluation.evaluate` returns it under.
METRIC_KEYS = {
    "accuracy": "accuracy",
    "macro_f1": "macro_f1",
    "seqeval_f1": "f1",
    "upos_accuracy": "accuracy",
    "uas": "uas",
    "las": "las",
}


def evaluate_composed(
    job: EvalJob,
    base: ArtifactRef,
    task_sft: ArtifactRef,
    language_sft: ArtifactRef | None,
    output_dir: str | Path,
) -> ArtifactRef:
    """The scores of `job` (computed now unless its artifact exists)."""
    return artifacts.produce(
        output_dir,
        "evaluation",
        job.key,
        lambda tmp: _evaluate(job, base, task_sft, language_sft, tmp),
        language=job.target,
        method=job.method,
    )


def _evaluate(
    job: EvalJob, base: ArtifactRef, task_sft: ArtifactRef, language_sft: ArtifactRef | None, tmp
) -> dict:
    scores = evaluate_model(
        load_base(base),
        base.path,
        Path(task_sft.path) / COMPONENT_DIR,
        None if language_sft is None else Path(language_sft.path) / COMPONENT_DIR,
        load(job.data),
        job.task["type"],
        task_sft.info["labels"],
        batch_size=job.batch_size,
        max_length=job.max_length,
        seed=job.seed,
    )
    metrics = {name: float(scores[METRIC_KEYS[name]]) for name in job.metrics}
    result = {"metrics": metrics, "n_examples": int(scores["n_examples"]), "all": scores}
    atomic_write_json(tmp / "metrics.json", result)
    return result


def evaluate_model(
    backbone,
    tokenizer_path: str | Path,
    task_component: str | Path,
    language_component: str | Path | None,
    dataset,
    task_type: str,
    labels: list[str],
    *,
    batch_size: int = 64,
    max_length: int = 128,
    seed: int = 0,
) -> dict[str, float]:
    """Metrics of backbone + language component + task component on `dataset` (all that
    `evaluation.evaluate` reports, plus `n_examples`). Components are folders of saved ones."""
    from sparsexlt.adapters.registry import load_component
    from sparsexlt.evaluation.evaluate import evaluate
    from sparsexlt.models import build_task_model, load_tokenizer

    model = build_task_model(backbone, task_type, len(labels), seed=seed)
    if language_component is not None:
        load_component(language_component).apply(model)
    load_component(task_component).apply(model)
    tokenizer = load_tokenizer(tokenizer_path)
    return evaluate(
        model, dataset, tokenizer, task_type, labels, batch_size=batch_size, max_length=max_length
    )


def result_rows(job: EvalJob, scores: ArtifactRef) -> list[dict]:
    """One `ResultRow` mapping per metric of an evaluation (run id filled in by the store)."""
    return [
        {
            "task": job.task["name"],
            "method": job.method,
            "scenario": job.scenario,
            "sources": list(job.sources),
            "target": job.target,
            "metric": metric,
            "value": value,
            "split": job.split,
            "seed": job.seed,
            "n_examples": scores.info["n_examples"],
            "artifact_key": job.task_sft_key,
        }
        for metric, value in scores.info["metrics"].items()
    ]
