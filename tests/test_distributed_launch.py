"""The launcher command lines (a real `accelerate launch` runs in test_distributed_training)."""

from __future__ import annotations

import sys

import pytest

from sparsexlt.training.launch import launch_command


def test_commands_for_both_launchers():
    acc = launch_command(["train", "--x", "1"], 4, "accelerate", port=1234)
    assert acc[:3] == [sys.executable, "-m", "accelerate.commands.launch"]
    assert "--num_processes=4" in acc and "--multi_gpu" in acc
    assert "--main_process_port=1234" in acc
    assert acc[-3:] == ["train", "--x", "1"]
    run = launch_command(["train"], 2, "torchrun", script="probe.py")
    assert run[:4] == [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    assert run[-3:] == ["--nproc_per_node=2", "probe.py", "train"]
    assert "--multi_gpu" not in launch_command(["x"], 1, "accelerate", script="p.py")
    with pytest.raises(ValueError, match="launcher must be one of"):
        launch_command([], 2, "mpirun")
    with pytest.raises(ValueError, match="processes must be >= 1"):
        launch_command([], 0)
