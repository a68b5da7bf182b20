"""A tiny random XLM-R-style encoder with a SentencePiece tokenizer trained on the spot.

Tests and the demo cannot reach a model hub, so they build this instead: an ordinary Hugging Face
folder (`config.json`, `model.safetensors` of an `XLMRobertaForMaskedLM`, `tokenizer.json`,
`sentencepiece.bpe.model`) that `AutoModel`/`AutoTokenizer.from_pretrained(folder)` load offline.
It is deterministic under `seed`: the same texts and seed give the same bytes.

Traps avoided (FIELD-NOTES): `XLMRobertaTokenizer(vocab_file=…)` silently ignores the
SentencePiece file, so the model goes into a folder as `sentencepiece.bpe.model` and the
tokenizer is built with `from_pretrained(folder)`; unigram training on a small corpus needs
`hard_vocab_limit=False` (the vocabulary may come out smaller than asked).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM, XLMRobertaTokenizer

from sparsexlt.models.loading import quiet_transformers
from sparsexlt.models.sentencepiece_model import SP_FILE, train_sentencepiece
from sparsexlt.models.tiny_corpus import default_tiny_texts
from sparsexlt.util.atomic import atomic_dir


def train_unigram(texts: Sequence[str], vocab_size: int) -> bytes:
    """Bytes of a unigram SentencePiece model (unshuffled, so deterministic)."""
    return train_sentencepiece(texts, vocab_size, "unigram", shuffle_input_sentence=False)


def _tokenizer_from_sp(sp_bytes: bytes, max_length: int) -> XLMRobertaTokenizer:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / SP_FILE).write_bytes(sp_bytes)
        with quiet_transformers():
            return XLMRobertaTokenizer.from_pretrained(tmp, model_max_length=max_length)


def build_tiny_encoder(
    out_dir: str | Path,
    texts: Sequence[str] | None = None,
    *,
    seed: int = 0,
    vocab_size: int = 1000,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 2,
    intermediate: int = 64,
    max_position: int = 130,
) -> Path:
    """Build the folder at `out_dir` (replacing it) and return its path.

    `texts` default to `default_tiny_texts()`. Sequences may hold `max_position - 2` tokens
    (XLM-R positions start after the padding index); the tokenizer's `model_max_length` says so.
    """
    texts = list(texts) if texts is not None else default_tiny_texts()
    sp_bytes = train_unigram(texts, vocab_size)
    tokenizer = _tokenizer_from_sp(sp_bytes, max_length=max_position - 2)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        max_position_embeddings=max_position,
        type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = XLMRobertaForMaskedLM(config)
    out = Path(out_dir)
    with atomic_dir(out, overwrite=True) as tmp, quiet_transformers():
        (tmp / SP_FILE).write_bytes(sp_bytes)
        tokenizer.save_pretrained(tmp)
        model.save_pretrained(tmp)
    return out
