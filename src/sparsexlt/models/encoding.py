"""Task datasets (the schemas of `sparsexlt.data`) → model inputs, and dynamic-padding collation.

Labels are strings in datasets; `label_list` maps them to ids here (an unknown label is a
`DataFormatError` naming the example). Word-level tasks label each word at its FIRST subword:
token classification puts the tag id there and -100 on other subwords and special tokens; both
word-level tasks record `word_index` (the first-subword position of each word) so predictions map
back to words. Words whose first subword falls beyond `max_length` are dropped from the encoding
(`n_words` keeps the original count); in parsing, an arc whose head was dropped is ignored (-100).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import datasets
import torch
from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from sparsexlt.errors import DataFormatError
from sparsexlt.models.heads.base import IGNORE_INDEX
from sparsexlt.models.task_types import (
    CLASSIFICATION_TYPES,
    DEPENDENCY_PARSING,
    MASKED_LM,
    PAIR_CLASSIFICATION,
    TOKEN_CLASSIFICATION,
)
from sparsexlt.models.tokenizer_key import tokenizer_key
from sparsexlt.util.hashing import combine, hash_json
from sparsexlt.util.progress import progress_enabled

LABEL_COLUMNS = ("label", "tags", "upos", "heads", "deprels")
_PAD_VALUES = {"attention_mask": 0, "token_type_ids": 0, "word_index": 0}
_KEYS = {
    "classification": ("input_ids", "attention_mask", "token_type_ids", "labels"),
    TOKEN_CLASSIFICATION: (
        "input_ids",
        "attention_mask",
        "token_type_ids",
        "labels",
        "word_index",
        "word_mask",
    ),
    DEPENDENCY_PARSING: (
        "input_ids",
        "attention_mask",
        "token_type_ids",
        "word_index",
        "word_mask",
        "heads",
        "deprels",
    ),
    MASKED_LM: ("input_ids", "attention_mask", "token_type_ids", "labels"),
}


@contextmanager
def quiet_datasets() -> Iterator[None]:
    """No `Map:` bars from `datasets` while sparsexlt's own progress output is off."""
    was_disabled = datasets.are_progress_bars_disabled()
    if not progress_enabled():
        datasets.disable_progress_bars()
    try:
        yield
    finally:
        if not was_disabled:
            datasets.enable_progress_bars()


def effective_max_length(tokenizer: PreTrainedTokenizerBase, max_length: int) -> int:
    """`max_length`, capped by the tokenizer's own limit when it declares a real one."""
    limit = getattr(tokenizer, "model_max_length", None)
    return min(max_length, int(limit)) if limit and limit < 1_000_000 else max_length


def _label_ids(values: Sequence[str], index: dict[str, int], example_id: str, field: str):
    try:
        return [index[v] for v in values]
    except KeyError as err:
        raise DataFormatError(
            f"example {example_id}",
            None,
            f"{field}: label {err.args[0]!r} is not in the label set {sorted(index)}",
        ) from None


def _ids(batch: dict[str, list], indices: list[int]) -> list[str]:
    """Example ids for error messages: the `id` column, else the row number."""
    return [str(x) for x in batch["id"]] if "id" in batch else [str(i) for i in indices]


def _encode_classification(batch, idx, *, tokenizer, task_type, index, max_length):
    if task_type == PAIR_CLASSIFICATION:
        enc = tokenizer(
            batch["premise"], batch["hypothesis"], truncation=True, max_length=max_length
        )
    else:
        enc = tokenizer(batch["text"], truncation=True, max_length=max_length)
    out = dict(enc)
    if "label" in batch:
        out["labels"] = [
            _label_ids([label], index, example_id, "label")[0]
            for label, example_id in zip(batch["label"], _ids(batch, idx), strict=True)
        ]
    return out


def first_subword_positions(word_ids: Sequence[int | None]) -> list[int]:
    """Position of each word's first subword, for the words up to the last one kept.

    A word that produced no subword at all borrows its predecessor's position (or 1), so word
    numbers stay aligned with the original sentence.
    """
    first: dict[int, int] = {}
    for pos, word in enumerate(word_ids):
        if word is not None and word not in first:
            first[word] = pos
    positions, previous = [], 1
    for word in range(max(first) + 1 if first else 0):
        previous = first.get(word, previous)
        positions.append(previous)
    return positions


def _encode_words(batch, idx, *, tokenizer, task_type, index, max_length, tag_column):
    enc = tokenizer(
        batch["tokens"], is_split_into_words=True, truncation=True, max_length=max_length
    )
    out: dict[str, list] = {k: list(v) for k, v in enc.items()}
    out["word_index"], out["n_words"] = [], []
    labelled = tag_column in batch if task_type == TOKEN_CLASSIFICATION else "heads" in batch
    if labelled:
        out.update(
            {"labels": []} if task_type == TOKEN_CLASSIFICATION else {"heads": [], "deprels": []}
        )
    for i, example_id in enumerate(_ids(batch, idx)):
        word_ids = enc.word_ids(i)
        positions = first_subword_positions(word_ids)
        out["word_index"].append(positions)
        out["n_words"].append(len(batch["tokens"][i]))
        if not labelled:
            continue
        if task_type == TOKEN_CLASSIFICATION:
            tags = _label_ids(batch[tag_column][i], index, example_id, tag_column)
            labels = [IGNORE_INDEX] * len(word_ids)
            for word, pos in enumerate(positions):
                if word_ids[pos] == word:  # not a borrowed position
                    labels[pos] = tags[word]
            out["labels"].append(labels)
        else:
            kept = len(positions)
            rels = _label_ids(batch["deprels"][i][:kept], index, example_id, "deprels")
            heads = batch["heads"][i][:kept]
            out["heads"].append([h if h <= kept else IGNORE_INDEX for h in heads])
            out["deprels"].append(
                [r if h <= kept else IGNORE_INDEX for r, h in zip(rels, heads, strict=True)]
            )
    return out


def encode_dataset(
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerBase,
    task_type: str,
    label_list: Sequence[str] | None = None,
    max_length: int = 256,
    *,
    tag_column: str | None = None,
) -> Dataset:
    """Encode `dataset` for `task_type`; label columns are optional (prediction data).

    Token classification reads `tag_column` (default `tags`, else `upos`, so a UD treebank can
    train a POS tagger). Dependency parsing maps `deprels` with `label_list`.
    """
    max_length = effective_max_length(tokenizer, max_length)
    index = {label: i for i, label in enumerate(label_list or [])}
    if task_type in CLASSIFICATION_TYPES:
        fn = partial(_encode_classification, task_type=task_type)
    elif task_type in (TOKEN_CLASSIFICATION, DEPENDENCY_PARSING):
        if tag_column is None:
            tag_column = "tags" if "tags" in dataset.column_names else "upos"
        fn = partial(_encode_words, task_type=task_type, tag_column=tag_column)
    else:
        raise ValueError(f"task_type: cannot encode '{task_type}' here (masked LM: mlm_encoding)")
    fingerprint = combine(
        [
            dataset._fingerprint,
            task_type,
            hash_json(list(index)),
            str(max_length),
            str(tag_column),
            tokenizer_key(tokenizer),  # content, not path: a rebuilt or re-optioned one differs
        ]
    )
    with quiet_datasets():
        return dataset.map(
            partial(fn, tokenizer=tokenizer, index=index, max_length=max_length),
            batched=True,
            with_indices=True,
            remove_columns=dataset.column_names,
            new_fingerprint=fingerprint[:32],
        )


def pad_rows(rows: Sequence[Sequence[int]], value: int) -> torch.Tensor:
    """`rows` right-padded with `value` to the longest one, as one int64 tensor."""
    width = max((len(r) for r in rows), default=0)
    return torch.tensor([list(r) + [value] * (width - len(r)) for r in rows], dtype=torch.long)


def collate(batch: list[dict[str, Any]], task_type: str, pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a list of encoded examples to the longest one; keep only what the model reads.

    `input_ids` pad with `pad_id`, masks and type ids with 0, labels/heads/deprels with -100;
    word-level tasks get `word_mask` (True for real words).
    """
    keys = _KEYS["classification" if task_type in CLASSIFICATION_TYPES else task_type]
    out: dict[str, torch.Tensor] = {}
    for key in keys:
        if key == "word_mask" or key not in batch[0]:
            continue
        values = [example[key] for example in batch]
        if isinstance(values[0], int):
            out[key] = torch.tensor(values, dtype=torch.long)
        else:
            pad = pad_id if key == "input_ids" else _PAD_VALUES.get(key, IGNORE_INDEX)
            out[key] = pad_rows(values, pad)
    if "word_mask" in keys:
        out["word_mask"] = pad_rows([[1] * len(e["word_index"]) for e in batch], 0).bool()
    return out


def make_collator(task_type: str, pad_id: int):
    """`collate` with its settings bound, for `DataLoader(collate_fn=...)`."""
    return partial(collate, task_type=task_type, pad_id=pad_id)
