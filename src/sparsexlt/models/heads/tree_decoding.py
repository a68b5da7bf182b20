"""Maximum spanning arborescence decoding with exactly one word on the root (Chu-Liu/Edmonds).

Contract (same as `biaffine.single_root_heads`): `arc_scores[b, i, j]` scores head `j` for word
`i` (head 0 is the root, head `k > 0` is word `k - 1`); `word_mask[b, i]` marks real words. The
result `heads[b, i]` is the chosen head index, 0 for the root child and for padding. Self-loops,
the root as a dependent and padded heads are never chosen, whatever their scores.

Why raw scores: the parser's loss is a softmax over each word's heads, so the tree's
log-probability is `sum_i s[i, h_i] - sum_i log Z_i`; the second sum does not depend on the tree,
so maximising raw arc scores and maximising log-softmax scores pick the same tree.

Why a penalty gives the single-root constraint: every arborescence has at least one root child.
Subtracting `M > n * (max - min)` from every root arc makes any tree with two or more root
children worse than every single-root tree, while single-root trees keep their order (each pays
`M` once). Plain Edmonds on the penalised graph is therefore the best single-root tree. Edmonds
itself is the contract-a-cycle recursion, O(n^2) numpy work per contraction, at most n
contractions.

Why most sentences skip Edmonds: any single-root tree with root child r scores at most
`s[r, 0] + sum_{i != r} max_{j > 0} s[i, j]`, and the greedy choice (`single_root_heads`: the
word that loses least by taking the root, every other word its best non-root head) reaches the
largest of these bounds. So whenever the greedy choice is a tree, it is an optimal one, and it
is returned as is (ties therefore break the way argmax breaks them); only the other sentences
are decoded.
"""

from __future__ import annotations

import numpy as np
import torch

from sparsexlt.models.heads.biaffine import single_root_heads


def mst_heads(arc_scores: torch.Tensor, word_mask: torch.Tensor) -> torch.Tensor:
    """Best single-root dependency tree per sentence: `[B, W, W+1]`, `[B, W]` → heads `[B, W]`.

    Where the greedy single-root choice is already a tree it is returned (it is optimal: see
    the module docstring), so ties break the way argmax breaks them.
    """
    word_mask = word_mask.bool()
    if word_mask.shape[-1] == 0:
        return torch.zeros(word_mask.shape, dtype=torch.long, device=word_mask.device)
    dtype = torch.promote_types(arc_scores.dtype, torch.float32)
    scores = arc_scores.detach().to(dtype).masked_fill(~valid_arcs(word_mask), float("-inf"))
    heads = single_root_heads(scores, word_mask)
    done = _is_single_root_tree(heads, word_mask) | ~word_mask.any(-1)
    if bool(done.all()):
        return heads
    scores_np = arc_scores.detach().to("cpu", torch.float64).numpy()
    mask_np = word_mask.cpu().numpy()
    for b in torch.nonzero(~done).flatten().tolist():
        heads[b] = torch.from_numpy(_sentence_heads(scores_np[b], mask_np[b])).to(heads.device)
    return heads


def valid_arcs(word_mask: torch.Tensor) -> torch.Tensor:
    """[B, W, W+1] bool: the head is the root or a real word other than the dependent itself
    (word i is candidate i + 1). The parser masks its arc scores with it too."""
    b, w = word_mask.shape
    candidates = torch.cat([word_mask.new_ones(b, 1), word_mask], 1)
    eye = torch.eye(w, dtype=torch.bool, device=word_mask.device)
    self_loop = torch.cat([eye.new_zeros(w, 1), eye], 1)  # word i is candidate i + 1
    return candidates[:, None, :] & ~self_loop[None]


def _is_single_root_tree(heads: torch.Tensor, word_mask: torch.Tensor) -> torch.Tensor:
    """[B] bool: exactly one root child and every word reaches the root (no cycle)."""
    one_root = ((heads == 0) & word_mask).sum(-1) == 1
    # parent of node k (0 = root, k = word k-1); repeated squaring reaches the 2^t-th ancestor,
    # and the root is its own parent, so after 2^t >= W+1 steps only cycle members are non-zero
    parent = torch.cat([heads.new_zeros(heads.shape[0], 1), heads], 1)
    for _ in range(max(1, int(parent.shape[1]).bit_length())):
        parent = parent.gather(1, parent)
    return one_root & (parent == 0).all(-1)


def _sentence_heads(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One sentence: scores [W, W+1] (float64), mask [W] → heads [W] (0 on padding)."""
    words = np.flatnonzero(mask)
    heads = np.zeros(mask.shape[0], dtype=np.int64)
    if words.size == 0:
        return heads
    nodes = np.concatenate([[0], words + 1])  # sub-graph node k ↔ head index nodes[k]
    graph = np.full((words.size + 1, words.size + 1), -np.inf)  # graph[dependent, head]
    graph[1:] = scores[words][:, nodes]
    graph[np.arange(1, words.size + 1), np.arange(1, words.size + 1)] = -np.inf
    finite = graph[np.isfinite(graph)]
    penalty = words.size * (finite.max() - finite.min()) + 1.0
    graph[1:, 0] -= penalty
    heads[words] = nodes[_edmonds(graph)[1:]]
    return heads


def _edmonds(graph: np.ndarray) -> np.ndarray:
    """Maximum arborescence rooted at node 0 of a dense graph[dependent, head] (row 0 unused).

    Take every node's best head; while those choices hold a cycle, contract the cycle into one
    node whose incoming arcs score `s[v, h] - s[v, head(v)]` (entering at v breaks the cycle
    there) and whose outgoing arcs are the best from any member; solve the smaller graph, then
    expand the contractions in reverse order.
    """
    stack = []
    while True:
        best = graph.argmax(1)
        best[0] = 0
        cycle = _find_cycle(best)
        if cycle is None:
            break
        rest = np.setdiff1d(np.arange(graph.shape[0]), cycle)  # keeps the root at index 0
        entering = graph[np.ix_(cycle, rest)] - graph[cycle, best[cycle]][:, None]
        leaving = graph[np.ix_(rest, cycle)]
        contracted = np.full((rest.size + 1, rest.size + 1), -np.inf)
        contracted[: rest.size, : rest.size] = graph[np.ix_(rest, rest)]
        contracted[rest.size, : rest.size] = entering.max(0)
        contracted[: rest.size, rest.size] = leaving.max(1)
        contracted[0] = -np.inf
        stack.append((rest, cycle, best, entering.argmax(0), leaving.argmax(1)))
        graph = contracted
    heads = best
    while stack:
        rest, cycle, best, enter_at, leave_from = stack.pop()
        c = rest.size  # the contracted node's index in the smaller graph
        expanded = best.copy()  # cycle members keep their cycle heads but one
        outer = heads[: rest.size]
        expanded[rest] = np.where(outer == c, cycle[leave_from], rest[np.minimum(outer, c - 1)])
        expanded[cycle[enter_at[heads[c]]]] = rest[heads[c]]
        expanded[0] = 0
        heads = expanded
    return heads


def _find_cycle(best: np.ndarray) -> np.ndarray | None:
    """Nodes of one cycle in the head graph `best` (node 0 is the root), or None."""
    state = np.zeros(best.size, dtype=np.int8)  # 0 unseen, 1 on the current path, 2 finished
    state[0] = 2
    for start in range(1, best.size):
        path = []
        node = start
        while state[node] == 0:
            state[node] = 1
            path.append(node)
            node = best[node]
        if state[node] == 1:  # walked back onto this path
            return np.array(path[path.index(node) :])
        state[path] = 2
    return None
