"""Composition: addition that ignores argument order, N at once, merged model folders."""

from __future__ import annotations

import itertools

import pytest
import torch
from transformers import XLMRobertaForMaskedLM

from sft_tiny import (
    TinyTaskModel,
    bitwise_equal,
    one_torch_thread,  # noqa: F401  (autouse fixture)
    random_delta,
    snapshot,
    tiny_config,
)
from sparsexlt.adapters.merge import apply_all, compose, merge_into_folder
from sparsexlt.adapters.sparse_delta import DeltaInfo, SparseDelta
from sparsexlt.errors import IncompatibleModelError
from sparsexlt.models.fingerprint import fingerprint
from sparsexlt.models.loading import load_backbone

NAMES = [
    "embeddings.word_embeddings.weight",
    "encoder.layer.0.attention.self.query.weight",
    "encoder.layer.1.output.dense.bias",
]


def same(a: SparseDelta, b: SparseDelta) -> bool:
    if set(a.sparse) != set(b.sparse) or set(a.dense) != set(b.dense):
        return False
    return all(
        torch.equal(a.sparse[n][0], b.sparse[n][0])
        and bitwise_equal(a.sparse[n][1], b.sparse[n][1])
        for n in a.sparse
    ) and all(bitwise_equal(a.dense[n], b.dense[n]) for n in a.dense)


def test_overlapping_entries_add_and_result_is_sorted():
    a = SparseDelta({"w": (torch.tensor([4, 1]), torch.tensor([1.0, 2.0]))}, shapes={"w": (2, 3)})
    b = SparseDelta({"w": (torch.tensor([1, 0]), torch.tensor([10.0, 20.0]))}, shapes={"w": (2, 3)})
    c = compose(a, b)
    assert c.sparse["w"][0].tolist() == [0, 1, 4]
    assert c.sparse["w"][1].tolist() == [20.0, 12.0, 1.0]
    assert c.sparse["w"][0].dtype == torch.int32 and c.k == 3


def test_compose_is_order_independent_bit_for_bit():
    model = TinyTaskModel(seed=0)
    deltas = [random_delta(model.backbone, NAMES, 3000, seed=s, scale=10.0**-s) for s in range(3)]
    results = [compose(*p) for p in itertools.permutations(deltas)]
    assert all(same(results[0], r) for r in results[1:])
    assert results[0].k < 3 * (3000 + 3000 + 32)  # overlaps were merged


def test_sparse_plus_dense_gives_dense():
    a = SparseDelta({"w": (torch.tensor([1]), torch.tensor([2.0]))}, shapes={"w": (2, 2)})
    b = SparseDelta(dense={"w": torch.ones(2, 2)})
    c = compose(a, b)
    assert c.dense["w"].tolist() == [[1.0, 3.0], [1.0, 1.0]] and not c.sparse


def test_compose_rejects_conflicts():
    head = SparseDelta(dense={"head.w": torch.ones(2)}, new_parameters=["head.w"])
    other = SparseDelta({"head.w": (torch.tensor([0]), torch.ones(1))}, shapes={"head.w": (2,)})
    with pytest.raises(IncompatibleModelError, match="head.w"):
        compose(head, other)
    x = SparseDelta({"w": (torch.tensor([0]), torch.ones(1))}, shapes={"w": (2,)})
    y = SparseDelta({"w": (torch.tensor([0]), torch.ones(1))}, shapes={"w": (3,)})
    with pytest.raises(IncompatibleModelError, match="parameter w"):
        compose(x, y)
    fx = SparseDelta(x.sparse, shapes=x.shapes, info=DeltaInfo(base_fingerprint="a" * 64))
    fy = SparseDelta(x.sparse, shapes=x.shapes, info=DeltaInfo(base_fingerprint="b" * 64))
    with pytest.raises(IncompatibleModelError, match="different base models"):
        compose(fx, fy)


def test_apply_all_equals_sum_and_reverts_exactly():
    model = TinyTaskModel(seed=0)
    before = snapshot(model)
    task = random_delta(model.backbone, NAMES, 500, seed=1, task="senti")
    lang = random_delta(model.backbone, NAMES, 500, seed=2, language="ind")
    head = SparseDelta(dense={"head.2.bias": torch.ones(3)}, new_parameters=["head.2.bias"])
    combined = apply_all(model, [task, lang, head])
    assert combined.info.task == "senti" and combined.info.language == "ind"
    w = "backbone.embeddings.word_embeddings.weight"
    expected = before[w].clone().view(-1)
    for d in (task, lang):
        idx, values = d.sparse[w]
        expected[idx.long()] += values
    assert torch.allclose(
        model.backbone.embeddings.word_embeddings.weight.view(-1), expected, atol=1e-7
    )
    assert torch.equal(model.head[2].bias, torch.ones(3))
    combined.revert(model)
    assert all(bitwise_equal(p, before[n]) for n, p in model.named_parameters())


def test_merge_into_folder_loads_with_transformers_and_equals_apply(tmp_path):
    src = tmp_path / "base"
    torch.manual_seed(0)
    XLMRobertaForMaskedLM(tiny_config()).save_pretrained(src)
    (src / "tokenizer.json").write_text('{"fake": true}')
    (src / "sentencepiece.bpe.model").write_bytes(b"\x00spm")
    base = load_backbone(src)
    fp = base.sparsexlt_fingerprint
    lang = random_delta(base, NAMES, 300, seed=1, base_fingerprint=fp)
    task = random_delta(base, NAMES[1:], 300, seed=2, base_fingerprint=fp)
    head = SparseDelta(dense={"head.w": torch.ones(2)}, new_parameters=["head.w"])
    out = merge_into_folder(src, [lang, task, head], tmp_path / "merged")
    assert (out / "tokenizer.json").read_text() == '{"fake": true}'
    assert (out / "sentencepiece.bpe.model").read_bytes() == b"\x00spm"
    merged = XLMRobertaForMaskedLM.from_pretrained(out)
    original = XLMRobertaForMaskedLM.from_pretrained(src)
    assert torch.equal(merged.lm_head.dense.weight, original.lm_head.dense.weight)
    apply_all(base, [lang, task])
    for name, p in base.named_parameters():
        assert torch.equal(dict(merged.roberta.named_parameters())[name], p), name
    assert not torch.equal(
        merged.roberta.embeddings.word_embeddings.weight,
        original.roberta.embeddings.word_embeddings.weight,
    )
    wrong = random_delta(
        base, NAMES, 3, seed=3, base_fingerprint=fingerprint(TinyTaskModel(seed=5))
    )
    with pytest.raises(IncompatibleModelError, match="fingerprint"):
        merge_into_folder(src, [wrong], tmp_path / "bad")


def test_merging_into_a_folder_that_does_not_exist_names_it(tmp_path):
    from sparsexlt.models.loading import ModelNotFoundError

    delta = SparseDelta({"w": (torch.tensor([0]), torch.tensor([1.0]))}, shapes={"w": (2,)})
    with pytest.raises(ModelNotFoundError, match="xlm-roberta-base: not a model folder"):
        merge_into_folder("xlm-roberta-base", [delta], tmp_path / "merged")
    assert not (tmp_path / "merged").exists()
