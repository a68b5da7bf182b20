"""Gradient all-reduce: a no-op in one process, an average across two gloo processes."""

from __future__ import annotations

import json

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from sparsexlt.training import distributed


def make_tensors(rank: int) -> list[torch.nn.Parameter]:
    a = torch.nn.Parameter(torch.zeros(3))
    b = torch.nn.Parameter(torch.zeros(2, 2))
    c = torch.nn.Parameter(torch.zeros(4))
    a.grad = torch.full((3,), float(rank + 1))
    b.grad = torch.arange(4.0).reshape(2, 2) * (rank + 1)
    if rank == 1:
        c.grad = torch.full((4,), 6.0)  # rank 0 has no gradient for c: counts as zeros
    return [a, b, c]


def test_single_process_is_a_no_op():
    distributed.reset_bytes_reduced()
    tensors = make_tensors(0)
    distributed.all_reduce_gradients(tensors)
    assert torch.equal(tensors[0].grad, torch.ones(3)) and tensors[2].grad is None
    assert distributed.bytes_reduced() == 0
    assert distributed.is_main_process() and distributed.world_size() == 1
    assert distributed.gradient_bytes(tensors) == (3 + 4 + 4) * 4


def _worker(rank: int, store: str, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    try:
        tensors = make_tensors(rank)
        distributed.all_reduce_gradients(tensors, bucket_bytes=16)  # forces several buckets
        result = {
            "grads": [t.grad.reshape(-1).tolist() for t in tensors],
            "bytes": distributed.bytes_reduced(),
            "main": distributed.is_main_process(),
        }
        with open(f"{out}.{rank}.json", "w") as f:
            json.dump(result, f)
    finally:
        dist.destroy_process_group()


def test_two_gloo_processes_average_the_gradients(tmp_path):
    mp.spawn(_worker, args=(str(tmp_path / "store"), str(tmp_path / "out")), nprocs=2)
    results = [json.loads((tmp_path / f"out.{r}.json").read_text()) for r in range(2)]
    for r, result in enumerate(results):
        assert result["grads"][0] == [1.5, 1.5, 1.5]
        assert result["grads"][1] == [0.0, 1.5, 3.0, 4.5]
        assert result["grads"][2] == [3.0, 3.0, 3.0, 3.0]
        assert result["bytes"] == (3 + 4 + 4) * 4
        assert result["main"] == (r == 0)
