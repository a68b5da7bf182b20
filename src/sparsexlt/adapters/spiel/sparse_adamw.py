"""AdamW in which every sparse entry has its own step count (its "age").

An entry grown at a reselection starts with moments seeded from the growth window and the
window's length as its age, so its bias correction is its own, not the run's. Per-entry state
— exp_avg, exp_avg_sq (float32) and step (int16, saturating at 32767 where β^age is 0 for any
usual β) — lives in flat buffers parallel to the `FlatStore`'s φ, so one update is a handful of
kernels over all matrices (in chunks of `chunk_elements`, bounding the temporaries: about 16 B
per chunk element). The per-entry bias corrections come from two tables indexed by age instead
of `pow` on every entry — on a CPU, the two `pow` calls were 80 % of the update. Each φ's
`optimizer.state[φ]` holds views of its slice, so the state dict is the usual per-parameter one.
Entries follow their index when indices change: `remap_flat`. Dense parameters (the task head) get
ordinary AdamW with one step count.
"""

from __future__ import annotations

import torch
from torch import nn

from sparsexlt.adapters.spiel.optimizer_parts import closure_loss, sparse_and_dense_groups
from sparsexlt.adapters.spiel.sparse_weight import FlatStore, Remap, chunk_size

PER_ENTRY = ("exp_avg", "exp_avg_sq", "step")
MAX_AGE = torch.iinfo(torch.int16).max
_TABLES: dict[tuple[float, float, torch.device], tuple[torch.Tensor, torch.Tensor]] = {}


def bias_correction_tables(
    b1: float, b2: float, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """1 / (1 − β1^a) and 1 / √(1 − β2^a) for every age a in [0, MAX_AGE] (float32, computed
    in float64; entry 0 is unused: an entry's age is ≥ 1 when it is updated)."""
    key = (b1, b2, torch.device(device))
    if key not in _TABLES:
        a = torch.arange(MAX_AGE + 1, dtype=torch.float64).clamp_(min=1)
        inv_bc1 = 1.0 / (1.0 - torch.pow(b1, a))
        inv_sqrt_bc2 = (1.0 - torch.pow(b2, a)).rsqrt()
        _TABLES[key] = (inv_bc1.float().to(device), inv_sqrt_bc2.float().to(device))
    return _TABLES[key]


class SparseAdamW(torch.optim.Optimizer):
    """AdamW; group 0 holds the sparse φ tensors (per-entry age), group 1 dense parameters."""

    def __init__(
        self,
        store: FlatStore,
        dense: list[nn.Parameter],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        chunk_elements: int | None = None,
    ):
        weights = store.weights
        groups = sparse_and_dense_groups([w.phi for w in weights], dense)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(groups, {**defaults, "sparse": False})
        self.store, self.weights = store, weights
        total = store.phi.numel()
        device = store.phi.device
        self.chunk_elements = chunk_elements or chunk_size(device, cuda=1 << 23)
        self.flat = {
            "exp_avg": torch.zeros(total, dtype=torch.float32, device=device),
            "exp_avg_sq": torch.zeros(total, dtype=torch.float32, device=device),
            "step": torch.zeros(total, dtype=torch.int16, device=device),
        }
        self._point_state()

    def _point_state(self) -> None:
        for w in self.weights:
            self.state[w.phi] = {key: buf[w.start : w.stop] for key, buf in self.flat.items()}

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        for group in self.param_groups:
            if group["sparse"]:
                self._sparse_step(group)
            else:
                for p in group["params"]:
                    if p.grad is not None:
                        self._dense_update(p, group)
        return loss

    def _sparse_step(self, group: dict) -> None:
        if all(w.phi.grad is None for w in self.weights):
            return
        grads = [
            w.phi.grad if w.phi.grad is not None else torch.zeros_like(w.phi) for w in self.weights
        ]
        if self.store.phi.device.type == "cuda":  # one gradient buffer: few, large kernels
            parts = [(0, torch.cat(grads))]
        else:  # each matrix's own gradient: no K-sized temporary
            parts = [(w.start, g) for w, g in zip(self.weights, grads, strict=True)]
        for offset, grad in parts:
            for start in range(0, grad.numel(), self.chunk_elements):
                stop = min(start + self.chunk_elements, grad.numel())
                flat = slice(offset + start, offset + stop)
                state = (self.flat[k][flat] for k in PER_ENTRY)
                self._update(self.store.phi[flat], grad[start:stop], *state, group)

    @staticmethod
    def _update(p, g, m, v, age, group) -> None:
        b1, b2 = group["betas"]
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        age.clamp_(max=MAX_AGE - 1).add_(1)
        m.lerp_(g, 1.0 - b1)
        v.mul_(b2).addcmul_(g, g, value=1.0 - b2)
        if wd:
            p.mul_(1.0 - lr * wd)
        inv_bc1, inv_sqrt_bc2 = bias_correction_tables(b1, b2, p.device)
        ages = age.int()
        denom = v.sqrt().mul_(inv_sqrt_bc2.index_select(0, ages)).add_(eps)
        p.addcdiv_(inv_bc1.index_select(0, ages).mul_(m), denom, value=-lr)

    def _dense_update(self, p: nn.Parameter, group: dict) -> None:
        state = self.state[p]
        if not state:
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
            state["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
        b1, b2 = group["betas"]
        state["step"].add_(1)
        t = float(state["step"])
        state["exp_avg"].lerp_(p.grad, 1.0 - b1)
        state["exp_avg_sq"].mul_(b2).addcmul_(p.grad, p.grad, value=1.0 - b2)
        if group["weight_decay"]:
            p.mul_(1.0 - group["lr"] * group["weight_decay"])
        denom = (state["exp_avg_sq"] / (1.0 - b2**t)).sqrt_().add_(group["eps"])
        p.addcdiv_(state["exp_avg"], denom, value=-group["lr"] / (1.0 - b1**t))

    @torch.no_grad()
    def remap_flat(self, remap: Remap, seeds: dict[str, torch.Tensor] | None = None) -> None:
        """After `FlatStore.replace_all`: per-entry state follows its entry; new entries take
        `seeds` (exp_avg / exp_avg_sq / step, in the remap's order; zeros where absent)."""
        for key, buf in self.flat.items():
            new = (seeds or {}).get(key)
            if new is not None and key == "step":
                new = new.clamp(max=MAX_AGE)
            remap.apply(buf, new)

    def load_state_dict(self, state_dict: dict) -> None:
        """As torch's, then the sparse state is copied back into the flat buffers."""
        super().load_state_dict(state_dict)
        for w in self.weights:
            loaded = self.state[w.phi]
            for key, buf in self.flat.items():
                if key in loaded:
                    buf[w.start : w.stop].copy_(loaded[key])
        self._point_state()
