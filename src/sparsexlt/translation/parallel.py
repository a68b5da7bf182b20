"""Parallel text for MT adaptation: read sentence pairs, encode them the NLLB way, batch them.

Encoding (what NLLB was trained on): source `[src_code] pieces </s>`, labels
`[tgt_code] pieces </s>`; the model builds decoder inputs by shifting labels right behind
`</s>` (its `decoder_start_token_id`), so the target code is the first token it predicts.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from sparsexlt.errors import DataFormatError

Pair = tuple[str, str]


def read_parallel_csv(path: str | Path, src_column: str, tgt_column: str) -> list[Pair]:
    """(source, target) pairs from a CSV with a header (e.g. NusaX-MT `indonesian,madurese`).

    Rows with an empty cell in either column are skipped; a missing column is an error.
    """
    path = Path(path)
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        for column in (src_column, tgt_column):
            if column not in header:
                raise DataFormatError(path, 1, f"no column {column!r} (columns: {header})")
        pairs = []
        for row in reader:
            src, tgt = (row[src_column] or "").strip(), (row[tgt_column] or "").strip()
            if src and tgt:
                pairs.append((src, tgt))
    if not pairs:
        raise DataFormatError(path, None, f"no non-empty {src_column}/{tgt_column} pairs")
    return pairs


def encode_pairs(
    tokenizer: Any, pairs: Sequence[Pair], src_code: str, tgt_code: str, max_length: int
) -> list[dict[str, list[int]]]:
    """One `{"input_ids", "labels"}` example per pair, both truncated to `max_length`."""
    tokenizer.src_lang = src_code
    tokenizer.tgt_lang = tgt_code
    enc = tokenizer(
        [s for s, _ in pairs],
        text_target=[t for _, t in pairs],
        max_length=max_length,
        truncation=True,
    )
    return [
        {"input_ids": ids, "labels": labels}
        for ids, labels in zip(enc["input_ids"], enc["labels"], strict=True)
    ]


class Seq2SeqCollator:
    """Pad a list of encoded pairs: inputs with `pad_id` (+ attention mask), labels with
    `IGNORE_INDEX` (-100), all int64."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, examples: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        # Imported here: both pull in transformers/datasets, which this module otherwise avoids.
        from sparsexlt.models.encoding import pad_rows
        from sparsexlt.models.heads.base import IGNORE_INDEX

        inputs = [e["input_ids"] for e in examples]
        return {
            "input_ids": pad_rows(inputs, self.pad_id),
            "attention_mask": pad_rows([[1] * len(ids) for ids in inputs], 0),
            "labels": pad_rows([e["labels"] for e in examples], IGNORE_INDEX),
        }
