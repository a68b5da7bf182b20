"""One benchmark run: train a method on NusaX train, pick the best step on valid, score on test.

Model selection: the loop evaluates valid macro-F1 `evals_per_phase` times per phase and keeps
the best export of the last phase (`TrainConfig.best_metric`, saved to `<run>/best`). That saved
component is then applied to a freshly loaded base model and scored on test — so the figures are
those of the method's real product (export → load → apply), not of the model as trained in
place. With `check_export` the applied component is also re-scored on valid: it must give the
valid macro-F1 the loop recorded for it.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from quality_plan import LABELS, TASK_TYPE, QualitySettings, RunSpec
from sparsexlt.adapters.base import Component
from sparsexlt.adapters.registry import get_method, load_component
from sparsexlt.data import read_dataset
from sparsexlt.evaluation.evaluate import evaluate
from sparsexlt.models import (
    build_task_model,
    encode_dataset,
    load_backbone,
    load_tokenizer,
    make_collator,
)
from sparsexlt.models.task_model import TaskModel
from sparsexlt.training import Source, TrainConfig, train

SPLITS = ("train", "valid", "test")


@dataclass
class Resources:
    """What every run shares: the tokenizer, the raw splits and the encoded training set."""

    tokenizer: PreTrainedTokenizerBase
    splits: dict[str, Dataset]
    train_encoded: Dataset


@dataclass
class RunResult:
    method: str
    label: str
    seed: int
    k_target: int | None
    trainable: int  # encoder entries that trained (K as spent)
    trainable_head: int
    lr: float
    hparams: dict[str, Any]
    steps: int  # optimizer steps over all phases
    best_step: int | None
    valid: dict[str, float]
    test: dict[str, float]
    train_seconds: float  # wall time of train() without its validation evaluations
    export_check: dict[str, float] = field(default_factory=dict)


def nusax_paths(data_dir: Path, language: str) -> dict[str, Path]:
    folder = Path(data_dir) / "nusax" / "sentiment" / language
    return {split: folder / f"{split}.csv" for split in SPLITS}


def load_resources(settings: QualitySettings) -> Resources:
    paths = nusax_paths(settings.data_dir, settings.language)
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"NusaX files not found: {', '.join(missing)} (see --data-dir)")
    splits = {name: read_dataset(path, "nusax-csv") for name, path in paths.items()}
    if settings.limit is not None:
        splits = {n: ds.select(range(min(settings.limit, len(ds)))) for n, ds in splits.items()}
    tokenizer = load_tokenizer(settings.model)
    encoded = encode_dataset(splits["train"], tokenizer, TASK_TYPE, LABELS, settings.max_length)
    return Resources(tokenizer, splits, encoded)


def majority_baseline(splits: dict[str, Dataset]) -> tuple[str, float]:
    """The most frequent train label and the test accuracy of always predicting it."""
    train_labels = splits["train"]["label"]
    label = max(sorted(set(train_labels)), key=train_labels.count)
    test_labels = splits["test"]["label"]
    return label, test_labels.count(label) / len(test_labels)


def fresh_model(settings: QualitySettings, seed: int) -> TaskModel:
    backbone = load_backbone(settings.model)
    return build_task_model(backbone, TASK_TYPE, len(LABELS), seed=seed)


def score(model: TaskModel, res: Resources, split: str, settings: QualitySettings) -> dict:
    return evaluate(
        model,
        res.splits[split],
        res.tokenizer,
        TASK_TYPE,
        LABELS,
        max_length=settings.max_length,
    )


def run_one(
    spec: RunSpec, seed: int, res: Resources, settings: QualitySettings, work_dir: Path | None
) -> RunResult:
    """Train `spec` under `seed`; test the best valid export on a fresh base model."""
    steps = settings.steps_per_phase(len(res.train_encoded))
    hparams = spec.hyperparameters(seed, steps)
    method = get_method(spec.method)(**hparams)
    model = fresh_model(settings, seed)
    config = train_config(settings, spec.lr, steps, seed)
    eval_seconds = [0.0]

    def eval_fn(m: TaskModel) -> dict[str, float]:
        start = time.perf_counter()
        metrics = score(m, res, "valid", settings)
        eval_seconds[0] += time.perf_counter() - start
        return metrics

    collate = make_collator(TASK_TYPE, res.tokenizer.pad_token_id)
    source = Source(settings.language, None, res.train_encoded, collate=collate)
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        out = Path(tmp) / "run"
        start = time.perf_counter()
        result = train(model, method, [source], config, output_dir=out, eval_fn=eval_fn)
        train_seconds = time.perf_counter() - start - eval_seconds[0]
        trainable, head = trainable_counts(model, method.trainable_tensors())
        method.detach()
        del model
        best = result.best or {"step": None, "metrics": last_eval(result.history)}
        component = load_component(out / "best") if result.best else result.component
        test, check = score_export(component, res, settings, seed)
    return RunResult(
        spec.method,
        spec.label,
        seed,
        spec.k_target,
        trainable,
        head,
        spec.lr,
        hparams,
        result.steps,
        best["step"],
        best["metrics"],
        test,
        train_seconds,
        check,
    )


def train_config(settings: QualitySettings, lr: float, steps: int, seed: int) -> TrainConfig:
    """The loop's settings: `steps` per phase, valid evaluations, keep the best by macro-F1."""
    return TrainConfig(
        steps=steps,
        batch_size=settings.batch_size,
        lr=lr,
        warmup_ratio=settings.warmup_ratio,
        weight_decay=settings.weight_decay,
        eval_every=settings.eval_every(steps),
        checkpoint_every=0,
        keep_checkpoints=1,
        best_metric="macro_f1",
        seed=seed,
    )


def score_export(
    component: Component, res: Resources, settings: QualitySettings, seed: int
) -> tuple[dict[str, float], dict[str, float]]:
    """(test metrics, valid re-score or {}) of `component` applied to a freshly loaded base."""
    model = fresh_model(settings, seed)
    component.apply(model)
    try:
        test = {} if settings.valid_only else score(model, res, "test", settings)
        check = score(model, res, "valid", settings) if settings.check_export else {}
    finally:
        component.revert(model)
    return test, check


def trainable_counts(model: TaskModel, tensors: list) -> tuple[int, int]:
    """(encoder entries, head entries) among the tensors the method's optimizer updates."""
    head_ids = {id(p) for p in model.head.parameters()}
    head = sum(t.numel() for t in tensors if id(t) in head_ids)
    return sum(t.numel() for t in tensors) - head, head


def last_eval(history: list[dict[str, Any]]) -> dict[str, float]:
    evals = [h["metrics"] for h in history if h["kind"] == "eval"]
    return evals[-1] if evals else {}
