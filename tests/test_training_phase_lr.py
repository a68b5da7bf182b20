"""A learning rate per phase: each phase's optimizer and schedule use its own peak rate, the
resume hash follows it, and the pipeline config's LT-SFT `phase1_lr`/`phase2_lr` reach the loop."""

from __future__ import annotations

import pytest

from sparsexlt.config import MethodConfig
from sparsexlt.errors import ConfigError
from sparsexlt.recipe.hparams import train_config_kwargs
from sparsexlt.training import Source, TrainConfig, train
from sparsexlt.training.arguments import describe_arguments
from training_support import (  # noqa: F401 - one_thread is a fixture
    TwoPhaseMethod,
    one_thread,
    synthetic_dataset,
    tiny_classifier,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_phase_two_trains_at_its_own_learning_rate(tmp_path):
    method = TwoPhaseMethod()
    config = TrainConfig(steps=[2, 3], batch_size=8, lr=[1e-2, 4e-4], log_every=1)
    result = train(
        tiny_classifier(seed=0),
        method,
        [Source("en", "en", synthetic_dataset(16))],
        config,
        output_dir=tmp_path,
    )
    # each optimizer was built at its phase's peak rate
    assert [o.defaults["lr"] for o in method.optimizers] == [1e-2, 4e-4]
    # linear decay from each phase's own peak: step i of T runs at lr·(T − i)/T
    lrs = [(h["phase"], h["lr"]) for h in result.history if h["kind"] == "train"]
    assert lrs == [
        ("head", pytest.approx(1e-2)),
        ("head", pytest.approx(5e-3)),
        ("all", pytest.approx(4e-4)),
        ("all", pytest.approx(4e-4 * 2 / 3)),
        ("all", pytest.approx(4e-4 / 3)),
    ]


def test_one_rate_or_one_per_phase_and_a_wrong_count_is_named():
    assert TrainConfig(steps=1, lr=3e-3).lr_per_phase(2) == [3e-3, 3e-3]
    assert TrainConfig(steps=1, lr=[1e-3, 2e-3]).lr_per_phase(2) == [1e-3, 2e-3]
    with pytest.raises(ConfigError, match="lr: 2 values for 1 phases"):
        TrainConfig(steps=1, lr=[1e-3, 2e-3]).lr_per_phase(1)
    with pytest.raises(ConfigError, match="lr and weight_decay must be >= 0"):
        TrainConfig(steps=1, lr=[1e-3, -1.0])


def test_resume_hash_covers_each_phase_rate_and_equal_rates_hash_as_one():
    model = tiny_classifier(seed=0)
    sources = [Source("en", "en", synthetic_dataset(8))]

    def args(lr):
        return describe_arguments(model, TwoPhaseMethod(), sources, TrainConfig(steps=2, lr=lr))

    assert args(1e-3) == args([1e-3, 1e-3])  # the same training: a run may resume either way
    assert args([1e-3, 1e-4])["config"]["lr"] == [1e-3, 1e-4]
    assert args([1e-3, 1e-4]) != args([1e-3, 2e-4])


def test_lt_sft_phase_rates_in_the_pipeline_config():
    def kwargs(task: dict, name: str = "lt-sft") -> dict:
        method = MethodConfig(name=name, task=task)
        return train_config_kwargs(method, "task", seed=0)

    assert kwargs({"lr": 0.02, "phase2_lr": 0.005})["lr"] == [0.02, 0.005]
    assert kwargs({"lr": 0.02, "phase1_lr": 0.01})["lr"] == [0.01, 0.02]
    assert kwargs({"lr": [0.03, 0.001]})["lr"] == [0.03, 0.001]
    assert kwargs({"lr": 0.02, "phase2_lr": 0.02})["lr"] == 0.02  # same job as plain lr
    with pytest.raises(ValueError, match="phase1_lr/phase2_lr are for lt-sft, not full"):
        kwargs({"phase2_lr": 0.001}, "full")
    with pytest.raises(ValueError, match="2 learning rates for the 1 phase"):
        kwargs({"lr": [0.01, 0.001]}, "spiel-ag")
    with pytest.raises(ValueError, match="not both"):
        kwargs({"lr": [0.01, 0.001], "phase2_lr": 0.1})
