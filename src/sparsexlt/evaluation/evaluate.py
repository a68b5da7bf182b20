"""Score a task model on a labelled dataset with the metrics its task type calls for.

| task type | metrics |
|---|---|
| sequence-/pair-classification | `accuracy`, `macro_f1` |
| token-classification | `accuracy` (per word; UPOS accuracy for POS), plus entity-level `precision`, `recall`, `f1` (seqeval) when the label set is a BIO/IOBES scheme |
| dependency-parsing | `uas`, `las` (punctuation included; relations compared by their universal part, CoNLL 2018) |

Every result also carries `n_examples`. Gold labels must all be present: data read without labels
(e.g. XNLI test with `has_labels=False`, whose `label` is None) raises `DataFormatError` naming
the dataset instead of scoring every prediction as wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from sparsexlt.errors import DataFormatError
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
    *,
    source: str = "gold labels",
) -> dict[str, float]:
    """Metrics from gold labels and `predict`'s output (gold heads + relations for parsing).

    `source` names the data in the error raised when a gold label is missing (None).
    """
    _require_all_gold(gold, gold_deprels, source)
    return _metrics(task_type, gold, predictions, label_list, gold_deprels)


def _metrics(
    task_type: str,
    gold: Sequence,
    predictions: Sequence,
    label_list: Sequence[str],
    gold_deprels: Sequence | None,
) -> dict[str, float]:
    """`score` on gold already checked complete."""
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
    name: str | None = None,
) -> dict[str, float]:
    """Metrics of `model` on `dataset` (with its gold columns) plus `n_examples`.

    For token classification `tag_column` defaults to `tags`, else `upos` (POS tagging on a UD
    treebank). `name` (e.g. "xnli test") names the data in errors; by default the source that
    `sparsexlt.data` readers record in `dataset.info.description` (file and format).
    Raises DataFormatError before predicting anything when a gold label is missing.
    """
    columns = dataset.column_names
    source = name or dataset.info.description or "evaluation dataset"
    if task_type == TOKEN_CLASSIFICATION:
        tag_column = tag_column or ("tags" if "tags" in columns else "upos")
        gold, deprels = _column(dataset, tag_column), None
    elif task_type == DEPENDENCY_PARSING:
        gold, deprels = _column(dataset, "heads"), _column(dataset, "deprels")
    else:
        gold, deprels = _column(dataset, "label"), None
    _require_all_gold(gold, deprels, source)  # before predicting: nothing to score against
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
    scores = _metrics(task_type, gold, predictions, label_list, deprels)
    return {**scores, "n_examples": len(dataset)}


def _require_all_gold(gold: Sequence, deprels: Sequence | None, source: str) -> None:
    require_gold(gold, source)
    if deprels is not None:
        require_gold(deprels, source)


def require_gold(gold: Sequence, source: str) -> None:
    """Refuse gold labels with a None (an example, or a word of one): nothing to score against."""
    missing = sum(
        1
        for item in gold
        if item is None or (isinstance(item, (list, tuple)) and any(v is None for v in item))
    )
    if missing:
        raise DataFormatError(
            source,
            None,
            f"{missing} of {len(gold)} examples have no gold label; cannot evaluate on data read "
            "without labels (e.g. has_labels=False) - evaluate a labelled split",
        )


def _column(dataset: Dataset, name: str) -> list:
    """One column as a plain list (a single Arrow conversion, not row-by-row formatting)."""
    return dataset.select_columns([name])[:][name]
