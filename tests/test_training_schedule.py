"""Warm-up + linear decay values, and how TrainConfig turns epochs into steps."""

from __future__ import annotations

import pytest
import torch

from sparsexlt.errors import ConfigError
from sparsexlt.training.config import TrainConfig
from sparsexlt.training.schedule import build_schedule, lr_factor, warmup_steps


def test_warmup_then_linear_decay_values():
    total, warmup = 10, warmup_steps(10, 0.2)
    assert warmup == 2
    factors = [lr_factor(i, total, warmup) for i in range(total)]
    assert factors == pytest.approx(
        [0.5, 1.0, 1.0, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8]
    )


def test_no_warmup_starts_at_peak_and_never_reaches_zero():
    factors = [lr_factor(i, 4, 0) for i in range(4)]
    assert factors == pytest.approx([1.0, 0.75, 0.5, 0.25])


def test_scheduler_drives_the_optimizer_learning_rate():
    p = torch.nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.AdamW([p], lr=0.1)
    scheduler = build_schedule(optimizer, total=5, warmup_ratio=0.4)
    seen = []
    for _ in range(5):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert seen == pytest.approx([0.05, 0.1, 0.1, 0.2 / 3, 0.1 / 3])


def test_steps_per_phase_from_steps_or_epochs():
    assert TrainConfig(steps=7).steps_per_phase(2, batches_per_epoch=100) == [7, 7]
    assert TrainConfig(steps=[3, 4]).steps_per_phase(2, batches_per_epoch=100) == [3, 4]
    config = TrainConfig(epochs=[1, 0.5], grad_accum=4)
    assert config.steps_per_phase(2, batches_per_epoch=10) == [3, 2]  # ceil(10/4), ceil(5/4)


def test_invalid_config_is_refused_naming_the_fields():
    with pytest.raises(ConfigError, match="exactly one of steps / epochs"):
        TrainConfig()
    with pytest.raises(ConfigError, match="grad_accum must be >= 1"):
        TrainConfig(steps=3, grad_accum=0)
    with pytest.raises(ConfigError, match="3 values for 2 phases"):
        TrainConfig(steps=[1, 2, 3]).steps_per_phase(2, 10)


def test_precision_auto_is_fp32_on_cpu():
    config = TrainConfig(steps=1)
    assert config.autocast_dtype(torch.device("cpu")) is None
    assert (
        TrainConfig(steps=1, precision="bf16").autocast_dtype(torch.device("cpu")) is torch.bfloat16
    )
