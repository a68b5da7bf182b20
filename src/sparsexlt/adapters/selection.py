"""Global top-K selection over many tensors with bounded extra memory.

LT-SFT keeps the K entries of θ that moved most, abs(θ1 − θ0), over hundreds of millions of
entries. Sorting them (or even one extra float copy of θ) costs several bytes per parameter, so
selection streams over the parameters in chunks and finds the K-th largest score exactly by a
radix select on the float bits (non-negative float32 values order like their int32 bit
patterns):
  pass 1  histogram of the high 16 bits → the bin holding the K-th largest score;
  pass 2  histogram of the low 16 bits inside that bin → the exact threshold t;
  pass 3  collect every entry > t, then entries == t in (source order, flat index) order
          until exactly K are taken — ties are broken deterministically.
Extra memory: two small histograms, a few chunk-sized temporaries, and the K output indices
(8 bytes each). Scores are recomputed per pass (three cheap subtractions per entry).

Entries with a negative score are never selected (callers may use -1 to exclude entries);
NaN scores are an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch

DEFAULT_CHUNK = 1 << 20
_HI_BINS = 1 << 15  # non-negative float32 bit patterns have their top bit clear
_INF_BITS = 0x7F800000  # +inf; larger patterns (ignoring the sign) are NaN
_NAN_HI = _INF_BITS >> 16
_LO_BINS = 1 << 16
_INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class ScoreSource:
    """`numel` entries whose scores `scores(start, stop)` returns as a 1-D float tensor."""

    numel: int
    scores: Callable[[int, int], torch.Tensor]


def top_k_indices(
    k: int, sources: Mapping[str, ScoreSource], chunk_size: int = DEFAULT_CHUNK
) -> dict[str, torch.Tensor]:
    """Exactly `k` entries with the largest scores: {name: sorted int64 flat indices (CPU)}.

    Ties at the threshold go to earlier sources, then lower flat indices. Every name of
    `sources` is in the result (possibly with no indices).
    """
    if k < 0:
        raise ValueError(f"k must be ≥ 0, got {k}")
    out = {name: torch.empty(0, dtype=torch.long) for name in sources}
    if k == 0:
        return out
    hist_hi = torch.zeros(_HI_BINS, dtype=torch.long)
    for name, _, keys in _keyed_chunks(sources, chunk_size):
        # bin 0 collects excluded (negative) keys; bin h + 1 the keys whose top bits are h
        counts = torch.bincount((keys >> 16).clamp_(min=-1).add_(1), minlength=_HI_BINS + 1)
        counts = counts.cpu()
        if (counts[0] or counts[_NAN_HI + 1 :].any()) and _has_nan(keys):
            raise ValueError(f"NaN score in {name}")
        hist_hi += counts[1:]
    available = int(hist_hi.sum())
    if k > available:
        raise ValueError(f"cannot select {k} entries: only {available} are eligible")
    bin_hi, above_hi = _bin_of_kth(hist_hi, k)
    hist_lo = torch.zeros(_LO_BINS, dtype=torch.long)
    for _, _, keys in _keyed_chunks(sources, chunk_size):
        inside = keys[(keys >> 16) == bin_hi] & 0xFFFF
        if inside.numel():
            hist_lo += torch.bincount(inside, minlength=_LO_BINS).cpu()
    bin_lo, above_lo = _bin_of_kth(hist_lo, k - above_hi)
    threshold = (bin_hi << 16) | bin_lo
    ties_left = k - above_hi - above_lo
    # Chunks of one parameter are kept as int32 (where it fits) and joined as soon as the next
    # parameter starts, so at most one parameter's selection exists twice.
    parts: list[torch.Tensor] = []
    for name, start, keys in _keyed_chunks(sources, chunk_size):
        if start == 0:
            parts = []
        above = torch.nonzero(keys > threshold).view(-1)
        if ties_left > 0:
            ties = torch.nonzero(keys == threshold).view(-1)[:ties_left]
            ties_left -= ties.numel()
            above = torch.sort(torch.cat([above, ties])).values
        if above.numel():
            small = sources[name].numel <= _INT32_MAX
            parts.append((above + start).to("cpu", torch.int32 if small else torch.long))
        if start + keys.numel() == sources[name].numel and parts:
            out[name] = _join(parts)
            parts = []
    return out


def top_k_changed(
    k: int,
    current: Mapping[str, torch.Tensor],
    original: Mapping[str, torch.Tensor],
    chunk_size: int = DEFAULT_CHUNK,
) -> dict[str, torch.Tensor]:
    """The `k` entries with the largest abs(current − original) over all names of `current`.

    `original` may live on another device (θ0 kept on the CPU): one chunk at a time is moved.
    """
    sources = {}
    for name, cur in current.items():
        orig = original[name]
        if orig.shape != cur.shape:
            raise ValueError(f"parameter {name}: shapes {list(cur.shape)} and {list(orig.shape)}")
        sources[name] = ScoreSource(cur.numel(), _abs_diff(cur, orig))
    return top_k_indices(k, sources, chunk_size)


def _abs_diff(cur: torch.Tensor, orig: torch.Tensor) -> Callable[[int, int], torch.Tensor]:
    cur_flat, orig_flat = cur.detach().reshape(-1), orig.detach().reshape(-1)

    def scores(start: int, stop: int) -> torch.Tensor:
        a = cur_flat[start:stop].float()
        b = orig_flat[start:stop].to(a.device).float()
        return torch.sub(a, b).abs_()

    return scores


def _keyed_chunks(sources: Mapping[str, ScoreSource], chunk_size: int):
    """Yield (name, start, int32 keys) per chunk; keys order like the scores, -1 = excluded."""
    for name, source in sources.items():
        for start in range(0, source.numel, chunk_size):
            stop = min(start + chunk_size, source.numel)
            yield name, start, _keys(name, source.scores(start, stop))


def _keys(name: str, scores: torch.Tensor) -> torch.Tensor:
    """int32 bit patterns: ≥ 0 for scores ≥ 0 (ordered like the floats), < 0 for negative
    scores (excluded); NaN patterns lie above +inf's (caught in pass 1)."""
    # + 0.0 turns −0.0 (sign bit set, a negative pattern) into +0.0 and copies the chunk
    return (scores.float().reshape(-1) + 0.0).view(torch.int32)


def _join(parts: list[torch.Tensor]) -> torch.Tensor:
    """Concatenate into one int64 tensor without an intermediate int32 copy."""
    joined = torch.empty(sum(p.numel() for p in parts), dtype=torch.long)
    offset = 0
    for p in parts:
        joined[offset : offset + p.numel()] = p
        offset += p.numel()
    return joined


def _has_nan(keys: torch.Tensor) -> bool:
    return bool(((keys & 0x7FFFFFFF) > _INF_BITS).any())


def _bin_of_kth(hist: torch.Tensor, k: int) -> tuple[int, int]:
    """Bin holding the k-th largest entry, and how many entries lie in higher bins."""
    from_top = torch.cumsum(hist.flip(0), 0)
    j = int(torch.searchsorted(from_top, torch.tensor(k)))
    bin_ = hist.numel() - 1 - j
    above = int(from_top[j]) - int(hist[bin_])
    return bin_, above
