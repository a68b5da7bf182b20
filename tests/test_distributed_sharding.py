"""Pieces of data parallelism that need no second process: batch slicing, loss units, seeds,
and the collectives' single-process behaviour."""

from __future__ import annotations

import json

import pytest
import torch

from sparsexlt.data.sampler import MultiSourceSampler
from sparsexlt.training import distributed as dd
from sparsexlt.training.rank_states import _decode, _encode, rank_seed
from sparsexlt.training.shared_loss import loss_units, share_of_global_mean


def take(sampler: MultiSourceSampler, n: int) -> list:
    return [sampler.next_batch() for _ in range(n)]


@pytest.mark.parametrize("replicas", [2, 3])
def test_slices_of_every_batch_add_up_to_the_single_process_batch(replicas):
    single = MultiSourceSampler([13, 7], 5, upsample=[1, 3], seed=3)
    parts = [
        MultiSourceSampler([13, 7], 5, upsample=[1, 3], seed=3, num_replicas=replicas, rank=r)
        for r in range(replicas)
    ]
    n = 2 * single.batches_per_epoch() + 1  # crosses two epoch boundaries
    assert all(p.batches_per_epoch() == single.batches_per_epoch() for p in parts)
    expected = take(single, n)
    got = [take(p, n) for p in parts]
    for i, (source, ids) in enumerate(expected):
        assert all(g[i][0] == source for g in got)  # one source per step on every rank
        assert sum((g[i][1] for g in got), []) == ids  # rank order concatenates to the batch
        sizes = [len(g[i][1]) for g in got]
        assert max(sizes) - min(sizes) <= 1


def test_a_sliced_state_resumes_under_another_replica_count():
    two = [MultiSourceSampler([9, 4], 4, seed=1, num_replicas=2, rank=r) for r in (0, 1)]
    for sampler in two:
        take(sampler, 5)
    state = json.loads(json.dumps(two[0].state_dict()))
    alone = MultiSourceSampler([9, 4], 4, seed=1)
    alone.load_state_dict(state)
    reference = MultiSourceSampler([9, 4], 4, seed=1)
    take(reference, 5)
    expected = take(reference, 6)
    assert take(alone, 6) == expected
    three = MultiSourceSampler([9, 4], 4, seed=1, num_replicas=3, rank=2)
    three.load_state_dict(state)
    assert take(three, 6) == [(s, ids[2 * len(ids) // 3 :]) for s, ids in expected]


def test_a_global_batch_smaller_than_the_replica_count_is_refused():
    with pytest.raises(ValueError, match="batch_size=2 is the global batch"):
        MultiSourceSampler([9], 2, num_replicas=3, rank=0)


def test_loss_units_count_labelled_tokens_or_examples():
    tokens = {"input_ids": torch.ones(2, 4), "labels": torch.tensor([[1, -100, 2, -100], [3] * 4])}
    assert loss_units(tokens) == 6
    assert loss_units({"input_ids": torch.ones(2, 4), "heads": torch.tensor([[0, -100]] * 2)}) == 2
    assert loss_units({"input_ids": torch.ones(3, 4)}) == 3
    assert loss_units({"labels": torch.tensor([0, 2, 1])}) == 3
    assert loss_units(None) == 0


def test_in_one_process_the_collectives_change_nothing_and_count_nothing():
    dd.reset_bytes_reduced()
    t = torch.arange(4.0)
    dd.all_reduce_([t], dd.STATISTICS, mean=True)
    dd.broadcast_([t], dd.INDICES)
    assert torch.equal(t, torch.arange(4.0))
    assert dd.all_gather_bytes(b"abc", dd.STATE) == [b"abc"]
    weight, loss = share_of_global_mean(5, torch.tensor(2.0))
    assert weight == 1.0 and float(loss) == 2.0
    assert dd.communication_bytes() == {}


def test_rank_seeds_differ_by_rank_and_step_and_rank_states_round_trip():
    seeds = {rank_seed(0, r, s) for r in range(4) for s in range(3)}
    assert len(seeds) == 12 and all(0 <= x < 2**31 for x in seeds)
    state = {"rng": {"torch": torch.get_rng_state(), "python": (3, (1, 2), None)}, "c": {}}
    back = _decode(_encode(state))
    assert torch.equal(back["rng"]["torch"], state["rng"]["torch"])
    assert back["rng"]["python"] == (3, (1, 2), None)
