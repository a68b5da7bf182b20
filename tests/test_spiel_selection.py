"""SpIEL drop/grow on a layer whose gradient is known, optimizer state across reselection, SM3."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from sparsexlt.adapters.registry import get_method
from sparsexlt.adapters.spiel import selection
from sparsexlt.adapters.spiel.config import SpielConfig
from sparsexlt.errors import ConfigError
from training_support import one_thread  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("one_thread")

ROWS, COLS = 12, 10


class KnownGradient(nn.Module):
    """One Linear fed the identity, loss Σ y·M with M = Gᵀ: dL/dW = G exactly, every step."""

    def __init__(self, g: torch.Tensor):
        super().__init__()
        self.linear = nn.Linear(COLS, ROWS, bias=False)
        self.register_buffer("m", g.t().clone())

    def forward(self) -> torch.Tensor:
        return (self.linear(torch.eye(COLS)) * self.m).sum()


def _step(method, optimizer, model, step: int, micro: int = 1) -> None:
    for _ in range(micro):  # gradient accumulation: the step's gradient is G either way
        (model() / micro).backward()
        method.after_backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    method.after_optimizer_step(step)


def _known(seed: int = 0) -> tuple[KnownGradient, torch.Tensor]:
    g = torch.randn(ROWS, COLS, generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(seed)
    return KnownGradient(g), g


@pytest.mark.parametrize("micro", [1, 2])
def test_first_selection_grows_the_largest_inactive_gradients_with_seeded_moments(micro):
    model, g = _known()
    method = get_method("spiel-ag")(
        k=20, reselection_interval=4, selection_window=2, total_steps=100, grad_mode="sampled"
    )
    method.attach(model)
    sw = method.weights[0]
    initial = set(sw.indices.tolist())
    optimizer = method.build_optimizer(lr=1e-3)
    for step in range(1, 5):
        _step(method, optimizer, model, step, micro)
        if step == 3:  # inside the window: Σg and Σg² per optimizer step, buffered or not
            assert sw.window.buffered == (micro > 1)
    scores = g.abs().view(-1).clone()
    scores[list(initial)] = -1.0
    expected = set(torch.topk(scores, 20).indices.tolist())
    assert set(sw.indices.tolist()) == expected  # p = 1: all dropped, top-|G| grown
    assert sw.k == 20 and torch.equal(sw.indices, torch.sort(sw.indices).values)
    assert torch.all(sw.phi == 0)
    state = optimizer.state[sw.phi]
    b1, b2 = 0.9, 0.999  # a window of 2 steps with constant gradient G
    truth = g.view(-1)[sw.indices.long()]  # window sums are bfloat16: ~3 significant digits
    torch.testing.assert_close(state["exp_avg"], truth * (1 - b1**2), rtol=8e-3, atol=1e-6)
    torch.testing.assert_close(state["exp_avg_sq"], truth**2 * (1 - b2**2), rtol=2e-2, atol=1e-9)
    assert state["step"].dtype == torch.int16 and torch.all(state["step"] == 2)


def test_later_selection_drops_smallest_phi_and_state_follows_each_index():
    model, g = _known(1)
    method = get_method("spiel-ag")(
        k=30, reselection_interval=4, selection_window=2, drop_fraction=0.5, total_steps=16
    )
    method.attach(model)
    sw = method.weights[0]
    optimizer = method.build_optimizer(lr=1e-2)
    for step in range(1, 8):
        _step(method, optimizer, model, step)
    with torch.no_grad():  # distinct magnitudes so "smallest abs(φ)" is unambiguous
        sw.phi.copy_(torch.linspace(0.1, 3.0, 30)[torch.randperm(30)] * (-1) ** torch.arange(30))
        optimizer.state[sw.phi]["step"].copy_(torch.arange(30, dtype=torch.int32))
    before_idx = sw.indices.tolist()
    before = {k: optimizer.state[sw.phi][k].clone() for k in ("exp_avg", "exp_avg_sq", "step")}
    before_phi = sw.phi.detach().clone()
    model().backward()
    optimizer.zero_grad()  # the 8th step without an update: only the reselection happens
    method.after_optimizer_step(8)
    p = 0.5 * (1 - 8 / 16)
    n = round(p * 30)
    kept_pos = torch.topk(before_phi.abs(), 30 - n).indices
    kept = {before_idx[i] for i in kept_pos.tolist()}
    now = sw.indices.tolist()
    assert kept <= set(now) and len(set(now)) == 30
    state = optimizer.state[sw.phi]
    for pos, flat in enumerate(now):
        if flat in kept:
            old = before_idx.index(flat)
            assert sw.phi[pos] == before_phi[old]
            for key, value in before.items():
                assert state[key][pos] == value[old], key
        else:
            assert sw.phi[pos] == 0 and state["step"][pos] == 2  # grown: age = window length
    w = model.linear.weight.detach().view(-1)
    torch.testing.assert_close(w[sw.indices.long()], sw.base + sw.phi.detach())


@pytest.mark.parametrize("group", [1, 1 << 20])  # matrices changed one by one / all at once
def test_budget_stays_exact_and_there_is_no_reselection_after_total_steps(group, monkeypatch):
    from sparsexlt.adapters.spiel import method as spiel_method

    monkeypatch.setattr(spiel_method, "RESELECT_GROUP", group)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    method = get_method("spiel-ag")(
        k=150, reselection_interval=3, selection_window=2, total_steps=9
    )
    w0 = [model[0].weight.detach().clone(), model[2].weight.detach().clone()]
    method.attach(model)
    budgets = [sw.k for sw in method.weights]
    optimizer = method.build_optimizer(lr=1e-2)
    x, y = torch.randn(32, 16), torch.randint(0, 4, (32,))
    history = []
    for step in range(1, 13):
        nn.functional.cross_entropy(model(x), y).backward()
        method.after_backward()
        optimizer.step()
        optimizer.zero_grad()
        method.after_optimizer_step(step)
        history.append(method.selections)
        for sw, k, base in zip(method.weights, budgets, w0, strict=True):
            idx = sw.indices
            assert idx.numel() == k and torch.unique(idx).numel() == k
            assert sw.phi.numel() == k and optimizer.state[sw.phi]["exp_avg"].numel() == k
            merged = base.view(-1).clone()  # W = W0 + scatter(φ), nothing else moved
            merged[idx.long()] += sw.phi.detach()
            assert torch.equal(sw.target.weight.detach().view(-1), merged)
    assert sum(budgets) == 150
    assert history == [0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]  # selections after steps 3 and 6


def test_drop_fraction_schedule():
    cfg = SpielConfig(drop_fraction=0.2, total_steps=100, reselection_interval=20)
    assert selection.drop_fraction(cfg, 20, first=True) == 1.0
    assert selection.drop_fraction(cfg, 40, first=False) == pytest.approx(0.12)
    cosine = SpielConfig(drop_fraction=0.2, total_steps=100, drop_schedule="cosine")
    assert selection.drop_fraction(cosine, 50, first=False) == pytest.approx(0.1)
    assert [selection.is_selection_step(cfg, s) for s in (20, 21, 80, 100, 120)] == [
        True,
        False,
        True,
        False,
        False,
    ]
    with pytest.raises(ConfigError, match="drop_schedule"):
        SpielConfig(drop_schedule="step")


def test_blockwise_outer_product_scoring_equals_brute_force():
    g = torch.Generator().manual_seed(3)
    row, col = torch.rand(37, generator=g), torch.rand(23, generator=g)
    active = torch.sort(torch.randperm(37 * 23, generator=g)[:150]).values
    expected = selection.brute_force_outer_product(row, col, 60, active)
    for block in (1, 23, 50, 1000, 10**6):
        got = selection.top_outer_product(row, col, 60, active, block)
        assert torch.equal(got, expected), block
    assert not set(expected.tolist()) & set(active.tolist())


def test_sm3_keeps_rows_plus_cols_state_and_grows_by_accumulators():
    model, g = _known(2)
    method = get_method("spiel-ma")(k=25, reselection_interval=3, total_steps=100)
    method.attach(model)
    sw = method.weights[0]
    optimizer = method.build_optimizer(lr=1e-2)
    for step in (1, 2):
        _step(method, optimizer, model, step)
    state = optimizer.state[sw.phi]
    assert {k: tuple(v.shape) for k, v in state.items()} == {"row": (ROWS,), "col": (COLS,)}
    row = state["row"].clone()
    r, c = sw.rows_cols()
    expected_row = torch.zeros(ROWS).scatter_reduce(
        0, r, g.view(-1)[sw.indices.long()] ** 2 * 2, "amax"
    )
    assert torch.all(row <= expected_row + 1e-6) and torch.all(row >= expected_row / 2 - 1e-6)
    active = sw.long_indices()
    _step(method, optimizer, model, 3)  # p = 1: regrow all 25 by row·col
    scores = (state["row"][:, None] * state["col"][None, :]).view(-1)
    chosen = sw.long_indices()
    others = torch.ones(ROWS * COLS, dtype=torch.bool)
    others[chosen] = False
    others[active] = False
    assert not set(chosen.tolist()) & set(active.tolist())
    assert scores[chosen].min() >= scores[others].max()  # a top-25 (ties at zero may differ)


def test_outer_product_matches_brute_force_on_a_larger_matrix():
    g = torch.Generator().manual_seed(4)
    row, col = torch.rand(300, generator=g) + 0.01, torch.rand(200, generator=g) + 0.01
    active = torch.sort(torch.randperm(300 * 200, generator=g)[:3000]).values
    for n in (10, 3000):
        expected = selection.brute_force_outer_product(row, col, n, active)
        got = selection.top_outer_product(row, col, n, active, block_elements=5000)
        assert torch.equal(got, expected), n


def test_sm3_momentum_follows_its_index_across_reselection():
    model, _ = _known(3)
    method = get_method("spiel-ma")(
        k=30, reselection_interval=4, drop_fraction=0.5, total_steps=16, sm3_momentum=0.9
    )
    method.attach(model)
    sw = method.weights[0]
    optimizer = method.build_optimizer(lr=1e-2)
    for step in range(1, 8):
        _step(method, optimizer, model, step)
    with torch.no_grad():  # momentum = its own flat index, so where it lands is checkable
        optimizer.state[sw.phi]["momentum_buffer"].copy_(sw.indices.float())
    _step(method, optimizer, model, 8)  # a step, then drop 8 and grow 8
    momentum = optimizer.state[sw.phi]["momentum_buffer"]
    assert method.selections == 2
    grown = 0
    for pos, flat in enumerate(sw.indices.tolist()):
        if float(momentum[pos]) == 0.0:
            grown += 1
        else:  # one update since: 0.9·index + 0.1·update
            assert abs(float(momentum[pos]) - 0.9 * flat) <= 0.1 + 1e-4, (pos, flat)  # |update| ≤ 1
    assert grown == round(0.5 * (1 - 8 / 16) * 30)


def test_remap_in_chunks_equals_a_gather_per_matrix(monkeypatch):
    from sparsexlt.adapters.spiel import sparse_weight

    g = torch.Generator().manual_seed(6)
    sizes, news = [5, 7, 4], [2, 0, 3]  # entries and new entries per matrix
    buf, new = torch.randn(sum(sizes), generator=g), torch.randn(sum(news), generator=g)
    locals_, expected, start, extra = [], [], 0, 0
    for size, n_new in zip(sizes, news, strict=True):
        keep = torch.randperm(size, generator=g)[: size - n_new]
        local = torch.cat([keep, torch.arange(size, size + n_new)])[
            torch.randperm(size, generator=g)
        ]
        locals_.append((start, start + size, extra, extra + n_new, local))
        expected.append(torch.cat([buf[start : start + size], new[extra : extra + n_new]])[local])
        start, extra = start + size, extra + n_new
    for chunk in (1, 8, 100):
        monkeypatch.setattr(sparse_weight._RemapBuilder, "CHUNK", chunk)
        builder = sparse_weight._RemapBuilder()
        for entry in locals_:
            builder.add(*entry)
        out = buf.clone()
        builder.build().apply(out, new)
        assert torch.equal(out, torch.cat(expected)), chunk


@pytest.mark.parametrize("order", ["random", "ascending", "ties"])
def test_top_k_through_a_sampled_threshold_is_exact(order):
    n, k = (1 << 19) + 3, 50_000
    scores = torch.rand(n, generator=torch.Generator().manual_seed(0))
    if order == "ascending":  # the strided sample then sees a skewed stream
        scores = torch.sort(scores).values
    if order == "ties":  # few distinct values: many tie at the threshold
        scores = (scores * 8).floor()
    got = selection.top_k(scores, k)
    assert got.numel() == k and torch.unique(got).numel() == k
    want = torch.topk(scores, k).values
    torch.testing.assert_close(torch.sort(scores[got]).values, torch.sort(want).values)
