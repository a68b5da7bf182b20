"""A tiny random NLLB-style translator (M2M100 + SentencePiece), built offline in about a second.

Why: tests, the demo and benchmarks need a model with NLLB's exact architecture, tokenizer and
language-code conventions, and these machines reach no model hub. The folder written here is a
normal Hugging Face folder: `AutoTokenizer` / `AutoModelForSeq2SeqLM` load it offline and the
CTranslate2 converter accepts it like a real NLLB-200 checkpoint.

Contract:
- The vocabulary is a SentencePiece BPE model trained on `texts_by_lang` (layout as in NLLB:
  `<s> <pad> </s> <unk>`, the pieces, `<mask>`, then the language codes).
- Only the codes passed (the keys of `texts_by_lang`) are added: a random M2M100 with all 202
  codes emits nothing but language codes.
- The same arguments and seed give byte-identical weights and tokenizer files.
- Outputs of a random model are gibberish. Two choices make them *vary with the input*, so tests
  compare engines on something that can differ: `init_std` is larger than NLLB's, and the output
  layer is not tied to the embeddings (tied, a random decoder echoes the forced language code
  at every step).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

from sparsexlt.models.loading import quiet_transformers
from sparsexlt.models.sentencepiece_model import SP_FILE, train_sentencepiece
from sparsexlt.util.atomic import atomic_dir


def train_nllb_bpe(texts: Sequence[str], vocab_size: int) -> bytes:
    """A BPE SentencePiece model with NLLB's special-piece layout (<unk>=0, <s>=1, </s>=2)."""
    return train_sentencepiece(texts, vocab_size, "bpe", unk_id=0, bos_id=1, eos_id=2, pad_id=-1)


def tiny_translator_config(
    vocab_size: int,
    *,
    d_model: int,
    layers: int,
    heads: int,
    ffn_dim: int,
    max_positions: int,
    init_std: float,
):
    """An M2M100 config with NLLB's conventions (decoder starts with </s>, pre-norm, ReLU)."""
    return M2M100Config(
        vocab_size=vocab_size,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn_dim,
        decoder_ffn_dim=ffn_dim,
        max_position_embeddings=max_positions,
        scale_embedding=True,
        activation_function="relu",
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
        init_std=init_std,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        tie_word_embeddings=False,
        tokenizer_class="NllbTokenizer",
    )


def build_tiny_translator(
    out_dir: str | Path,
    texts_by_lang: Mapping[str, Sequence[str]],
    *,
    seed: int = 0,
    vocab_size: int = 1000,
    d_model: int = 32,
    layers: int = 2,
    heads: int = 2,
    ffn_dim: int = 64,
    max_positions: int = 256,
    init_std: float = 0.3,
) -> Path:
    """Write a random NLLB-style model for the NLLB codes in `texts_by_lang`; return its folder.

    `texts_by_lang` maps NLLB codes (`ind_Latn`, …) to sample sentences that train the
    SentencePiece vocabulary. The folder is written atomically (a crash leaves no half folder).
    """

    codes = list(texts_by_lang)
    if not codes:
        raise ValueError("texts_by_lang is empty: give at least one language code and its texts")
    texts = [t for code in codes for t in texts_by_lang[code] if t.strip()]
    if not texts:
        raise ValueError("texts_by_lang has no non-empty text to train a vocabulary on")
    out_dir = Path(out_dir)
    with atomic_dir(out_dir, overwrite=True) as tmp, quiet_transformers():
        (tmp / SP_FILE).write_bytes(train_nllb_bpe(texts, vocab_size))
        tokenizer = NllbTokenizer.from_pretrained(
            str(tmp), extra_special_tokens=codes, src_lang=codes[0]
        )
        config = tiny_translator_config(
            len(tokenizer),
            d_model=d_model,
            layers=layers,
            heads=heads,
            ffn_dim=ffn_dim,
            max_positions=max_positions,
            init_std=init_std,
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = M2M100ForConditionalGeneration(config).eval()
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
    return out_dir
