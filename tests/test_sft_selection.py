"""Global top-K selection: exactly K, equal to a brute-force stable sort, ties deterministic."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sft_tiny import one_torch_thread  # noqa: F401  (autouse fixture)
from sparsexlt.adapters.selection import ScoreSource, top_k_changed, top_k_indices


def brute_force(k: int, scores: dict[str, torch.Tensor]) -> dict[str, list[int]]:
    """Stable descending sort of all scores: ties go to earlier names, then lower indices."""
    names = list(scores)
    flat = torch.cat([scores[n].reshape(-1).float() for n in names])
    owner = torch.cat([torch.full((scores[n].numel(),), i) for i, n in enumerate(names)])
    local = torch.cat([torch.arange(scores[n].numel()) for n in names])
    eligible = torch.nonzero(flat >= 0).view(-1)
    order = torch.sort(flat[eligible], descending=True, stable=True).indices[:k]
    chosen = eligible[order]
    out = {n: [] for n in names}
    for o, i in zip(owner[chosen].tolist(), local[chosen].tolist(), strict=True):
        out[names[o]].append(i)
    return {n: sorted(v) for n, v in out.items()}


def as_sources(scores: dict[str, torch.Tensor]) -> dict[str, ScoreSource]:
    return {
        n: ScoreSource(s.numel(), lambda a, b, s=s: s.reshape(-1)[a:b]) for n, s in scores.items()
    }


def check(k: int, scores: dict[str, torch.Tensor], chunk: int) -> None:
    got = top_k_indices(k, as_sources(scores), chunk_size=chunk)
    assert sum(v.numel() for v in got.values()) == k
    assert {n: v.tolist() for n, v in got.items()} == brute_force(k, scores)


def test_random_scores_match_brute_force_across_chunks():
    g = torch.Generator().manual_seed(0)
    scores = {
        "a": torch.rand(37, 11, generator=g),
        "b": torch.rand(5, generator=g),
        "c": torch.rand(300, generator=g),
    }
    for k in (1, 17, 300, 37 * 11 + 5 + 300):
        for chunk in (7, 64, 1 << 20):
            check(k, scores, chunk)


def test_ties_go_to_earlier_parameters_then_lower_indices():
    scores = {"a": torch.tensor([1.0, 2.0, 2.0, 0.0]), "b": torch.tensor([2.0, 3.0, 2.0])}
    got = top_k_indices(3, as_sources(scores), chunk_size=2)
    assert got["b"].tolist() == [1] and got["a"].tolist() == [1, 2]
    got = top_k_indices(5, as_sources(scores), chunk_size=2)
    assert got["a"].tolist() == [1, 2] and got["b"].tolist() == [0, 1, 2]


def test_zeros_negative_zero_and_excluded_entries():
    scores = {"a": torch.tensor([-0.0, 0.0, -1.0, 5.0]), "b": torch.tensor([-1.0, 0.0])}
    got = top_k_indices(3, as_sources(scores))
    assert got["a"].tolist() == [0, 1, 3] and got["b"].tolist() == []
    with pytest.raises(ValueError, match="only 4 are eligible"):
        top_k_indices(5, as_sources(scores))
    quiet_nan = torch.tensor([0x7F800001], dtype=torch.int32).view(torch.float32)
    for nan in (torch.tensor([float("nan")]), quiet_nan, -quiet_nan):
        with pytest.raises(ValueError, match="NaN score in a"):
            top_k_indices(1, as_sources({"b": torch.ones(3), "a": torch.cat([torch.ones(2), nan])}))
    assert top_k_indices(0, as_sources(scores))["a"].numel() == 0


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 1e-30, 3e38, float("inf")]),
            min_size=1,
            max_size=30,
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(min_value=1, max_value=200),
    st.integers(min_value=3, max_value=9),
)
def test_many_ties_match_brute_force(columns, k_raw, chunk):
    scores = {f"p{i}": torch.tensor(c) for i, c in enumerate(columns)}
    total = sum(len(c) for c in columns)
    check(1 + k_raw % total, scores, chunk)


def test_top_k_changed_uses_abs_difference():
    g = torch.Generator().manual_seed(1)
    theta0 = {"w": torch.randn(20, 30, generator=g), "b": torch.randn(30, generator=g)}
    theta1 = {n: t + torch.randn(t.shape, generator=g) for n, t in theta0.items()}
    got = top_k_changed(50, theta1, theta0, chunk_size=64)
    expected = brute_force(50, {n: (theta1[n] - theta0[n]).abs() for n in theta0})
    assert {n: v.tolist() for n, v in got.items()} == expected
