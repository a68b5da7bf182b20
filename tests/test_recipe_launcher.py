"""Training steps under a launcher (`execution.launcher`, `sparsexlt run --launcher … --processes
N`): the task-SFT step of the (shrunk) demo trained by `sparsexlt train` on 2 gloo processes
publishes the very artifact one process makes — same key, same folder, the same SFT within
float tolerance (dropout off: training then draws no random numbers, docs/scaling-out.md)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from sft_tiny import folder_tensors
from sparsexlt.cli import app
from sparsexlt.config import PipelineConfig, load_config
from sparsexlt.errors import ConfigError
from sparsexlt.recipe.artifacts import builds
from sparsexlt.recipe.launched import train_argv
from sparsexlt.recipe.plan import build_plan
from sparsexlt.recipe.single import train_one_task_sft

DEMO = Path(__file__).resolve().parents[1] / "configs" / "demo.yaml"
SMALL = [
    "methods=[{name: lt-sft, "
    "language: {k: 0.1, phase1_steps: 1, phase2_steps: 1, batch_size: 8, lr: 0.01}, "
    "task: {k: 0.2, phase1_steps: 2, phase2_steps: 2, batch_size: 8, lr: 0.02}}]",
    "scenarios=[zs]",
    "base_model.dropout=0",
]
LAUNCH = ["execution.launcher=accelerate", "execution.processes=2"]


def sft_tensors(artifact: str) -> dict[str, torch.Tensor]:
    return folder_tensors(Path(artifact) / "component")


@pytest.mark.slow  # one launch of two processes: ~25 s in all on 2 CPU cores
@pytest.mark.usefixtures("torch_one_thread")
def test_two_launched_processes_publish_the_single_process_task_sft(tmp_path):
    single = load_config(DEMO, [*SMALL, f"output_dir={tmp_path}"])
    one = train_one_task_sft(single, "lt-sft", "zs")  # base, language SFT ind, task SFT
    expected = sft_tensors(one.path)
    expected_args = json.loads((Path(one.path) / "train_args.json").read_text())
    shutil.rmtree(one.path)  # train it again, on two processes this time

    launched = load_config(DEMO, [*SMALL, f"output_dir={tmp_path}", *LAUNCH])
    (job,) = build_plan(launched).task_sfts
    assert job.launch.processes == 2 and job.launch.config == str(DEMO)
    two = train_one_task_sft(launched, "lt-sft", "zs")

    assert (two.key, two.path) == (one.key, one.path)  # the launcher is not an input
    task_builds = [b for b in builds(tmp_path) if b["kind"] == "task-sft"]
    assert len(task_builds) == 2  # published once per training: by rank 0 alone
    assert task_builds[0]["pid"] == os.getpid() != task_builds[1]["pid"]
    assert [b["kind"] for b in builds(tmp_path)].count("language-sft") == 1  # found, not redone
    args = json.loads((Path(two.path) / "train_args.json").read_text())
    assert args["hash"] == expected_args["hash"]
    got = sft_tensors(two.path)
    assert got.keys() == expected.keys() and len(got) > 10
    for name, tensor in expected.items():
        if tensor.is_floating_point():
            torch.testing.assert_close(got[name], tensor, rtol=0, atol=1e-5, msg=name)
        else:
            assert torch.equal(got[name], tensor), name  # the same K entries were chosen
    assert not list((tmp_path / "work" / "task-sft").iterdir())  # nothing left behind


def test_the_launched_command_reloads_the_same_config(tmp_path):
    config = load_config(DEMO, [*SMALL, *LAUNCH, "methods.0.label=small"])
    (job,) = build_plan(config).task_sfts
    argv = train_argv(job.launch, tmp_path, ["--method", job.method, "--scenario", "zs"])
    assert argv[:2] == ["train", str(DEMO)]
    sets = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
    assert sets == [*SMALL, *LAUNCH, "methods.0.label=small"]
    assert argv[-6:] == [
        "--output-dir", str(tmp_path.resolve()), "--method", "small", "--scenario", "zs"
    ]  # fmt: skip
    again = build_plan(load_config(argv[1], sets))
    assert again.task_sfts[0].key == job.key
    without = build_plan(load_config(DEMO, [*SMALL, "methods.0.label=small"]))
    assert without.task_sfts[0].key == job.key and without.task_sfts[0].launch is None


def test_run_cli_takes_launcher_and_processes_and_checks_the_global_batch(tmp_path):
    base = ["run", str(DEMO), "--dry-run", "--output-dir", str(tmp_path), "--scenario", "zs"]
    shown = CliRunner().invoke(app, [*base, "--launcher", "accelerate", "--processes", "2"])
    assert shown.exit_code == 0, shown.output
    assert "on 2 process(es) started by accelerate" in shown.output
    too_many = CliRunner().invoke(app, [*base, "--launcher", "torchrun", "--processes", "32"])
    assert too_many.exit_code == 2
    assert "methods.0.task.batch_size: 16 is the global batch" in too_many.output
    bad = CliRunner().invoke(app, [*base, "--launcher", "mpirun"])
    assert bad.exit_code != 0 and "accelerate or torchrun" in bad.output


def test_a_launcher_needs_a_config_loaded_from_a_file():
    data = load_config(DEMO, [*SMALL, *LAUNCH]).model_dump()
    in_memory = PipelineConfig.model_validate(data)
    with pytest.raises(ConfigError, match="reloads the config from its file"):
        build_plan(in_memory)
