"""Score a task model on a labelled dataset with the metrics its task type calls for.

| task type | metrics |
|---|---|
| sequence-/pair-classification | `accuracy`, `macro_f1` |
| token-classification | `accuracy` (per word; UPOS accuracy for POS), plus entity-level `precision`, `recall`, `f1` (seqeval) when the label set is a BIO/IOBES scheme |
| dependency-parsing | `uas`, `las` (punctuation included) |

Every result also carries `n_examples`.
"""

from __future__ import annotations

from collections.abc import Sequence

from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from sparsexlt.evaluation.metrics import (
    accuracy,
    attachment_scores,
    is_entity_scheme,
    macro_f1,
    seqeval_scores,
    token_accuracy,
)
from sparsexlt.models.predict import predict
from sparsexlt.models.task_model import TaskModel
from sparsexlt.models.task_types import (
    CLASSIFICATION_TYPES,
    DEPENDENCY_PARSING,
    TOKEN_CLASSIFICATION,
)


def score(
    task_type: str,
    gold: Sequence,
    predictions: Sequence,
    label_list: Sequence[str],
    gold_deprels: Sequence | None = None,
) -> dict[str, float]:
    """Metrics from gold labels and `predict`'s output (gold heads + relations for parsing)."""
    if task_type in CLASSIFICATION_TYPES:
        return {"accuracy": accuracy(gold, predictions), "macro_f1": macro_f1(gold, predictions)}
    if task_type == TOKEN_CLASSIFICATION:
        scores = {"accuracy": token_accuracy(gold, predictions)}
        if is_entity_scheme(label_list):
            scores.update(seqeval_scores(gold, predictions))
        return scores
    if task_type == DEPENDENCY_PARSING:
        return attachment_scores(
            gold,
            gold_deprels or [],
            [p["heads"] for p in predictions],
            [p["deprels"] for p in predictions],
        )
    raise ValueError(f"task_type: no evaluation for '{task_type}'")


def evaluate(
    model: TaskModel,
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerBase,
    task_type: str,
    label_list: Sequence[str],
    *,
    batch_size: int = 32,
    max_length: int = 256,
    tag_column: str | None = None,
) -> dict[str, float]:
    """Metrics of `model` on `dataset` (with its gold columns) plus `n_examples`.

    For token classification `tag_column` defaults to `tags`, else `upos` (POS tagging on a UD
    treebank).
    """
    columns = dataset.column_names
    if task_type == TOKEN_CLASSIFICATION:
        tag_column = tag_column or ("tags" if "tags" in columns else "upos")
        gold, deprels = dataset[tag_column], None
    elif task_type == DEPENDENCY_PARSING:
        gold, deprels = dataset["heads"], dataset["deprels"]
    else:
        gold, deprels = dataset["label"], None
    predictions = predict(
        model,
        dataset,
        tokenizer,
        task_type,
        label_list,
        batch_size=batch_size,
        max_length=max_length,
        description=f"evaluate {task_type}",
    )
    return {**score(task_type, gold, predictions, label_list, deprels), "n_examples": len(dataset)}
