"""Checkpoint files: nested state round-trips through JSON + safetensors; pruning; partial writes."""

from __future__ import annotations

import random

import numpy as np
import torch

from sparsexlt.training import rng
from sparsexlt.training.checkpoint import (
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from sparsexlt.training.schedule import build_schedule
from sparsexlt.training.tree_codec import pack, unpack


def stepped_adamw():
    params = [torch.nn.Parameter(torch.randn(3, 2)), torch.nn.Parameter(torch.randn(4))]
    optimizer = torch.optim.AdamW(params, lr=0.1, betas=(0.8, 0.95))
    scheduler = build_schedule(optimizer, total=10, warmup_ratio=0.3)
    for _ in range(2):
        sum(p.square().sum() for p in params).backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    return params, optimizer, scheduler


def test_optimizer_and_scheduler_state_round_trip_exactly(tmp_path):
    params, optimizer, scheduler = stepped_adamw()
    state = {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "odd": {3: (1, "x"), "k": [np.int64(4), None]},
    }
    save_checkpoint(tmp_path, 2, state, keep=2)
    loaded = load_checkpoint(latest_checkpoint(tmp_path))
    assert loaded["odd"] == {3: (1, "x"), "k": [4, None]}
    assert loaded["optimizer"]["param_groups"] == state["optimizer"]["param_groups"]
    for i, entry in state["optimizer"]["state"].items():
        for key, value in entry.items():
            assert torch.equal(loaded["optimizer"]["state"][i][key], value)

    # a fresh optimizer loaded from the file takes the very same next step
    fresh = [torch.nn.Parameter(p.detach().clone()) for p in params]
    other = torch.optim.AdamW(fresh, lr=0.1, betas=(0.8, 0.95))
    other_schedule = build_schedule(other, total=10, warmup_ratio=0.3)
    other.load_state_dict(loaded["optimizer"])
    other_schedule.load_state_dict(loaded["scheduler"])
    for group_params, opt, sched in (
        (params, optimizer, scheduler),
        (fresh, other, other_schedule),
    ):
        sum(p.square().sum() for p in group_params).backward()
        opt.step()
        sched.step()
    for a, b in zip(params, fresh, strict=True):
        assert torch.equal(a, b)
    assert other.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]


def test_rng_states_round_trip():
    rng.seed_everything(3)
    tree, tensors = pack(rng.capture(), "rng")
    expected = (torch.rand(3), random.random(), np.random.rand(2))
    rng.seed_everything(99)
    rng.restore(unpack(tree, tensors))
    got = (torch.rand(3), random.random(), np.random.rand(2))
    assert torch.equal(got[0], expected[0]) and got[1] == expected[1]
    assert np.array_equal(got[2], expected[2])


def test_only_the_newest_complete_checkpoints_are_kept(tmp_path):
    for step in (1, 2, 3):
        save_checkpoint(tmp_path, step, {"step": step}, keep=2)
    root = tmp_path / "checkpoints"
    (root / "step-00000009").mkdir()  # a directory without the completion marker
    (root / ".step-00000004.tmp-abc").mkdir()  # what a kill during a write leaves
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-00000002", "step-00000003"]
    save_checkpoint(tmp_path, 4, {"step": 4}, keep=2)
    assert not (root / ".step-00000004.tmp-abc").exists()
    assert load_checkpoint(latest_checkpoint(tmp_path)) == {"step": 4}
