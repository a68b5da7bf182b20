"""φ of the target matrices: per matrix K sorted flat indices, K trainable values, K originals.

Memory per entry (the point of SpIEL): int32 index (4 B), φ in float32 (4 B), the original
value W0[idx] in the weight's dtype (2–4 B; none for a 4-bit weight) — plus what the optimizer
keeps. φ stays merged in the weight itself, W[idx] = W0[idx] + φ, rewritten from the saved
originals after every optimizer step (so merging never drifts); `revert` writes the originals
back bit for bit. A 4-bit weight cannot be written: φ is added to the dequantised matrix on the
fly instead (see `sparse_linear`).

All matrices' entries live in shared flat buffers (`FlatStore`); each `SparseWeight` holds views
of its slice. K per matrix never changes (drop n, grow n), so the views stay valid for the whole
run, φ can be an `nn.Parameter` per matrix for the optimizer and the loop, and whole-model work
(merging, the AdamW update) runs as a few kernels over the flat buffers instead of a few per
matrix — what makes the step cheap on a GPU.

Why not `adapters.sparse_params.SparseParameterSet`: that set gathers φ.grad from a dense
parameter gradient (hooks), keeps int64 indices and lets φ change length. Here the Linear
backward computes φ.grad directly and indices are int32 in fixed slots.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from sparsexlt.adapters.spiel.grad_kernels import split_flat
from sparsexlt.adapters.spiel.targets import Target

CPU_CHUNK = 1 << 18


def chunk_size(device: torch.device, cuda: int) -> int:
    """Entries per temporary buffer in whole-model passes over the flat buffers: `cuda` on a GPU
    (few, large kernels), 256 K elsewhere (temporaries the allocator reuses instead of mapping
    fresh pages every step; on a CPU a K-sized temporary costs more in page faults than the
    extra kernel calls)."""
    return cuda if device.type == "cuda" else CPU_CHUNK


class FlatStore:
    """Flat index / φ / original-value buffers for several matrices (see module doc)."""

    def __init__(self, targets: list[Target], counts: list[int]):
        device = targets[0].weight.device
        total = sum(counts)
        self.indices = torch.zeros(total, dtype=torch.int32, device=device)
        self.phi = torch.zeros(total, dtype=torch.float32, device=device)
        merged = [t.weight.dtype for t in targets if t.kind != "linear4bit"]
        self.base_dtype = merged[0] if merged else None
        self.base = (
            None
            if self.base_dtype is None
            else torch.zeros(total, dtype=self.base_dtype, device=device)
        )
        self.weights: list[SparseWeight] = []

    def flat_weights(self) -> list[SparseWeight]:
        """Matrices whose originals live in `self.base` (merged, of the common dtype)."""
        return [sw for sw in self.weights if sw.in_flat_base]

    @torch.no_grad()
    def merge_all(self) -> None:
        """W[idx] = W0[idx] + φ for every matrix: one add per chunk of the flat buffers, then
        one scatter per matrix in the chunk.

        The slices are contiguous and in order of `start`, so a cursor walks the matrices: each
        chunk visits only those overlapping it (not chunks × matrices)."""
        flat = self.flat_weights()
        step = chunk_size(self.phi.device, cuda=1 << 25)
        first = 0  # the first matrix that may still overlap the current chunk
        for start in range(0, self.phi.numel() if flat else 0, step):
            stop = min(start + step, self.phi.numel())
            values = torch.empty(stop - start, dtype=self.base_dtype, device=self.phi.device)
            torch.add(self.base[start:stop], self.phi[start:stop], out=values)
            i = first
            while i < len(flat) and flat[i].start < stop:
                sw = flat[i]
                lo, hi = max(sw.start, start), min(sw.stop, stop)
                if lo < hi:
                    sw.put(
                        sw.indices[lo - sw.start : hi - sw.start], values[lo - start : hi - start]
                    )
                i += 1
            while first < len(flat) and flat[first].stop <= stop:
                first += 1
        for sw in self.weights:
            if not sw.in_flat_base:
                sw.merge()

    @torch.no_grad()
    def replace_all(self, changes: list[tuple[SparseWeight, torch.Tensor, torch.Tensor]]) -> Remap:
        """Drop and grow in several matrices at once; per-entry state then follows via `Remap`.

        `changes`: (matrix, positions of its entries to keep, new flat indices) — K stays. Each
        matrix is reverted, gets its new sorted indices and originals and is merged again; new
        entries get φ = 0.
        """
        device = self.phi.device
        builder, extra = _RemapBuilder(), 0
        for sw, keep, new in changes:
            keep, new = keep.to(device, torch.long), new.to(device, torch.long)
            sw.revert()
            joined = torch.cat([sw.indices.long()[keep], new])
            sorted_idx, order = torch.sort(joined)
            if sorted_idx.numel() != sw.k:
                raise ValueError(f"{sw.name}: K must stay {sw.k}, got {sorted_idx.numel()}")
            fresh = torch.arange(sw.k, sw.k + new.numel(), device=device)
            builder.add(
                sw.start, sw.stop, extra, extra + new.numel(), torch.cat([keep, fresh])[order]
            )
            sw.indices.copy_(sorted_idx)
            extra += new.numel()
        remap = builder.build()
        remap.apply(self.phi, None)
        for sw, _, _ in changes:
            sw.phi.grad = None
            sw._read_base()
            sw.merge()
        return remap


@dataclass
class Remap:
    """How flat per-entry state follows a `FlatStore.replace_all`.

    Per chunk of consecutive changed matrices, slots [a, b) and new entries [e0, e1) (counted
    over the changed matrices in order): buf[a:b] ← cat([buf[a:b], new[e0:e1]])[local].
    Chunks hold about `_RemapBuilder.CHUNK` entries, so temporaries stay small; `local` is int32.
    """

    chunks: list[tuple[int, int, int, int, torch.Tensor]]

    @torch.no_grad()
    def apply(self, buf: torch.Tensor, new: torch.Tensor | None) -> None:
        """Permute `buf` in place; new entries take `new` (zeros when None)."""
        for a, b, e0, e1, local in self.chunks:
            fresh = buf.new_zeros(e1 - e0) if new is None else new[e0:e1].to(buf.dtype)
            buf[a:b] = torch.cat([buf[a:b], fresh])[local]


class _RemapBuilder:
    CHUNK = 1 << 20

    def __init__(self) -> None:
        self.chunks: list[tuple[int, int, int, int, torch.Tensor]] = []
        self.group: list[tuple[int, int, int, int, torch.Tensor]] = []

    def add(self, start: int, stop: int, e0: int, e1: int, local: torch.Tensor) -> None:
        """`local`: positions into cat([buf[start:stop], new[e0:e1]]) of the matrix's slots."""
        if self.group and (start != self.group[-1][1] or stop - self.group[0][0] > self.CHUNK):
            self._close()
        self.group.append((start, stop, e0, e1, local))

    def build(self) -> Remap:
        if self.group:
            self._close()
        return Remap(self.chunks)

    def _close(self) -> None:
        a, e0 = self.group[0][0], self.group[0][2]
        b = self.group[-1][1]
        parts = []
        for start, stop, f0, _, local in self.group:  # into cat([buf[a:b], new[e0:e1]])
            size = stop - start
            shift_new = b - a + f0 - e0 - size
            parts.append(torch.where(local < size, local + (start - a), local + shift_new))
        self.chunks.append((a, b, e0, self.group[-1][3], torch.cat(parts).to(torch.int32)))
        self.group = []


class SparseWeight:
    """The sparse φ of one target (see module doc). `phi` is the trainable tensor."""

    def __init__(self, target: Target, indices: torch.Tensor, store: FlatStore, start: int):
        self.target = target
        self.name = target.name
        self.rows, self.cols = target.shape
        self.numel = self.rows * self.cols
        self.quantized = target.kind == "linear4bit"
        self.start, self.stop = start, start + indices.numel()
        self.indices = store.indices[self.start : self.stop]
        self.indices.copy_(indices)
        self.phi = nn.Parameter(store.phi[self.start : self.stop])
        self.in_flat_base = not self.quantized and target.weight.dtype == store.base_dtype
        self.base: torch.Tensor | None = None
        if self.in_flat_base:
            self.base = store.base[self.start : self.stop]
        elif not self.quantized:
            self.base = torch.empty(self.k, dtype=target.weight.dtype, device=indices.device)
        self._read_base()
        self.requested_mode = "auto"  # config.grad_mode
        self.grad_mode = "dense"  # resolved for this layer ("dense" | "sampled")
        self.compute_dtype = getattr(target.modules[0], "compute_dtype", None)  # 4-bit only
        self.window = None  # an open AG growth window (selection.GrowthWindow) or None
        store.weights.append(self)

    @property
    def k(self) -> int:
        return self.stop - self.start

    @property
    def density(self) -> float:
        return self.k / self.numel

    def long_indices(self) -> torch.Tensor:
        return self.indices.long()

    def rows_cols(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Row and column of every entry (int64, transient)."""
        return split_flat(self.indices, self.cols)

    @torch.no_grad()
    def merge(self) -> None:
        """W[idx] = W0[idx] + φ (computed in the wider dtype)."""
        if self.base is not None:
            self.put(self.indices, add_wide(self.base, self.phi.detach()))

    @torch.no_grad()
    def revert(self) -> None:
        """W[idx] = W0[idx]: the base weight, bit for bit."""
        if self.base is not None:
            self.put(self.indices, self.base)

    def put(self, indices: torch.Tensor, values: torch.Tensor) -> None:
        """W[indices] = values. `scatter_` with int64 indices, conversion included, is up to
        1.8× faster on a CPU than `index_put_` with the int32 ones (0.43 vs 0.77 ms for 282 K
        entries of a 2816 × 1024 matrix)."""
        self.target.weight.data.view(-1).scatter_(0, indices.long(), values)

    @torch.no_grad()
    def load(self, indices: torch.Tensor, phi: torch.Tensor) -> None:
        """Take a saved (indices, φ) as they are (checkpoint restore)."""
        if indices.numel() != self.k:
            raise ValueError(f"{self.name}: checkpoint has {indices.numel()} entries, K={self.k}")
        self.revert()
        self.indices.copy_(indices.to(self.indices.device))
        self.phi.data.copy_(phi.to(self.phi.device, self.phi.dtype))
        self._read_base()
        self.merge()

    def dequantized(self, dtype: torch.dtype) -> torch.Tensor:
        """W0 + scatter(φ) as a dense matrix (one transient copy; the 4-bit path)."""
        import bitsandbytes.functional as bnbf

        w = self.target.weight
        dense = bnbf.dequantize_4bit(w.data, w.quant_state).to(dtype).reshape(self.rows, self.cols)
        dense.view(-1).index_add_(0, self.indices.long(), self.phi.detach().to(dtype))
        return dense

    def _read_base(self) -> None:
        if self.base is not None:
            torch.index_select(self.target.weight.data.view(-1), 0, self.indices, out=self.base)


def add_wide(base: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
    """base + φ computed in the wider dtype (type promotion), returned in base's dtype."""
    return torch.add(base, phi).to(base.dtype)


def sample_distinct(
    numel: int, k: int, generator: torch.Generator, device: torch.device | str
) -> torch.Tensor:
    """`k` distinct uniform flat indices in [0, numel), sorted int64, drawn on `device`.

    Memory O(k) for k ≪ numel (rejection by unique), never O(numel) unless k > numel / 4.
    """
    if k > numel:
        raise ValueError(f"cannot draw {k} distinct indices from {numel}")
    if 4 * k > numel:
        perm = torch.randperm(numel, generator=generator, device=device)
        return torch.sort(perm[:k]).values
    found = torch.empty(0, dtype=torch.long, device=device)
    while found.numel() < k:
        draw = torch.randint(
            0, numel, (int((k - found.numel()) * 1.1) + 16,), generator=generator, device=device
        )
        found = torch.unique(torch.cat([found, draw]))
    pick = torch.randperm(found.numel(), generator=generator, device=device)[:k]
    return torch.sort(found[pick]).values
