"""SpIEL layers: merged forward, exact revert, dφ by both kernels, 4-bit base, embeddings."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from sparsexlt.adapters.registry import get_method
from sparsexlt.adapters.spiel import grad_kernels
from training_support import one_thread  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("one_thread")


def _mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(24, 40), nn.Tanh(), nn.Linear(40, 6))


def _scatter(sw) -> torch.Tensor:
    dense = torch.zeros(sw.rows * sw.cols)
    dense[sw.indices.long()] = sw.phi.detach()
    return dense.view(sw.rows, sw.cols)


def test_merged_forward_equals_reference_and_revert_is_bit_exact():
    model = _mlp()
    w0 = {n: p.detach().clone() for n, p in model.named_parameters()}
    method = get_method("spiel-ag")(k=200)
    method.attach(model)
    assert [sw.k for sw in method.weights] == [160, 40]  # K in proportion to 960 : 240
    for sw in method.weights:
        sw.phi.data.normal_()
        sw.merge()
    x = torch.randn(5, 24)
    with torch.no_grad():
        ref = x
        for i, layer in ((0, model[0]), (2, model[2])):
            w = w0[f"{i}.weight"] + _scatter(method.weights[i // 2])
            ref = torch.nn.functional.linear(ref, w, layer.bias)
            ref = torch.tanh(ref) if i == 0 else ref
    torch.testing.assert_close(model(x), ref)
    method.detach()
    for name, p in model.named_parameters():
        assert torch.equal(p, w0[name]), name
    assert "forward" not in model[0].__dict__


@pytest.mark.parametrize("mode", ["dense", "sampled"])
def test_phi_gradient_equals_dense_gradient_at_the_entries(mode):
    model = _mlp(1)
    reference = _mlp(1)
    method = get_method("spiel-ma")(k=300, grad_mode=mode)
    method.attach(model)
    assert {sw.grad_mode for sw in method.weights} == {mode}
    x, target = torch.randn(7, 3, 24), torch.randn(7, 3, 6)
    ((model(x) - target) ** 2).sum().backward()
    ((reference(x) - target) ** 2).sum().backward()
    for sw, layer in zip(method.weights, (reference[0], reference[2]), strict=True):
        expected = layer.weight.grad.view(-1)[sw.indices.long()]
        torch.testing.assert_close(sw.phi.grad, expected, rtol=1e-5, atol=1e-5)
    assert all(p.grad is None for p in model.parameters())  # never a dense weight gradient


def test_dense_and_sampled_kernels_agree():
    torch.manual_seed(0)
    x2, dy2 = torch.randn(50, 33), torch.randn(50, 21)
    idx = torch.sort(torch.randperm(21 * 33)[:90]).values
    dense = grad_kernels.entry_grad(x2, dy2, idx, 21, 33, "dense")
    sampled = grad_kernels.entry_grad(x2, dy2, idx, 21, 33, "sampled")
    torch.testing.assert_close(dense, sampled, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(dense, (dy2.t() @ x2).view(-1)[idx])


def test_auto_mode_picks_by_device_and_density():
    cpu = torch.device("cpu")
    assert grad_kernels.resolve_mode("auto", cpu, 0.01) == "sampled"
    assert grad_kernels.resolve_mode("auto", cpu, 0.5) == "dense"
    assert grad_kernels.resolve_mode("auto", torch.device("cuda"), 0.01) == "dense"
    assert grad_kernels.resolve_mode("sampled", cpu, 0.5) == "sampled"


def test_four_bit_base_trains_a_float_phi():
    bnb = pytest.importorskip("bitsandbytes")
    torch.manual_seed(0)
    model = nn.Sequential(
        bnb.nn.Linear4bit(32, 64, compute_dtype=torch.float32, quant_type="nf4"),
        nn.ReLU(),
        bnb.nn.Linear4bit(64, 8, compute_dtype=torch.float32, quant_type="nf4"),
    ).to("cpu")
    packed = [m.weight.data.clone() for m in (model[0], model[2])]
    method = get_method("spiel-ag")(k=400, reselection_interval=1000)
    method.attach(model)
    assert [sw.quantized for sw in method.weights] == [True, True]
    assert all(sw.phi.dtype == torch.float32 for sw in method.weights)
    optimizer = method.build_optimizer(lr=3e-2)
    x, y = torch.randn(64, 32), torch.randint(0, 8, (64,))
    losses = []
    for step in range(1, 31):
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        method.after_backward()
        optimizer.step()
        optimizer.zero_grad()
        method.after_optimizer_step(step)
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    for m, before in zip((model[0], model[2]), packed, strict=True):
        assert torch.equal(m.weight.data, before)  # the base stays quantised and untouched
    with torch.no_grad():  # inference path adds φ too
        assert nn.functional.cross_entropy(model(x), y).item() < losses[0]


def test_embedding_entries_get_row_gradients():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(30, 8, padding_idx=0), nn.Linear(8, 3))
    reference = nn.Sequential(nn.Embedding(30, 8, padding_idx=0), nn.Linear(8, 3))
    reference.load_state_dict(model.state_dict())
    method = get_method("spiel-ag")(k=100, embeddings=True)
    method.attach(model)
    emb = next(sw for sw in method.weights if sw.target.kind == "embedding")
    ids = torch.tensor([[0, 3, 3, 7], [9, 0, 3, 29]])
    model(ids).pow(2).sum().backward()
    reference(ids).pow(2).sum().backward()
    expected = reference[0].weight.grad.view(-1)[emb.indices.long()]
    torch.testing.assert_close(emb.phi.grad, expected)
