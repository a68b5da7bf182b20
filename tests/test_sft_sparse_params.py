"""SparseParameterSet: merged-in-place φ, gathered gradients, language switching order."""

from __future__ import annotations

import pytest
import torch

from sft_tiny import (
    TinyTaskModel,
    bitwise_equal,
    one_torch_thread,  # noqa: F401  (autouse fixture)
    snapshot,
    tiny_batch,
)
from sparsexlt.adapters.sparse_delta import SparseDelta
from sparsexlt.adapters.sparse_params import SparseParameterSet, remap_values

SHAPED = {  # a Linear weight, an embedding, a bias and a LayerNorm weight
    "backbone.encoder.layer.0.attention.self.query.weight": 300,
    "backbone.embeddings.word_embeddings.weight": 500,
    "backbone.encoder.layer.1.output.dense.bias": 10,
    "backbone.encoder.layer.1.output.LayerNorm.weight": 8,
}


def pick(model, seed: int, sizes=SHAPED) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    params = dict(model.named_parameters())
    return {n: torch.randperm(params[n].numel(), generator=g)[:k] for n, k in sizes.items()}


def freeze(model):
    for p in model.parameters():
        p.requires_grad_(False)


def test_gradients_equal_dense_gradients_at_indices():
    model, dense = TinyTaskModel(seed=0), TinyTaskModel(seed=0)
    freeze(model)
    idx = pick(model, seed=1)
    values = {n: torch.randn(i.numel()) * 0.01 for n, i in idx.items()}
    sps = SparseParameterSet(model, idx, values)
    with torch.no_grad():  # the dense twin holds θ0 + φ explicitly
        for n, p in dense.named_parameters():
            if n in idx:
                p.view(-1)[idx[n]] += values[n]
    batch = tiny_batch(seed=2)
    for _ in range(2):  # two micro-batches: φ.grad accumulates
        model(**batch).loss.backward()
        dense(**batch).loss.backward()
    grads = dict(dense.named_parameters())
    for name, phi in zip(sps.indices, sps.trainable_tensors(), strict=True):
        order = torch.argsort(idx[name])
        expected = grads[name].grad.view(-1)[idx[name][order]]
        assert torch.allclose(phi.grad, expected, rtol=1e-5, atol=1e-8), name
    assert all(p.grad is None for p in model.parameters())  # no dense gradient kept


def test_merge_never_drifts_and_unmerge_restores_exactly():
    model = TinyTaskModel(seed=0)
    before = snapshot(model)
    sps = SparseParameterSet(model, pick(model, seed=3))
    for step in range(50):
        with torch.no_grad():
            for phi in sps.trainable_tensors():
                phi.add_(1e-3 * (-1) ** step)
        sps.merge()
    for name, idx in sps.indices.items():
        expected = before[name].view(-1)[idx] + sps.values[name].detach()
        assert bitwise_equal(dict(model.named_parameters())[name].detach().view(-1)[idx], expected)
    sps.detach()
    assert all(bitwise_equal(p.detach(), before[n]) for n, p in model.named_parameters())


def test_set_indices_carries_values_and_remaps_state():
    model = TinyTaskModel(seed=0)
    before = snapshot(model)
    name = "backbone.encoder.layer.1.output.dense.bias"
    sps = SparseParameterSet(
        model, {name: torch.tensor([4, 1, 7])}, {name: torch.tensor([4.0, 1.0, 7.0])}
    )
    phi = sps.values[name]
    sps.set_indices(name, torch.tensor([9, 7, 2, 1]))
    assert sps.values[name] is phi and phi.tolist() == [1.0, 0.0, 7.0, 0.0]
    assert sps.indices[name].tolist() == [1, 2, 7, 9]
    bias = model.backbone.encoder.layer[1].output.dense.bias.detach()
    assert bias[4] == before[name][4] and bias[1] == before[name][1] + 1.0
    state = remap_values(
        torch.tensor([1, 4, 7]), torch.tensor([10.0, 40.0, 70.0]), sps.indices[name], fill=-1
    )
    assert state.tolist() == [10.0, -1.0, 70.0, -1.0]


def test_state_dict_round_trip_and_to_delta(tmp_path):
    model, fresh = TinyTaskModel(seed=0), TinyTaskModel(seed=0)
    sps = SparseParameterSet(model, pick(model, seed=4))
    with torch.no_grad():
        for phi in sps.trainable_tensors():
            phi.normal_()
    sps.merge()
    other = SparseParameterSet(fresh, {})
    other.load_state_dict(sps.state_dict())
    assert all(
        torch.equal(p, q) for p, q in zip(model.parameters(), fresh.parameters(), strict=True)
    )
    delta = sps.to_delta()
    assert delta.k == sum(SHAPED.values())
    back = SparseDelta.load(delta.save(tmp_path / "d"))
    target = TinyTaskModel(seed=0)
    back.apply(target, check_fingerprint=False)
    assert all(
        torch.equal(p, q) for p, q in zip(model.parameters(), target.parameters(), strict=True)
    )


def overlapping_setup():
    """A task set and a language delta whose indices overlap on every shaped parameter."""
    model = TinyTaskModel(seed=0)
    freeze(model)
    theta0 = snapshot(model)
    task_idx = pick(model, seed=5)
    lang_idx = {
        n: torch.cat([i[: len(i) // 2], pick(model, seed=6)[n][: len(i) // 2]]).unique()
        for n, i in task_idx.items()
    }
    g = torch.Generator().manual_seed(7)
    task_values = {n: torch.randn(i.numel(), generator=g) * 0.05 for n, i in task_idx.items()}
    lang = SparseDelta(
        {n: (i, torch.randn(i.numel(), generator=g) * 0.05) for n, i in lang_idx.items()},
        shapes={n: tuple(theta0[n].shape) for n in lang_idx},
    )
    sps = SparseParameterSet(model, task_idx, task_values)
    return model, theta0, sps, lang


def reference_gradients(theta0, sps, lang, batch) -> dict[str, torch.Tensor]:
    """Dense gradients of a model holding θ0 + φ_T + φ_L, built explicitly."""
    ref = TinyTaskModel(seed=0)
    params = dict(ref.named_parameters())
    with torch.no_grad():
        for n, idx in sps.indices.items():
            params[n].view(-1)[idx] = theta0[n].view(-1)[idx] + sps.values[n]
        for n, (idx, values) in lang.sparse.items():
            params[n].view(-1)[idx.long()] += values
    ref(**batch).loss.backward()
    return {n: params[n].grad.view(-1)[idx] for n, idx in sps.indices.items()}


def test_language_switching_with_overlapping_indices_is_exact():
    model, theta0, sps, lang = overlapping_setup()
    opt = torch.optim.SGD(sps.trainable_tensors(), lr=0.1)
    for step in range(3):
        batch = tiny_batch(seed=10 + step)
        expected_grads = reference_gradients(theta0, sps, lang, batch)
        lang.apply(model, check_fingerprint=False)
        model(**batch).loss.backward()
        lang.revert(model)
        for name, phi in sps.values.items():
            assert torch.allclose(phi.grad, expected_grads[name], rtol=1e-5, atol=1e-8), name
        opt.step()
        opt.zero_grad()
        sps.merge()
        for name, p in model.named_parameters():  # exactly θ0 + φ_T: no trace of φ_L
            expected = theta0[name].clone()
            if name in sps.indices:
                idx = sps.indices[name]
                expected.view(-1)[idx] = theta0[name].view(-1)[idx] + sps.values[name].detach()
            assert bitwise_equal(p.detach(), expected), (step, name)


def test_merging_before_revert_would_be_wrong():
    """The order matters: merge() then revert() leaves stale task values on the overlap."""
    model, theta0, sps, lang = overlapping_setup()
    lang.apply(model, check_fingerprint=False)
    with torch.no_grad():
        for phi in sps.trainable_tensors():
            phi.add_(1.0)
    sps.merge()
    lang.revert(model)
    name = "backbone.encoder.layer.0.attention.self.query.weight"
    idx = sps.indices[name]
    now = dict(model.named_parameters())[name].detach().view(-1)[idx]
    with pytest.raises(AssertionError):
        assert torch.equal(now, theta0[name].view(-1)[idx] + sps.values[name].detach())
