"""SparseSM3's update equals SM3 written densely over a masked matrix (rows, columns, ν)."""

from __future__ import annotations

import pytest
import torch

from sparsexlt.adapters.registry import get_method
from test_spiel_adamw import TwoLinears

EPS = 1e-30


def _dense_sm3(grad: torch.Tensor, mask: torch.Tensor, state: dict, beta: float) -> torch.Tensor:
    """One SM3 step on a dense matrix where only `mask` entries exist: the update, dense."""
    cover = torch.minimum(state["row"][:, None], state["col"][None, :])
    nu = cover * beta + (1 - beta) * grad**2 if beta else cover + grad**2
    nu = torch.where(mask, nu, torch.zeros_like(nu))  # inactive entries contribute nothing
    old_row, old_col = (state["row"], state["col"]) if not beta else (0.0, 0.0)
    state["row"] = torch.maximum(nu.amax(1), torch.as_tensor(old_row))
    state["col"] = torch.maximum(nu.amax(0), torch.as_tensor(old_col))
    return torch.where(mask, grad / (nu.sqrt() + EPS), torch.zeros_like(grad))


@pytest.mark.parametrize("beta", [0.0, 0.5])
def test_sparse_sm3_equals_dense_sm3_over_the_active_entries(beta):
    torch.manual_seed(0)
    model = TwoLinears()
    method = get_method("spiel-ma")(k=12, reselection_interval=1000, sm3_beta=beta)
    method.attach(model)
    optimizer = method.build_optimizer(lr=0.05)
    states = {sw.name: {"row": torch.zeros(sw.rows), "col": torch.zeros(sw.cols)}
              for sw in method.weights}  # fmt: skip
    gen = torch.Generator().manual_seed(1)
    for step in range(1, 6):
        model(torch.randn(3, 6, generator=gen)).pow(2).sum().backward()
        expected = {}
        for sw in method.weights:
            mask = torch.zeros(sw.rows * sw.cols, dtype=torch.bool)
            mask[sw.indices.long()] = True
            grad = torch.zeros(sw.rows * sw.cols).index_put_((sw.indices.long(),), sw.phi.grad)
            update = _dense_sm3(grad.view(sw.rows, sw.cols), mask.view(sw.rows, sw.cols),
                                states[sw.name], beta)  # fmt: skip
            expected[sw.name] = sw.phi.detach() - 0.05 * update.view(-1)[sw.indices.long()]
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        method.after_optimizer_step(step)
        for sw in method.weights:
            torch.testing.assert_close(sw.phi.detach(), expected[sw.name], rtol=1e-5, atol=1e-7)
            row, col = optimizer.accumulators(sw.phi)
            torch.testing.assert_close(row, states[sw.name]["row"])
            torch.testing.assert_close(col, states[sw.name]["col"])


@pytest.mark.parametrize("beta", [0.0, 0.5])
def test_dense_parameters_get_a_row_column_cover_or_one_accumulator_each(beta):
    from sparsexlt.adapters.spiel.sm3 import SparseSM3

    gen = torch.Generator().manual_seed(2)
    matrix = torch.nn.Parameter(torch.randn(4, 3, generator=gen))
    vector = torch.nn.Parameter(torch.randn(5, generator=gen))
    optimizer = SparseSM3([], [matrix, vector], lr=0.1, beta=beta)
    expected_m, expected_v = matrix.detach().clone(), vector.detach().clone()
    cover = {"row": torch.zeros(4), "col": torch.zeros(3)}
    acc = torch.zeros(5)
    for _ in range(3):
        matrix.grad = torch.randn(4, 3, generator=gen)
        vector.grad = torch.randn(5, generator=gen)
        all_entries = torch.ones(4, 3, dtype=torch.bool)
        expected_m -= 0.1 * _dense_sm3(matrix.grad, all_entries, cover, beta)
        acc = acc * beta + (1 - beta) * vector.grad**2 if beta else acc + vector.grad**2
        expected_v -= 0.1 * vector.grad / (acc.sqrt() + EPS)
        optimizer.step()
        torch.testing.assert_close(matrix.detach(), expected_m)
        torch.testing.assert_close(vector.detach(), expected_v)
    torch.testing.assert_close(optimizer.state[vector]["acc"], acc)


def test_accumulators_of_a_bf16_parameter_load_back_exactly_in_float32():
    from sparsexlt.adapters.spiel.sm3 import SparseSM3

    gen = torch.Generator().manual_seed(3)
    head = torch.nn.Parameter(torch.randn(6, dtype=torch.bfloat16, generator=gen))
    optimizer = SparseSM3([], [head], lr=0.1)
    for _ in range(2):
        head.grad = torch.randn(6, generator=gen).to(torch.bfloat16)
        optimizer.step()
    saved = {k: v.clone() for k, v in optimizer.state[head].items()}
    assert saved["acc"].dtype == torch.float32
    assert not torch.equal(saved["acc"], saved["acc"].bfloat16().float())  # bf16 would round it
    fresh = SparseSM3([], [head], lr=0.1)
    fresh.load_state_dict(optimizer.state_dict())
    assert fresh.state[head]["acc"].dtype == torch.float32
    assert torch.equal(fresh.state[head]["acc"], saved["acc"])
    assert fresh.state[head]["acc"].data_ptr() != optimizer.state[head]["acc"].data_ptr()
