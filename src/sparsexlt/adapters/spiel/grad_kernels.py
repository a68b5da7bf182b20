"""dφ for y = x Wᵀ at K entries of W: dφ[k] = Σ_t dy[t, r_k] · x[t, c_k].

Two ways, same numbers (up to float summation order):
- "dense": dW = dyᵀ x for this one layer (a GEMM), gather dW[idx], free dW. Costs a full weight
  gradient's FLOPs but runs at GEMM speed; never more than one layer's dW exists.
- "sampled": only the K dot products (a sampled dense-dense product, SDDMM, through
  `torch.sparse.sampled_addmm` on a CSR pattern built from the sorted flat indices). Costs
  K·T multiply-adds but at far lower throughput than a GEMM.

`auto` picks per device from measurements (`benchmarks/memory_speed.py --kernels`):
- 2 CPU cores, T = 512 tokens, fp32: sampled beat dense below ~10–15% density (768×768: 0.9 vs
  4.5 ms at 1%, 3.3 vs 3.5 ms at 10%; 3072×768: 10.3 vs 14.4 ms at 10%, 15 vs 15 ms at 16.7%);
- H200, T = 4096, bf16: dense 0.09 ms (2048×2048) / 0.18 ms (5632×2048) at every density,
  sampled 0.69 / 1.30 ms already at 0.1% and 2.4 ms at 1% — tensor-core GEMMs always win.
"""

from __future__ import annotations

import warnings

import torch

#: Densities below which "auto" uses the sampled kernel, per device type.
SAMPLED_BELOW = {"cpu": 0.10, "cuda": 0.0}


def resolve_mode(mode: str, device: torch.device, density: float) -> str:
    """ "dense" or "sampled" for a layer with this density on this device."""
    if mode != "auto":
        return mode
    return "sampled" if density < SAMPLED_BELOW.get(device.type, 0.0) else "dense"


def split_flat(idx: torch.Tensor, cols: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(row, column) of flat indices into a matrix with `cols` columns: int64, new tensors (one
    division and an in-place subtraction on a copy: no modulo, `idx` untouched)."""
    flat = idx.to(torch.int64, copy=True)
    rows = torch.div(flat, cols, rounding_mode="floor")
    return rows, flat.sub_(rows * cols)


def weight_grad(x2: torch.Tensor, dy2: torch.Tensor) -> torch.Tensor:
    """dW = dyᵀ x for one layer, (rows × cols) in the activations' dtype."""
    return dy2.t().mm(x2)


def gather(dw: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """dW[idx] as float32 (idx: flat, int32 or int64)."""
    return dw.view(-1).index_select(0, idx).float()


def sampled_grad(
    x2: torch.Tensor, dy2: torch.Tensor, idx: torch.Tensor, rows: int, cols: int
) -> torch.Tensor:
    """dW[idx] without forming dW (idx: sorted flat int32/int64); float32."""
    if idx.numel() == 0:
        return torch.zeros(0, dtype=torch.float32, device=x2.device)
    r, c = split_flat(idx, cols)
    crow = torch.zeros(rows + 1, dtype=torch.long, device=idx.device)
    torch.cumsum(torch.bincount(r, minlength=rows), 0, out=crow[1:])
    del r
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "sparse CSR support is in beta"
        pattern = torch.sparse_csr_tensor(
            crow,
            c,
            torch.zeros(idx.numel(), dtype=torch.float32, device=idx.device),
            size=(rows, cols),
            check_invariants=False,
        )
        out = torch.sparse.sampled_addmm(pattern, dy2.t().float(), x2.float(), beta=0.0)
    return out.values()


def entry_grad(
    x2: torch.Tensor, dy2: torch.Tensor, idx: torch.Tensor, rows: int, cols: int, mode: str
) -> torch.Tensor:
    """dφ at flat indices `idx` (sorted) by `mode` ("dense" | "sampled")."""
    if mode == "sampled":
        return sampled_grad(x2, dy2, idx, rows, cols)
    dw = weight_grad(x2, dy2)
    out = gather(dw, idx)
    del dw
    return out
