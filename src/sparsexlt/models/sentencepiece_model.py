"""Train a SentencePiece model in memory, deterministically: what the tiny models share.

Why one place: the tiny encoder (unigram, XLM-R layout) and the tiny translator (BPE, NLLB
layout) differ only in model type and special-piece ids; the settings that make training
reproducible and fit a small corpus belong together. `copy_sentencepiece` carries the file
(`SP_FILE`) into folders written from a loaded tokenizer, which does not save it itself.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sentencepiece as spm

SP_FILE = "sentencepiece.bpe.model"  # the file name XLM-R and NLLB tokenizers look for


def train_sentencepiece(
    texts: Sequence[str], vocab_size: int, model_type: str, **options: Any
) -> bytes:
    """Bytes of a SentencePiece model trained on `texts`; `options` go to the trainer as is.

    One thread keeps training deterministic. `hard_vocab_limit=False`: a small corpus cannot
    fill a large vocabulary; take what it gives.
    """
    if not texts:
        raise ValueError("texts: need at least one sentence to train the tokenizer")
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(texts)),
        model_writer=buffer,
        vocab_size=vocab_size,
        model_type=model_type,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
        **options,
    )
    return buffer.getvalue()


def copy_sentencepiece(source_dir: str | Path, dest_dir: str | Path) -> None:
    """Copy `SP_FILE` from `source_dir` into `dest_dir` when the source folder has one.

    Why: the fast NLLB/XLM-R tokenizers' `save_pretrained` writes only `tokenizer.json`; the
    original SentencePiece file is what slow tokenizers and other tools need, so folders we
    write from a loaded model keep it. A hub id (no such folder) copies nothing.
    """
    spm_file = Path(source_dir) / SP_FILE
    if spm_file.is_file():
        shutil.copyfile(spm_file, Path(dest_dir) / SP_FILE)
