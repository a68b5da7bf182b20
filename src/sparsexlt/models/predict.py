"""Predictions per example, as label strings, for any task model and dataset.

Examples are batched longest-first (less padding) and returned in dataset order. Words dropped
by truncation get a fallback prediction (tag `O` when the label set has it, else the first
label; head 0 with the first relation), so every example has one prediction per word.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from sparsexlt.errors import IncompatibleModelError
from sparsexlt.models.encoding import LABEL_COLUMNS, collate, encode_dataset
from sparsexlt.models.task_model import TaskModel
from sparsexlt.models.task_types import CLASSIFICATION_TYPES, DEPENDENCY_PARSING
from sparsexlt.util.progress import progress_bar


def _rows(columns: dict[str, list]) -> list[dict[str, Any]]:
    names = list(columns)
    return [
        dict(zip(names, values, strict=True))
        for values in zip(*(columns[n] for n in names), strict=True)
    ]


def _fallback(label_list: Sequence[str]) -> str:
    return "O" if "O" in label_list else label_list[0]


def _to_examples(pred: dict[str, torch.Tensor], rows: list[dict], task_type: str, labels):
    out: list[Any] = []
    for i, row in enumerate(rows):
        if task_type in CLASSIFICATION_TYPES:
            out.append(labels[int(pred["labels"][i])])
            continue
        kept, missing = len(row["word_index"]), row["n_words"] - len(row["word_index"])
        if task_type == DEPENDENCY_PARSING:
            heads = pred["heads"][i, :kept].tolist() + [0] * missing
            rels = [labels[r] for r in pred["deprels"][i, :kept].tolist()]
            out.append({"heads": heads, "deprels": rels + [labels[0]] * missing})
        else:
            tags = [labels[t] for t in pred["labels"][i, :kept].tolist()]
            out.append(tags + [_fallback(labels)] * missing)
    return out


def predict(
    model: TaskModel,
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerBase,
    task_type: str,
    label_list: Sequence[str],
    *,
    batch_size: int = 32,
    max_length: int = 256,
    description: str = "predict",
) -> list[Any]:
    """One prediction per example: a label (classification), a tag per word (token
    classification) or `{"heads": [...], "deprels": [...]}` (dependency parsing).

    Gold label columns, if present, are ignored. `label_list` must name every output of the
    head, in order: a list of another length would map predictions to the wrong names.
    """
    if len(label_list) != model.num_labels:
        raise IncompatibleModelError(
            f"{len(label_list)} labels given ({', '.join(map(str, label_list[:5]))}"
            f"{', …' if len(label_list) > 5 else ''}) but the model's head predicts "
            f"{model.num_labels}"
        )
    unlabelled = dataset.remove_columns([c for c in LABEL_COLUMNS if c in dataset.column_names])
    encoded = encode_dataset(unlabelled, tokenizer, task_type, label_list, max_length)
    lengths = [len(ids) for ids in encoded["input_ids"]]
    order = sorted(range(len(encoded)), key=lambda i: -lengths[i])
    results: list[Any] = [None] * len(encoded)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    was_training = model.training
    model.eval()
    try:
        n_batches = (len(order) + batch_size - 1) // batch_size
        with progress_bar(description, total=n_batches) as bar:
            for start in range(0, len(order), batch_size):
                index = order[start : start + batch_size]
                rows = _rows(encoded[index])
                batch = {k: v.to(model.device) for k, v in collate(rows, task_type, pad_id).items()}
                pred = {k: v.cpu() for k, v in model.predict_batch(batch).items()}
                for i, value in zip(
                    index, _to_examples(pred, rows, task_type, label_list), strict=True
                ):
                    results[i] = value
                bar.advance(bar.task_ids[0])
    finally:
        model.train(was_training)
    return results
