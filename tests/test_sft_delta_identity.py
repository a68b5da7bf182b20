"""SparseDelta: which models it is applied to (freed models, reused ids), tied names, its
content identity (compose order, the resume check) and 0-dim parameters."""

from __future__ import annotations

import gc
import weakref

import pytest
import torch
from torch import nn
from transformers import XLMRobertaForMaskedLM

from sft_tiny import (
    bitwise_equal,
    one_torch_thread,  # noqa: F401  (autouse fixture)
    tiny_config,
)
from sparsexlt.adapters.merge import compose, content_key
from sparsexlt.adapters.sparse_delta import DeltaInfo, SparseDelta
from sparsexlt.errors import ConfigError, DeterministicError
from sparsexlt.training import Source, TrainConfig, train
from sparsexlt.training.multi_source import _component_identity
from training_support import synthetic_dataset, tiny_classifier

EMB = "roberta.embeddings.word_embeddings.weight"
DEC = "lm_head.decoder.weight"


def linear_delta(dense: bool = False) -> SparseDelta:
    if dense:
        return SparseDelta(dense={"weight": torch.ones(4, 4)})
    return SparseDelta({"weight": (torch.tensor([0, 3]), torch.tensor([1.0, 2.0]))}, shapes={
        "weight": (4, 4)
    })  # fmt: skip


@pytest.mark.parametrize("dense", [False, True])
def test_a_cached_delta_applies_to_fresh_models_whose_ids_are_reused(dense):
    delta = linear_delta(dense)
    ids = set()
    for _ in range(20):  # CPython hands a freed model's id to the next one
        model = nn.Linear(4, 4)
        ids.add(id(model))
        delta.apply(model)  # no revert: the model is simply dropped
        assert delta.is_applied(model)
        del model
    gc.collect()
    assert len(ids) < 20  # ids were reused, so the check above was exercised
    assert len(delta._applied) == 0  # dropped models took their saved originals with them
    assert not delta.is_applied(nn.Linear(4, 4))


def test_a_freed_models_originals_are_released_and_revert_still_checks_the_model():
    delta = linear_delta(dense=True)
    model, other = nn.Linear(4, 4), nn.Linear(4, 4)
    delta.apply(model)
    saved = weakref.ref(delta._applied._entries[id(model)][1]["weight"])
    with pytest.raises(DeterministicError, match="not applied"):
        delta.revert(other)
    with pytest.raises(DeterministicError, match="already applied"):
        delta.apply(model)
    del model
    assert saved() is None  # released as the model went, without waiting for another call
    delta.apply(other)
    delta.revert(other)
    assert not delta.is_applied(other)


def tied_mlm() -> XLMRobertaForMaskedLM:
    torch.manual_seed(0)
    model = XLMRobertaForMaskedLM(tiny_config(tie_word_embeddings=True))
    assert model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
    return model


def test_revert_is_exact_when_two_names_of_a_delta_are_one_tied_tensor():
    model = tied_mlm()
    weight = model.roberta.embeddings.word_embeddings.weight
    base = weight.detach().clone()
    g = torch.Generator().manual_seed(0)
    idx = torch.randperm(weight.numel(), generator=g)[:300]
    va, vb = torch.randn(300, generator=g), torch.randn(200, generator=g) * 1e-3
    shape = tuple(weight.shape)
    a = SparseDelta({EMB: (idx, va)}, shapes={EMB: shape})
    b = SparseDelta({DEC: (idx[:200], vb)}, shapes={DEC: shape})
    c = compose(a, b)
    assert set(c.names()) == {EMB, DEC}  # two names, one tensor
    c.apply(model)
    total = torch.zeros(weight.numel()).index_add_(0, idx, va).index_add_(0, idx[:200], vb)
    assert torch.allclose(weight.detach().view(-1), base.view(-1) + total, atol=1e-6)
    c.revert(model)
    assert bitwise_equal(weight.detach(), base)
    dense = compose(SparseDelta(dense={EMB: torch.randn(shape, generator=g)}), b)
    dense.apply(model)
    dense.revert(model)
    assert bitwise_equal(weight.detach(), base)


def lang_delta(value: float) -> SparseDelta:
    name = "roberta.encoder.layer.1.output.dense.weight"
    return SparseDelta({name: (torch.arange(10), torch.full((10,), value))}, shapes={
        name: (32, 64)
    }, info=DeltaInfo(method="lt-sft", language="de"))  # fmt: skip


def test_the_resume_identity_of_a_delta_is_its_content():
    a, same, other = lang_delta(0.1), lang_delta(0.1), lang_delta(5.0)
    assert isinstance(_component_identity(a), str)
    assert _component_identity(a) == _component_identity(same) == a.content_hash()
    assert _component_identity(a) != _component_identity(other)
    assert content_key(a) == a.content_hash() == a.to("cpu").content_hash()
    assert a.content_hash() is a.content_hash()  # computed once


def test_resuming_with_another_language_delta_of_the_same_shape_is_refused(tmp_path):
    cfg = TrainConfig(steps=2, batch_size=4, lr=1e-3, checkpoint_every=1, seed=1)
    data = synthetic_dataset(16, seed=1)

    def run(value: float) -> None:
        sources = [Source("de", "de", data, lang_delta(value))]
        train(tiny_classifier(), _full(), sources, cfg, output_dir=tmp_path)

    run(0.1)
    with pytest.raises(ConfigError, match="component"):
        run(5.0)


def _full():
    from sparsexlt.adapters.registry import get_method

    return get_method("full")()


def test_compose_and_apply_handle_zero_dim_parameters():
    a = SparseDelta(dense={"scale": torch.tensor(2.0)})
    b = SparseDelta(dense={"scale": torch.tensor(0.5)})
    c = compose(a, b)
    assert c.shapes["scale"] == () and float(c.dense["scale"]) == 2.5
    assert compose(b, a).content_hash() == c.content_hash()
    module = nn.Module()
    module.scale = nn.Parameter(torch.tensor(1.0))
    c.apply(module)
    assert module.scale.detach().item() == 3.5
    c.revert(module)
    assert module.scale.detach().item() == 1.0
