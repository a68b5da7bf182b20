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


def test_a_timed_out_launch_stops_its_workers_too(tmp_path):
    """The launcher's workers run in its process group: a timeout must not leave them running."""
    import os
    import subprocess
    import time

    from sparsexlt.training.launch import launch_training

    script = tmp_path / "sleeper.py"
    script.write_text(
        "import os, sys, time\n"
        "open(os.path.join(sys.argv[1], f'pid-{os.getpid()}'), 'w').close()\n"
        "time.sleep(120)\n"
    )
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        launch_training([str(tmp_path)], 2, "torchrun", script=script, timeout=15, capture=True)
    assert time.monotonic() - started < 60
    pids = [int(p.name.split("-")[1]) for p in tmp_path.glob("pid-*")]
    assert len(pids) == 2  # both workers had started

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    assert not any(alive(pid) for pid in pids)
