"""LoRA rank planning: a budget K becomes ranks whose LoRA count is within the documented bound."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sft_tiny import tiny_backbone
from sparsexlt.adapters.lora.config import LoraSettings
from sparsexlt.adapters.lora.ranks import (
    LoraTarget,
    find_targets,
    lora_count,
    ranks_for_budget,
    resolve_budget,
)
from sparsexlt.errors import ConfigError, DeterministicError

shapes = st.lists(st.tuples(st.integers(1, 300), st.integers(1, 300)), min_size=1, max_size=12).map(
    lambda pairs: [LoraTarget(f"m{i}", a, b) for i, (a, b) in enumerate(pairs)]
)


@settings(max_examples=300, deadline=None)
@given(targets=shapes, k=st.integers(1, 20_000))
def test_lora_count_is_within_half_of_one_matrix_of_k(targets, k):
    ranks = ranks_for_budget(k, targets)
    count = lora_count(targets, ranks)
    largest = max(t.unit for t in targets)
    smallest = min(t.unit for t in targets)
    assert any(ranks) and all(r >= 0 for r in ranks)
    if k >= smallest / 2:
        assert abs(count - k) <= largest / 2
    else:  # below half the cheapest matrix: one rank-1 matrix anyway
        assert count == smallest
    assert max(ranks) - min(ranks) <= 1  # ranks differ by at most one


def test_an_exact_multiple_gives_one_uniform_rank():
    targets = [LoraTarget("a", 32, 32), LoraTarget("b", 32, 64), LoraTarget("c", 64, 32)]
    assert ranks_for_budget(4 * (64 + 96 + 96), targets) == [4, 4, 4]


def test_targets_default_to_every_linear_and_can_be_narrowed():
    backbone = tiny_backbone()
    every = find_targets(backbone, None)
    assert len(every) == 12  # 2 layers × (q, k, v, attention out, intermediate, output)
    qv = find_targets(backbone, ["query", "value"])
    assert [t.name.rsplit(".", 1)[-1] for t in qv] == ["query", "value"] * 2
    suffix = find_targets(backbone, ["attention.output.dense"])
    assert [t.name for t in suffix] == [f"encoder.layer.{i}.attention.output.dense" for i in (0, 1)]
    with pytest.raises(DeterministicError, match="no Linear module"):
        find_targets(backbone, ["q_proj"])


def test_a_proportional_k_counts_the_encoder_parameters():
    backbone = tiny_backbone()
    total = sum(p.numel() for p in backbone.parameters())
    assert resolve_budget(0.01, backbone) == round(0.01 * total)
    assert resolve_budget(500, backbone) == 500


def test_settings_validate_and_accept_rank_as_an_alias():
    assert LoraSettings.from_hparams({"rank": 4}).r == 4
    assert LoraSettings.from_hparams({"r": 4}).alpha_for(4) == 8.0
    assert LoraSettings.from_hparams({"r": 4, "alpha": 16}).alpha_for(4) == 16.0
    with pytest.raises(ConfigError, match="give r or rank"):
        LoraSettings.from_hparams({"rank": 4, "r": 4})
    with pytest.raises(ConfigError, match="bogus: unknown option"):
        LoraSettings.from_hparams({"bogus": 1})
    with pytest.raises(ConfigError) as err:
        LoraSettings(r=0, dropout=1.5, k=2.0)
    assert len(err.value.problems) == 3
