"""The SpIEL layers: y = x (W0 + scatter φ)ᵀ with φ's gradient computed directly.

Each target module keeps its class, parameters and names; only its `forward` is replaced on
the instance (removed again by `unpatch`). Three cases:
- Linear, φ merged in W: the forward is a plain linear; the backward (`MergedLinear`) returns
  dx = dy W and dφ from `grad_kernels` (dense dW of this one layer, or sampled). No clone of W,
  never a full-model gradient; the base weight needs no gradient at all.
- bitsandbytes Linear4bit: W stays NF4; forward and backward dequantise this one layer, add φ,
  and free the dense copy (`QuantLinear`); φ stays float32.
- Embedding (optional): dφ from the rows of the batch's tokens only (`MergedEmbedding`).
Each module is patched with its own kind's forward: a weight tied between an Embedding and a
Linear (an LM head) gets one φ, looked up by the one and multiplied by the other, and autograd
sums the two dφ. An open window then takes its candidates from the first use to run backward
and sums the gradient at them over both (the method buffers tied windows per step, so Σg² sees
the step's total).
While an AG growth window is open (`sw.window`), the backward also gathers the gradient at the
window's candidates, choosing them from this layer's dense gradient on the window's first
micro-batch.

Autocast: the forward casts as autocast would; the backward computes in dy's dtype. Saved
activations: x (in the autocast dtype when autocast is on) — what a trainable Linear saves.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from sparsexlt.adapters.spiel import grad_kernels as gk
from sparsexlt.adapters.spiel.sparse_weight import SparseWeight


def phi_grad(sw: SparseWeight, x2: torch.Tensor, dy2: torch.Tensor) -> torch.Tensor:
    """dφ (float32) for one layer; feeds the open growth window, if any."""
    idx = sw.indices
    window = sw.window
    choose = window is not None and window.needs_candidates()
    if window is None or (window.candidates is None and not choose):
        return gk.entry_grad(x2, dy2, idx, sw.rows, sw.cols, sw.grad_mode)
    if not choose:  # the window's candidates exist: their gradient too, sampled or dense
        density = (idx.numel() + window.candidates.numel()) / sw.numel
        if gk.resolve_mode(sw.requested_mode, x2.device, density) == "sampled":
            window.accumulate(gk.sampled_grad(x2, dy2, window.candidates.long(), sw.rows, sw.cols))
            return gk.sampled_grad(x2, dy2, idx, sw.rows, sw.cols)
    dw = gk.weight_grad(x2, dy2)
    if choose:
        window.choose(dw, sw.long_indices())
    window.accumulate(gk.gather(dw, window.candidates))
    return gk.gather(dw, idx)


def _compute_dtype(x: torch.Tensor, fallback: torch.dtype) -> torch.dtype:
    device = x.device.type
    if torch.is_autocast_enabled(device):
        return torch.get_autocast_dtype(device)
    return fallback


class MergedLinear(torch.autograd.Function):
    """y = F.linear(x, W, b) with W = W0 + scatter(φ) already merged in place."""

    @staticmethod
    def forward(ctx, x, weight, bias, phi, sw):  # noqa: ARG004 - phi routes the gradient
        dtype = _compute_dtype(x, x.dtype)
        y = F.linear(x, weight, bias)
        ctx.sw = sw
        ctx.save_for_backward(x.to(dtype), weight)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, dy):
        x, weight = ctx.saved_tensors
        return _linear_backward(ctx, dy, x, weight)


class QuantLinear(torch.autograd.Function):
    """The same for a 4-bit weight: W0 + scatter(φ) is dequantised per call, then freed."""

    @staticmethod
    def forward(ctx, x, weight, bias, phi, sw):  # noqa: ARG004
        dtype = _compute_dtype(x, sw.compute_dtype or x.dtype)
        w = sw.dequantized(dtype)
        y = F.linear(x.to(dtype), w, None if bias is None else bias.to(dtype))
        ctx.sw = sw
        ctx.x_dtype = x.dtype
        ctx.save_for_backward(x.to(dtype))
        return y.to(x.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        w = ctx.sw.dequantized(x.dtype)
        grads = _linear_backward(ctx, dy.to(x.dtype), x, w)
        del w
        grad_x = grads[0] if grads[0] is None else grads[0].to(ctx.x_dtype)
        return (grad_x, *grads[1:])


def _linear_backward(ctx, dy, x, weight):
    dy2 = dy.reshape(-1, dy.shape[-1])
    grad_x = grad_b = grad_phi = None
    if ctx.needs_input_grad[0]:
        grad_x = dy2.mm(weight.to(dy.dtype)).view(*dy.shape[:-1], weight.shape[1])
    if ctx.needs_input_grad[2]:
        grad_b = dy2.sum(0)
    if ctx.needs_input_grad[3]:
        grad_phi = phi_grad(ctx.sw, x.reshape(-1, x.shape[-1]).to(dy.dtype), dy2)
    return grad_x, None, grad_b, grad_phi, None


class MergedEmbedding(torch.autograd.Function):
    """F.embedding with W = W0 + scatter(φ) merged; dφ from the batch's rows only."""

    @staticmethod
    def forward(ctx, ids, weight, phi, sw, padding_idx):  # noqa: ARG004
        ctx.sw, ctx.padding_idx = sw, padding_idx
        ctx.save_for_backward(ids)
        return F.embedding(ids, weight, padding_idx)

    @staticmethod
    @once_differentiable
    def backward(ctx, dy):
        (ids,) = ctx.saved_tensors
        sw = ctx.sw
        rows, inverse = torch.unique(ids.reshape(-1), return_inverse=True)
        sums = torch.zeros(rows.numel(), sw.cols, dtype=torch.float32, device=dy.device)
        sums.index_add_(0, inverse, dy.reshape(-1, sw.cols).float())
        if ctx.padding_idx is not None:
            sums[rows == ctx.padding_idx] = 0.0
        grad_phi = None
        if ctx.needs_input_grad[2]:
            grad_phi = _rows_gather(sums, rows, sw.long_indices(), sw.cols)
            if sw.window is not None:
                _embedding_window(sw, sums, rows)
        return None, None, grad_phi, None, None


def _rows_gather(sums: torch.Tensor, rows: torch.Tensor, idx: torch.Tensor, cols: int):
    """Gradient at flat `idx` of a matrix whose only non-zero rows are `rows` (values `sums`)."""
    r, c = gk.split_flat(idx, cols)
    pos = torch.searchsorted(rows, r).clamp_(max=rows.numel() - 1)
    present = rows[pos] == r
    return torch.where(present, sums[pos, c], torch.zeros((), device=sums.device))


def _embedding_window(sw: SparseWeight, sums: torch.Tensor, rows: torch.Tensor) -> None:
    window = sw.window
    if window.needs_candidates():
        cols = torch.arange(sw.cols, device=rows.device)
        window.choose(sums, sw.long_indices(), (rows[:, None] * sw.cols + cols).view(-1))
    if window.candidates is not None:
        window.accumulate(_rows_gather(sums, rows, window.candidates.long(), sw.cols))


class SparseForward:
    """Replacement `forward` of one target module (an instance attribute; see `unpatch`)."""

    def __init__(self, module: nn.Module, sw: SparseWeight, kind: str):
        self.module, self.sw = module, sw
        self.kind = kind  # this module's own: a tied weight's uses may differ
        self.saved = module.__dict__.get("forward")

    def __call__(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        m, sw = self.module, self.sw
        training = torch.is_grad_enabled() and sw.phi.requires_grad
        if self.kind == "embedding":
            if training:
                return MergedEmbedding.apply(x, m.weight, sw.phi, sw, m.padding_idx)
            return F.embedding(x, m.weight, m.padding_idx)
        if self.kind == "linear4bit":
            if training:
                return QuantLinear.apply(x, m.weight, m.bias, sw.phi, sw)
            dtype = _compute_dtype(x, sw.compute_dtype or x.dtype)
            bias = None if m.bias is None else m.bias.to(dtype)
            return F.linear(x.to(dtype), sw.dequantized(dtype), bias).to(x.dtype)
        if training:
            return MergedLinear.apply(x, m.weight, m.bias, sw.phi, sw)
        return F.linear(x, m.weight, m.bias)


def patch(module: nn.Module, sw: SparseWeight, kind: str) -> None:
    """Replace `module`'s forward by the `kind` ("linear" | "linear4bit" | "embedding") one."""
    _check_supported(module, sw, kind)
    module.forward = SparseForward(module, sw, kind)


def unpatch(module: nn.Module) -> None:
    current = module.__dict__.get("forward")
    if isinstance(current, SparseForward):
        if current.saved is None:
            del module.forward
        else:
            module.forward = current.saved


def _check_supported(module: nn.Module, sw: SparseWeight, kind: str) -> None:
    if kind == "embedding" and (
        module.max_norm is not None or module.scale_grad_by_freq or module.sparse
    ):
        raise ValueError(f"{sw.name}: embeddings with max_norm/scale_grad_by_freq/sparse")
