"""Resume after kill -9: same final weights as an uninterrupted run; mismatched arguments refused.

Run as a script (`python tests/test_training_resume.py OUT KILL_AT`), this file is the child
process the test kills: it trains and SIGKILLs itself right after optimizer step KILL_AT.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sparsexlt.adapters.registry import get_method
from sparsexlt.errors import ConfigError
from sparsexlt.training import Callback, Source, TrainConfig, train
from sparsexlt.training.checkpoint import list_checkpoints
from training_support import (  # noqa: F401 - one_thread is a fixture
    ShiftComponent,
    flat_state,
    one_thread,
    shift_for,
    synthetic_dataset,
    tiny_classifier,
)

STEPS = 14
CHECKPOINT_EVERY = 4


class KillAt(Callback):
    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, step, record):
        if step == self.step:
            os.kill(os.getpid(), signal.SIGKILL)


class CountSteps(Callback):
    def __init__(self):
        self.steps: list[int] = []

    def on_step_end(self, step, record):
        self.steps.append(step)


def run(output_dir: Path, callbacks=(), lr: float = 5e-3, checkpoint_every=CHECKPOINT_EVERY):
    """Two sources (one with a language component), dropout on, accumulation, warm-up."""
    model = tiny_classifier(seed=0, dropout=0.1)
    names = ["roberta.encoder.layer.1.output.dense.weight", "classifier.out_proj.weight"]
    sources = [
        Source("en", "en", synthetic_dataset(24, seed=1)),
        Source(
            "de",
            "de",
            synthetic_dataset(6, seed=2, offset=3),
            ShiftComponent("de", shift_for(model, 7, names)),
            upsample=3.0,
        ),
    ]
    config = TrainConfig(
        steps=STEPS,
        batch_size=4,
        grad_accum=2,
        lr=lr,
        warmup_ratio=0.2,
        checkpoint_every=checkpoint_every,
        log_every=1,
        seed=11,
    )
    result = train(
        model, get_method("full")(), sources, config, output_dir=output_dir, callbacks=callbacks
    )
    return model, result


@pytest.mark.usefixtures("one_thread")
def test_kill_minus_nine_then_restart_gives_the_uninterrupted_weights(tmp_path):
    killed_dir = tmp_path / "killed"
    env = {**os.environ, "SPARSEXLT_QUIET": "1"}
    child = subprocess.run(
        [sys.executable, __file__, str(killed_dir), "10"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    assert [p.name for p in list_checkpoints(killed_dir)] == ["step-00000004", "step-00000008"]
    assert not (killed_dir / "component").exists()

    counter = CountSteps()
    resumed_model, resumed = run(killed_dir, callbacks=[counter])
    assert counter.steps == list(range(9, STEPS + 1))  # restarted after the checkpoint of step 8
    reference_model, reference = run(tmp_path / "reference")

    for name, value in flat_state(reference_model).items():
        torch.testing.assert_close(flat_state(resumed_model)[name], value, rtol=1e-6, atol=1e-7)
    assert resumed.steps == reference.steps == STEPS
    assert [h["loss"] for h in resumed.history] == pytest.approx(
        [h["loss"] for h in reference.history], rel=1e-6
    )
    assert [p.name for p in list_checkpoints(killed_dir)] == ["step-00000012", "step-00000014"]


@pytest.mark.usefixtures("one_thread")
def test_other_arguments_are_refused_and_a_finished_run_only_exports(tmp_path):
    _, first = run(tmp_path, lr=5e-3)
    with pytest.raises(
        ConfigError, match=r"config\.lr: checkpoint has 0\.005, this run has 0\.001"
    ):
        run(tmp_path, lr=1e-3)
    counter = CountSteps()  # operational fields may change; the finished run trains no more
    model, again = run(tmp_path, callbacks=[counter], checkpoint_every=5)
    assert counter.steps == [] and again.steps == STEPS
    for name, dense in first.component.dense.items():
        assert torch.equal(again.component.dense[name], dense)


if __name__ == "__main__":
    torch.set_num_threads(1)
    run(Path(sys.argv[1]), callbacks=[KillAt(int(sys.argv[2]))])
