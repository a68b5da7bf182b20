"""SparseAdamW's update is AdamW's, with each entry's bias correction taken at its own age."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from sparsexlt.adapters.registry import get_method
from sparsexlt.adapters.spiel.sparse_adamw import MAX_AGE, bias_correction_tables

BETAS = (0.8, 0.99)


class TwoLinears(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 5, bias=False)
        self.b = nn.Linear(5, 4, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.tanh(self.a(x)))


def _spiel(chunk: int | None):
    torch.manual_seed(0)
    model = TwoLinears()
    method = get_method("spiel-ag")(k=12, reselection_interval=1000, betas=list(BETAS))
    method.attach(model)
    optimizer = method.build_optimizer(lr=0.05)
    if chunk is not None:
        optimizer.chunk_elements = chunk
    return model, method, optimizer


@pytest.mark.parametrize("chunk", [None, 5])
def test_update_equals_torch_adamw_on_the_same_gradients(chunk):
    model, method, optimizer = _spiel(chunk)
    phis = [sw.phi for sw in method.weights]
    reference = [p.detach().clone().requires_grad_(True) for p in phis]
    torch_adamw = torch.optim.AdamW(reference, lr=0.05, betas=BETAS, weight_decay=0.0)
    gen = torch.Generator().manual_seed(1)
    for step in range(1, 7):
        loss = model(torch.randn(3, 6, generator=gen)).pow(2).sum()
        loss.backward()
        for ref, phi in zip(reference, phis, strict=True):
            ref.grad = phi.grad.clone()
        optimizer.step()
        torch_adamw.step()
        optimizer.zero_grad(set_to_none=True)
        method.after_optimizer_step(step)
        for ref, phi in zip(reference, phis, strict=True):
            torch.testing.assert_close(phi.detach(), ref.detach(), rtol=1e-5, atol=1e-7)
    # φ stays merged in the weights after every step
    for sw in method.weights:
        w = sw.target.weight.detach().view(-1)[sw.indices.long()]
        torch.testing.assert_close(w, sw.base + sw.phi.detach())


def test_an_older_entry_is_corrected_by_its_own_age():
    _, method, optimizer = _spiel(None)
    sw = method.weights[0]
    state = optimizer.state[sw.phi]
    b1, b2 = BETAS
    m0, v0, age0 = 0.3, 0.04, 7
    with torch.no_grad():
        state["exp_avg"].fill_(m0)
        state["exp_avg_sq"].fill_(v0)
        state["step"].fill_(age0)
        state["step"][0] = 0  # a fresh entry next to older ones
    g = torch.full_like(sw.phi, 0.5)
    sw.phi.grad = g.clone()
    before = sw.phi.detach().clone()
    optimizer.step()
    m = b1 * m0 + (1 - b1) * 0.5
    v = b2 * v0 + (1 - b2) * 0.25
    age = age0 + 1
    expected = -0.05 * (m / (1 - b1**age)) / ((v / (1 - b2**age)) ** 0.5 + 1e-8)
    moved = sw.phi.detach() - before
    torch.testing.assert_close(moved[1:], torch.full_like(moved[1:], expected), rtol=1e-5, atol=0)
    fresh_m, fresh_v = (1 - b1) * 0.5 + b1 * m0, (1 - b2) * 0.25 + b2 * v0
    fresh = -0.05 * (fresh_m / (1 - b1)) / ((fresh_v / (1 - b2)) ** 0.5 + 1e-8)
    torch.testing.assert_close(moved[0], torch.tensor(fresh), rtol=1e-5, atol=0)
    assert state["step"][0] == 1 and torch.all(state["step"][1:] == age)


def test_bias_correction_tables_match_the_formula_and_saturate():
    inv_bc1, inv_sqrt_bc2 = bias_correction_tables(0.9, 0.999, torch.device("cpu"))
    assert inv_bc1.shape == (MAX_AGE + 1,) and inv_bc1.dtype == torch.float32
    for a in (1, 2, 10, 1000):
        assert inv_bc1[a].item() == pytest.approx(1 / (1 - 0.9**a), rel=1e-6)
        assert inv_sqrt_bc2[a].item() == pytest.approx((1 - 0.999**a) ** -0.5, rel=1e-6)
    assert inv_bc1[MAX_AGE].item() == pytest.approx(1.0) and inv_sqrt_bc2[MAX_AGE] == 1.0
