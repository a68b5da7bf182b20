"""MST head decoding: well-formed single-root trees, optimal against brute force, argmax kept."""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest
import torch
from transformers import PretrainedConfig

from sparsexlt.models.heads.dependency_parsing import BiaffineParserHead
from sparsexlt.models.heads.tree_decoding import mst_heads


def _is_tree(heads: list[int]) -> bool:
    """Exactly one word on the root, every word reaches the root, no self-loop or cycle."""
    if sum(h == 0 for h in heads) != 1:
        return False
    for start in range(1, len(heads) + 1):
        node, steps = start, 0
        while node != 0:
            node, steps = heads[node - 1], steps + 1
            if steps > len(heads):
                return False
    return True


@cache
def _all_trees(n: int) -> np.ndarray:
    """Every single-root tree over n words, as [K, n] head indices (n^(n-1) of them)."""
    choices = [[h for h in range(n + 1) if h != i + 1] for i in range(n)]
    trees = [t for t in itertools.product(*choices) if _is_tree(list(t))]
    return np.array(trees, dtype=np.int64)


def _tree_score(scores: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """scores [n, n+1], heads [K, n] → summed arc scores [K]."""
    return scores[np.arange(scores.shape[0]), heads].sum(-1)


def test_all_trees_counts_match_cayley():
    assert [len(_all_trees(n)) for n in range(1, 6)] == [n ** (n - 1) for n in range(1, 6)]


@pytest.mark.parametrize("integer_scores", [False, True], ids=["real", "ties"])
@pytest.mark.parametrize("n", range(1, 7))
def test_random_scores_give_the_best_single_root_tree(n, integer_scores):
    generator = torch.Generator().manual_seed(100 * n + integer_scores)
    trees = _all_trees(n)
    for _ in range(60):
        scores = torch.randn(1, n, n + 1, generator=generator) * 3
        if integer_scores:  # many equal-score trees: the score must still be the best
            scores = scores.round()
        heads = mst_heads(scores, torch.ones(1, n, dtype=torch.bool))[0]
        assert _is_tree(heads.tolist())
        s = scores[0].double().numpy()
        best = _tree_score(s, trees).max()
        assert _tree_score(s, heads.numpy()[None])[0] == pytest.approx(best, abs=1e-9)


def test_larger_random_sentences_are_trees():
    generator = torch.Generator().manual_seed(0)
    for n in (7, 8, 20, 60):
        scores = torch.randn(4, n, n + 1, generator=generator)
        heads = mst_heads(scores, torch.ones(4, n, dtype=torch.bool))
        assert all(_is_tree(row) for row in heads.tolist())
        argmax_score = scores.max(-1).values.sum(-1)  # an upper bound on any tree's score
        tree_score = scores.gather(2, heads[..., None])[..., 0].sum(-1)
        assert (tree_score <= argmax_score + 1e-5).all()


def test_argmax_that_is_already_a_tree_is_returned_unchanged():
    generator = torch.Generator().manual_seed(3)
    for n in range(1, 12):
        tree = torch.tensor(
            [0] + [int(torch.randint(0, k, (1,), generator=generator)) + 1 for k in range(1, n)]
        )
        order = torch.randperm(n, generator=generator)  # relabel words so the tree is not ordered
        heads = torch.zeros(n, dtype=torch.long)
        for i in range(n):
            heads[order[i]] = 0 if tree[i] == 0 else order[tree[i] - 1] + 1
        scores = torch.randn(1, n, n + 1, generator=generator)
        scores[0, torch.arange(n), heads] += 10.0
        assert mst_heads(scores, torch.ones(1, n, dtype=torch.bool))[0].tolist() == heads.tolist()


def test_ties_keep_the_argmax_tree():
    # word 2 scores heads 1 and 3 equally; both trees [0, 1, 1] and [0, 3, 1] score 12
    scores = torch.tensor([[[5.0, -9, 1, 0], [0, 3, -9, 3], [0, 4, 0, -9]]])
    assert scores.argmax(-1).tolist() == [[0, 1, 1]]
    assert mst_heads(scores, torch.ones(1, 3, dtype=torch.bool)).tolist() == [[0, 1, 1]]


def test_tied_scores_keep_argmax_whenever_it_is_a_tree():
    generator = torch.Generator().manual_seed(0)
    checked = 0
    for _ in range(2000):
        n = int(torch.randint(2, 6, (1,), generator=generator))
        scores = torch.randint(0, 3, (1, n, n + 1), generator=generator).float()
        self_loop = torch.cat([torch.zeros(n, 1, dtype=torch.bool), torch.eye(n).bool()], 1)
        argmax = scores.masked_fill(self_loop, float("-inf")).argmax(-1)[0].tolist()
        if _is_tree(argmax):
            checked += 1
            assert mst_heads(scores, torch.ones(1, n, dtype=torch.bool))[0].tolist() == argmax
    assert checked > 300  # the draw above yields ~500 argmax trees, many with equal-score rivals


def test_all_equal_scores_give_the_greedy_tree():
    # every tree is optimal; the greedy choice wins: word 1 on the root, the rest under word 1
    heads = mst_heads(torch.zeros(2, 4, 5), torch.tensor([[True] * 4, [True] * 3 + [False]]))
    assert heads.tolist() == [[0, 1, 1, 1], [0, 1, 1, 0]]


def test_two_roots_and_a_cycle_are_repaired_optimally():
    # argmax: words 1 and 3 on the root, words 2 and 4 point at each other
    scores = torch.full((1, 4, 5), -5.0)
    scores[0, 0, 0], scores[0, 2, 0] = 5.0, 4.0
    scores[0, 1, 4], scores[0, 3, 2] = 6.0, 6.0
    scores[0, 2, 1], scores[0, 1, 1], scores[0, 3, 3] = 3.0, 1.0, 0.0
    # word 3 moves under word 1 (-1); breaking the cycle at word 2 (2 -> 1, -5) costs less than
    # at word 4 (4 -> 3, -6): 5 + 1 + 3 + 6 = 15 beats [0, 4, 1, 3] = 14
    assert mst_heads(scores, torch.ones(1, 4, dtype=torch.bool)).tolist() == [[0, 1, 1, 2]]
    assert _tree_score(scores[0].numpy(), _all_trees(4)).max() == 15.0


def test_padding_is_zero_and_padded_heads_are_never_chosen():
    scores = torch.randn(2, 5, 6, generator=torch.Generator().manual_seed(1))
    scores[:, :, 4:] = 100.0  # heads 4 and 5 are padded words in the first sentence
    scores[0, 3:] = 100.0
    mask = torch.tensor([[True, True, True, False, False], [True] * 5])
    heads = mst_heads(scores, mask)
    assert heads[0, 3:].tolist() == [0, 0]
    assert (heads[0, :3] <= 3).all() and _is_tree(heads[0, :3].tolist())
    assert mst_heads(torch.zeros(1, 2, 3), torch.tensor([[False, False]])).tolist() == [[0, 0]]


def test_mixed_length_batch_matches_sentence_by_sentence():
    generator = torch.Generator().manual_seed(5)
    lengths = [0, 1, 2, 5, 9, 3]
    w = max(lengths)
    scores = torch.randn(len(lengths), w, w + 1, generator=generator)
    scores[0, :, :] = 50.0  # an empty sentence: anything in its rows is ignored
    mask = torch.arange(w)[None] < torch.tensor(lengths)[:, None]
    heads = mst_heads(scores, mask)
    for b, n in enumerate(lengths):
        alone = mst_heads(scores[b : b + 1, :n, : n + 1], mask[b : b + 1, :n])[0]
        assert heads[b, :n].tolist() == alone.tolist()
        assert heads[b, n:].tolist() == [0] * (w - n)
        if n:
            assert _is_tree(heads[b, :n].tolist())


def test_parser_head_predicts_trees():
    torch.manual_seed(0)
    head = BiaffineParserHead(PretrainedConfig(hidden_size=16), num_labels=3, arc_dim=8)
    head.reset_parameters(torch.Generator().manual_seed(0))
    torch.nn.init.normal_(head.arc_scorer.weight, std=1.0)  # biaffine starts at zero
    head.eval()
    word_mask = torch.tensor([[1, 1, 1, 1, 1, 1, 0, 0], [1] * 8, [1, 1, 0, 0, 0, 0, 0, 0]])
    batch = {"word_index": torch.arange(1, 9).expand(3, -1), "word_mask": word_mask}
    heads = head(torch.randn(3, 10, 16), batch).heads
    for row, n in zip(heads.tolist(), word_mask.sum(1).tolist(), strict=True):
        assert _is_tree(row[:n]) and row[n:] == [0] * (8 - n)
