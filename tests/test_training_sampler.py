"""The multi-source sampler: single-source batches, the epoch formula, determinism, resume."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from sparsexlt.data.sampler import MultiSourceSampler


def take(sampler: MultiSourceSampler, n: int) -> list[tuple[int, list[int]]]:
    return [sampler.next_batch() for _ in range(n)]


def test_one_epoch_covers_every_upsampled_example_exactly():
    sampler = MultiSourceSampler([10, 3], batch_size=4, upsample=[1.0, 3.0], seed=1)
    assert sampler.examples_per_epoch() == [10, 9]
    assert sampler.batches_per_source() == [3, 3]  # ceil(10/4), ceil(9/4)
    batches = take(sampler, sampler.batches_per_epoch())
    seen = {0: Counter(), 1: Counter()}
    for source, ids in batches:
        assert len(ids) <= 4
        seen[source].update(ids)
    assert seen[0] == Counter(range(10))
    assert seen[1] == Counter({0: 3, 1: 3, 2: 3})


def test_fractional_factor_adds_a_seeded_subset():
    sampler = MultiSourceSampler([20], batch_size=5, upsample=[1.5], seed=0)
    assert sampler.examples_per_epoch() == [30]
    ids = [i for _, b in take(sampler, 6) for i in b]
    counts = Counter(ids)
    assert sorted(counts.values()).count(2) == 10 and len(counts) == 20


def test_batch_frequencies_follow_size_times_factor():
    sizes, factors = [1000, 200, 10], [1.0, 2.0, 20.0]
    sampler = MultiSourceSampler(sizes, batch_size=8, upsample=factors, seed=3)
    total = sum(n * u for n, u in zip(sizes, factors, strict=True))
    expected = [n * u / total for n, u in zip(sizes, factors, strict=True)]
    assert sampler.expected_fractions() == pytest.approx(expected, abs=0.01)
    counts = Counter(source for source, _ in take(sampler, 3 * sampler.batches_per_epoch()))
    total = sum(counts.values())
    for i, share in enumerate(expected):
        assert counts[i] / total == pytest.approx(share, abs=0.01)


def test_batches_are_interleaved_not_grouped_by_source():
    sampler = MultiSourceSampler([64, 64], batch_size=4, seed=0)
    sources = [s for s, _ in take(sampler, 32)]
    switches = sum(a != b for a, b in zip(sources[:-1], sources[1:], strict=True))
    assert switches > 8


def test_same_seed_same_stream_other_seed_other_stream():
    a = take(MultiSourceSampler([30, 7], 4, upsample=[1, 3], seed=5), 40)
    b = take(MultiSourceSampler([30, 7], 4, upsample=[1, 3], seed=5), 40)
    c = take(MultiSourceSampler([30, 7], 4, upsample=[1, 3], seed=6), 40)
    assert a == b
    assert a != c


def test_state_dict_resumes_with_the_next_batch_across_epochs():
    reference = MultiSourceSampler([13, 5], 4, upsample=[1, 2], seed=2)
    stream = take(reference, 30)  # several epochs (7 batches each)
    first = MultiSourceSampler([13, 5], 4, upsample=[1, 2], seed=2)
    take(first, 11)
    state = json.loads(json.dumps(first.state_dict()))  # must survive JSON
    resumed = MultiSourceSampler([13, 5], 4, upsample=[1, 2], seed=2)
    resumed.load_state_dict(state)
    assert take(resumed, 19) == stream[11:]


def test_state_of_another_sampler_is_refused():
    state = MultiSourceSampler([13, 5], 4, seed=2).state_dict()
    with pytest.raises(ValueError, match="sizes"):
        MultiSourceSampler([13, 6], 4, seed=2).load_state_dict(state)


def test_replicas_take_contiguous_slices_of_the_same_batches():
    """Default (and only) sharding: every replica walks the single-process plan and takes its
    slice of each batch, so `batch_size` is the global batch."""
    full = MultiSourceSampler([40, 9], 4, upsample=[1, 2], seed=4)
    plan = take(full, full.batches_per_epoch() + 3)  # into the second epoch
    parts = [
        MultiSourceSampler([40, 9], 4, upsample=[1, 2], seed=4, num_replicas=3, rank=r)
        for r in range(3)
    ]
    assert all(p.batches_per_epoch() == full.batches_per_epoch() for p in parts)
    got = [take(p, len(plan)) for p in parts]
    for i, (source, ids) in enumerate(plan):
        assert [g[i][0] for g in got] == [source] * 3
        n = len(ids)
        assert [g[i][1] for g in got] == [ids[r * n // 3 : (r + 1) * n // 3] for r in range(3)]


def test_a_state_of_the_removed_interleaving_mode_is_refused_under_several_replicas():
    state = MultiSourceSampler([9, 4], 4, seed=1).state_dict()
    old = {**state, "sharding": "interleave", "num_replicas": 2}
    with pytest.raises(ValueError, match="removed interleaving mode"):
        MultiSourceSampler([9, 4], 4, seed=1).load_state_dict(old)
    legacy = {k: v for k, v in state.items() if k != "sharding"}  # one replica: still global
    resumed = MultiSourceSampler([9, 4], 4, seed=1)
    resumed.load_state_dict(legacy)
    assert take(resumed, 3) == take(MultiSourceSampler([9, 4], 4, seed=1), 3)


@pytest.mark.parametrize(
    ("sizes", "kwargs", "message"),
    [
        ([], {}, "at least one"),
        ([5, 0], {}, "source 1 is empty"),
        ([5], {"upsample": [0.0]}, "must be > 0"),
        ([5], {"upsample": [1, 2]}, "2 upsampling factors"),
        ([5], {"upsample": [0.01]}, "leaves no example"),
    ],
)
def test_invalid_arguments_are_named(sizes, kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiSourceSampler(sizes, 4, **kwargs)
