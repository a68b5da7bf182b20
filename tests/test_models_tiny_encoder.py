"""The tiny offline XLM-R-style encoder: deterministic, loadable offline, real segmentation."""

from __future__ import annotations

import random

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModel, AutoModelForMaskedLM, AutoTokenizer

from sparsexlt.models import build_tiny_encoder, default_tiny_texts

pytestmark = pytest.mark.usefixtures("torch_one_thread")

FILES = ("model.safetensors", "tokenizer.json", "sentencepiece.bpe.model", "config.json")


def test_two_builds_are_byte_identical(tmp_path):
    a = build_tiny_encoder(tmp_path / "a", seed=3)
    b = build_tiny_encoder(tmp_path / "b", seed=3)
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_seed_changes_weights_not_tokenizer(tmp_path, tiny_encoder_dir):
    other = build_tiny_encoder(tmp_path / "seed1", seed=1)
    w0 = load_file(tiny_encoder_dir / "model.safetensors")
    w1 = load_file(other / "model.safetensors")
    key = "roberta.encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(w0[key], w1[key])
    assert (other / "tokenizer.json").read_bytes() == (
        tiny_encoder_dir / "tokenizer.json"
    ).read_bytes()


def test_loads_offline_with_auto_classes(tiny_encoder_dir):
    model = AutoModel.from_pretrained(tiny_encoder_dir)
    mlm = AutoModelForMaskedLM.from_pretrained(tiny_encoder_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder_dir)
    assert model.config.model_type == "xlm-roberta"
    assert (model.config.hidden_size, model.config.num_hidden_layers) == (32, 2)
    assert model.config.vocab_size == len(tokenizer) >= 500
    assert tokenizer.model_max_length == 128
    ids = tokenizer(
        ["Saya senang sekali.", "The film was good."], padding=True, return_tensors="pt"
    )
    assert model(**ids).last_hidden_state.shape[:2] == ids["input_ids"].shape
    assert mlm(**ids).logits.shape[-1] == len(tokenizer)


def test_tokenizer_segments_into_real_pieces(tiny_encoder_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder_dir)
    text = "The film was very good. Saya makan di rumah. El agua es muy buena."
    pieces = tokenizer.tokenize(text)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert "▁film" in pieces and "▁rumah" in pieces
    assert sum(len(p.strip("▁")) > 1 for p in pieces) > len(pieces) // 2  # mostly multi-char pieces


def test_custom_texts_shape_the_vocabulary(tmp_path):
    rng = random.Random(0)
    words = ["zorblat", "quinzel", "frumious", "bandersnatch", "vorpal", "jabberwock", "tulgey"]
    texts = [" ".join(rng.choice(words) for _ in range(6)) for _ in range(200)]
    folder = build_tiny_encoder(tmp_path / "custom", texts, vocab_size=60)
    pieces = AutoTokenizer.from_pretrained(folder).tokenize("zorblat frumious")
    assert pieces == ["▁zorblat", "▁frumious"]


def test_default_corpus_is_deterministic_and_multilingual():
    assert default_tiny_texts(50, seed=2) == default_tiny_texts(50, seed=2)
    assert default_tiny_texts(50, seed=2) != default_tiny_texts(50, seed=3)
    words = " ".join(default_tiny_texts(60)).lower().split()
    assert {"the", "yang", "el", "na", "der", "le"} <= set(words)
