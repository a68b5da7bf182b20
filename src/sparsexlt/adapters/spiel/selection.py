"""Drop and grow: which entries leave and which join φ at a reselection.

Schedule: reselection after every γ-th optimizer step while step < T. The first drops every
entry (p = 1: the random initial set is only a warm start); later ones drop p0·(1 − t/T) (or
the cosine variant). Each matrix drops n = round(p·K) entries with the smallest abs(φ) and
grows n new ones, so K per matrix never changes.

AG growth (accumulated gradients) uses a `GrowthWindow` per matrix, open for the last A steps
before a reselection: on the window's first micro-batch the layer's dense gradient gives the
candidates (largest abs, not active); over the window the gradient at the candidates is summed
per optimizer step (Σg, Σg²); at the reselection the n candidates with the largest abs(Σg)
grow, with AdamW moments seeded as if they had trained through the window.

MA growth scores every inactive entry by row[r]·col[c] of the SM3 accumulators, block by block
(`top_outer_product`): never a dense float32 matrix of the weight's size.

Distributed training: every decision is a function of tensors — Σg, Σg², the SM3
accumulators, abs(φ) — kept identical on every rank; candidates, the one local choice (first
micro-batch's dense gradient), are rank 0's, broadcast. See `replicas`.
"""

from __future__ import annotations

import math

import torch

from sparsexlt.adapters.spiel import replicas
from sparsexlt.adapters.spiel.config import SpielConfig

NOT_CANDIDATE = -1.0  # score given to active entries (abs gradients are ≥ 0)
# Σg and Σg² over a window of a few steps: bfloat16 keeps the float32 range at half the memory
# (the first window holds K candidates); ~3 significant digits are plenty to rank candidates
# and seed moments.
STATS_DTYPE = torch.bfloat16


# ---- schedule -------------------------------------------------------------------------------
def is_selection_step(config: SpielConfig, step: int) -> bool:
    """Whether a reselection follows optimizer step `step` (1-based)."""
    limit = config.total_steps
    return step > 0 and step % config.reselection_interval == 0 and (limit is None or step < limit)


def drop_fraction(config: SpielConfig, step: int, first: bool) -> float:
    """p at the reselection after `step`: 1 at the first, then the decaying schedule."""
    if first:
        return 1.0
    if config.total_steps is None:
        return config.drop_fraction
    t = min(step / config.total_steps, 1.0)
    if config.drop_schedule == "cosine":
        return config.drop_fraction * (1.0 + math.cos(math.pi * t)) / 2.0
    return config.drop_fraction * (1.0 - t)


def grow_count(p: float, k: int, numel: int) -> int:
    """Entries a matrix with K = k drops and grows at drop fraction p."""
    return min(round(p * k), numel - k)


# ---- top-k ----------------------------------------------------------------------------------
THRESHOLD_MIN_K = 4096  # below this (or below 512 K scores), one topk is already as cheap
SAMPLE_SIZE = 1 << 14


def top_k(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Positions of the `k` largest of 1-D `scores` (unordered; ties broken arbitrarily).

    GPU: `torch.topk` — measured faster than a threshold from a sample or `kthvalue` at SpIEL's
    sizes (0.3 ms for k = 360 000 of 11.5 M on an H200), with no host synchronisation.
    CPU: for large k of ≥ 512 K scores, a threshold from a strided sample first keeps a few more
    than k candidates and `torch.topk` runs on those only — for k = 12.5 % on 2 cores, 10 vs
    54 ms (3072 × 768) and 2.4 vs 8.2 ms (768 × 768). Exact: if fewer than k pass, plain `topk`.
    """
    if k >= scores.numel():
        return torch.arange(scores.numel(), device=scores.device)
    if scores.device.type == "cpu" and k >= THRESHOLD_MIN_K and scores.numel() >= 1 << 19:
        found = _top_k_above_sampled_threshold(scores, k)
        if found is not None:
            return found
    return torch.topk(scores, k, sorted=False).indices


def _top_k_above_sampled_threshold(scores: torch.Tensor, k: int) -> torch.Tensor | None:
    """The exact top k among the entries at or above a quantile of a strided sample (no RNG:
    training randomness is untouched), or None when fewer than k pass the threshold."""
    n = scores.numel()
    sample = scores[:: max(1, n // SAMPLE_SIZE)].float()
    margin = 4.0 / math.sqrt(sample.numel())  # a few standard errors of the sample quantile
    keep = min(1.0, k / n * 1.02 + margin)
    if keep >= 0.5:
        return None
    threshold = torch.kthvalue(sample, max(1, int(sample.numel() * (1.0 - keep)))).values
    survivors = (scores >= threshold).nonzero().squeeze(1)
    if survivors.numel() < k:
        return None
    return survivors[torch.topk(scores[survivors], k, sorted=False).indices]


# ---- drop -----------------------------------------------------------------------------------
def keep_positions(phi: torch.Tensor, n_drop: int) -> torch.Tensor:
    """Positions (ascending, int64) of the K − n_drop entries with the largest abs(φ).

    No host synchronisation (topk and sort only), so a reselection queues its kernels.
    """
    keep = phi.numel() - n_drop
    if keep <= 0:
        return torch.empty(0, dtype=torch.long, device=phi.device)
    if n_drop == 0:
        return torch.arange(keep, device=phi.device)
    return torch.sort(top_k(phi.detach().abs(), keep)).values


# ---- AG -------------------------------------------------------------------------------------
class GrowthWindow:
    """Candidate statistics of one matrix while an AG selection window is open."""

    def __init__(
        self,
        n_grow: int,
        n_candidates: int,
        device: torch.device,
        buffered: bool = True,
        comm: replicas.Collectives | None = None,
    ):
        self.n_grow = n_grow
        self.n_candidates = n_candidates
        self.device = device
        # One micro-batch per step (known from earlier steps): the micro-batch gradient is the
        # step's, so Σg and Σg² take it directly and no step buffer is kept (4 B/candidate).
        self.buffered = buffered
        self.comm = comm  # several processes: candidates are rank 0's (see `replicas`)
        self.candidates: torch.Tensor | None = None  # sorted flat int32
        self.step_grad: torch.Tensor | None = None
        self.sum_g: torch.Tensor | None = None
        self.sum_g2: torch.Tensor | None = None
        self.steps = 0

    @staticmethod
    def candidate_count(n_grow: int, k: int, numel: int, multiplier: float) -> int:
        """⌈multiplier·n⌉, at most max(n, K) (memory) and the number of inactive entries."""
        return min(max(n_grow, min(math.ceil(multiplier * n_grow), k)), numel - k)

    @torch.no_grad()
    def choose(
        self, grad: torch.Tensor, active: torch.Tensor, ids: torch.Tensor | None = None
    ) -> None:
        """Candidates: the largest abs(grad) among inactive entries (`grad` is not modified).

        `grad` covers the whole matrix, or only the flat indices `ids` (an embedding's rows).
        """
        scores = grad.abs().reshape(-1)
        n = self.n_candidates
        if ids is None:
            scores[active] = NOT_CANDIDATE
        else:
            scores[torch.isin(ids, active)] = NOT_CANDIDATE
            n = min(n, int((scores >= 0).sum()))
        top = top_k(scores, n)
        del scores
        candidates = torch.sort(top if ids is None else ids[top]).values.to(torch.int32)
        self.candidates = replicas.share_candidates(candidates, self.comm, ids is not None)
        self.n_candidates = n = self.candidates.numel()
        self.sum_g = torch.zeros(n, dtype=STATS_DTYPE, device=self.device)
        self.sum_g2 = torch.zeros_like(self.sum_g)
        if self.buffered:
            self.step_grad = torch.zeros(n, dtype=torch.float32, device=self.device)

    def needs_candidates(self) -> bool:
        return self.candidates is None and self.n_candidates > 0

    @torch.no_grad()
    def accumulate(self, grad_at_candidates: torch.Tensor) -> None:
        """Add one micro-batch's gradient at the candidates."""
        if self.buffered:
            self.step_grad.add_(grad_at_candidates)
        else:
            self._add(grad_at_candidates)

    @torch.no_grad()
    def fold(self) -> None:
        """End of an optimizer step: Σg += g, Σg² += g² (already done when unbuffered)."""
        if self.candidates is None:
            return
        if self.buffered:
            self._add(self.step_grad)
            self.step_grad.zero_()
        self.steps += 1

    def _add(self, g: torch.Tensor) -> None:
        # Cast first: an in-place op on bfloat16 with a float32 operand takes a slow path.
        g = g.to(STATS_DTYPE)
        self.sum_g.add_(g)
        self.sum_g2.addcmul_(g, g)

    @torch.no_grad()
    def grow(
        self, n: int, betas: tuple[float, float]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The `n` (≤ candidates) best candidates and their seeded AdamW state.

        Seeds: exp_avg = mean(g)·(1 − β1^a), exp_avg_sq = mean(g²)·(1 − β2^a), step = a for
        a window of a steps — Adam's moments after a steps of a constant gradient, so the bias
        correction by the entry's own age gives back the window means.
        """
        if self.candidates is None or n == 0:
            empty = torch.empty(0, dtype=torch.long, device=self.device)
            return empty, _adam_seeds(empty.float(), empty.float(), 0, betas)
        if n >= self.candidates.numel():  # every candidate grows (the first selection)
            best = torch.arange(self.candidates.numel(), device=self.device)
        else:
            best = top_k(self.sum_g.abs(), n)
        a = max(self.steps, 1)
        mean_g, mean_g2 = self.sum_g[best].float() / a, self.sum_g2[best].float() / a
        return self.candidates[best].long(), _adam_seeds(mean_g, mean_g2, self.steps, betas)

    def state_dict(self) -> dict:
        state = {"n_grow": self.n_grow, "n_candidates": self.n_candidates, "steps": self.steps}
        state["buffered"] = self.buffered
        if self.candidates is not None:
            state.update(candidates=self.candidates.to(torch.int32), sum_g=self.sum_g,
                         sum_g2=self.sum_g2)  # fmt: skip
        return state

    @classmethod
    def from_state(cls, state: dict, device: torch.device) -> GrowthWindow:
        window = cls(state["n_grow"], state["n_candidates"], device, state["buffered"])
        window.steps = state["steps"]
        if "candidates" in state:
            window.candidates = state["candidates"].to(device, torch.int32)
            window.sum_g = state["sum_g"].to(device, STATS_DTYPE).clone()
            window.sum_g2 = state["sum_g2"].to(device, STATS_DTYPE).clone()
            if window.buffered:
                window.step_grad = torch.zeros(window.n_candidates, device=device)
        return window


def _adam_seeds(
    mean_g: torch.Tensor, mean_g2: torch.Tensor, steps: int, betas: tuple[float, float]
) -> dict[str, torch.Tensor]:
    b1, b2 = betas
    return {
        "exp_avg": mean_g * (1.0 - b1**steps),
        "exp_avg_sq": mean_g2 * (1.0 - b2**steps),
        "step": torch.full_like(mean_g, steps, dtype=torch.int32),
    }


# ---- MA -------------------------------------------------------------------------------------
@torch.no_grad()
def top_outer_product(
    row: torch.Tensor, col: torch.Tensor, n: int, active: torch.Tensor, block_elements: int
) -> torch.Tensor:
    """The `n` inactive flat indices with the largest row[r]·col[c], sorted int64.

    Scores rows in blocks of ⌊block_elements / cols⌋ (≥ 1) rows — never the whole matrix at
    once — keeping a running top n; one host synchronisation in all (the block boundaries).
    """
    device = row.device
    rows, cols = row.numel(), col.numel()
    best_v = torch.empty(0, dtype=torch.float32, device=device)
    best_i = torch.empty(0, dtype=torch.long, device=device)
    if n <= 0:
        return best_i
    active = active.to(device, torch.long)
    step = max(1, block_elements // cols)
    starts = list(range(0, rows, step))
    edges = torch.tensor([r0 * cols for r0 in starts] + [rows * cols], device=device)
    bounds = torch.searchsorted(active, edges).tolist()
    for b, r0 in enumerate(starts):
        r1 = min(rows, r0 + step)
        scores = (row[r0:r1, None].float() * col[None, :].float()).view(-1)
        scores[active[bounds[b] : bounds[b + 1]] - r0 * cols] = -math.inf
        i = top_k(scores, min(n, scores.numel()))
        best_v, best_i = torch.cat([best_v, scores[i]]), torch.cat([best_i, i + r0 * cols])
        if best_v.numel() > n:
            keep = top_k(best_v, n)
            best_v, best_i = best_v[keep], best_i[keep]
    return torch.sort(best_i[best_v > -math.inf]).values


def brute_force_outer_product(
    row: torch.Tensor, col: torch.Tensor, n: int, active: torch.Tensor
) -> torch.Tensor:
    """Reference for tests: the same choice through one dense score matrix."""
    scores = (row[:, None].float() * col[None, :].float()).view(-1).clone()
    scores[active.long()] = -math.inf
    return torch.sort(torch.topk(scores, n).indices).values


def random_fill(
    n: int, numel: int, exclude: torch.Tensor, generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """`n` random flat indices not in `exclude` (sorted int64); for windows without statistics."""
    if n <= 0:
        return torch.empty(0, dtype=torch.long, device=device)
    exclude = torch.unique(exclude.to(device, torch.long))
    found = torch.empty(0, dtype=torch.long, device=device)
    while found.numel() < n:
        draw = torch.randint(0, numel, (2 * n + 16,), generator=generator, device=device)
        pos = torch.searchsorted(exclude, draw).clamp_(max=max(exclude.numel() - 1, 0))
        fresh = draw if exclude.numel() == 0 else draw[exclude[pos] != draw]
        found = torch.unique(torch.cat([found, fresh]))
    pick = torch.randperm(found.numel(), generator=generator, device=device)[:n]
    return torch.sort(found[pick]).values
