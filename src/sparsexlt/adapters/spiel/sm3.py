"""SM3 (Anil et al., 2019) for sparse φ: O(rows + cols) optimizer state per matrix.

For a matrix with row accumulators μr and column accumulators μc, an entry (r, c) with
gradient g gets ν = min(μr[r], μc[c]) + g² (with `beta` > 0: β·min(…) + (1 − β)·g²) and moves
by −lr·g/(√ν + eps); then μr[r] ← max of ν over the row's active entries (and its old value
when beta = 0, so sums never shrink), likewise μc. The accumulators are what SpIEL-MA grows by
(row[r]·col[c], see `selection.top_outer_product`), read through `accumulators(φ)`.

Optional momentum keeps one float per active entry, remapped with the entry (`remap_flat`).
Dense parameters (the task head): a 2-D one gets the same row/column cover over all its
entries, anything else one accumulator per entry (Adagrad).
"""

from __future__ import annotations

import torch
from torch import nn

from sparsexlt.adapters.spiel.optimizer_parts import closure_loss, sparse_and_dense_groups
from sparsexlt.adapters.spiel.sparse_weight import Remap, SparseWeight


class SparseSM3(torch.optim.Optimizer):
    """SM3 over the φ of `weights` (group 0) and dense parameters (group 1)."""

    def __init__(
        self,
        weights: list[SparseWeight],
        dense: list[nn.Parameter],
        lr: float,
        momentum: float = 0.0,
        beta: float = 0.0,
        eps: float = 1e-30,
        weight_decay: float = 0.0,
    ):
        groups = sparse_and_dense_groups([w.phi for w in weights], dense)
        defaults = {"lr": lr, "momentum": momentum, "beta": beta, "eps": eps}
        defaults.update(weight_decay=weight_decay, sparse=False)
        super().__init__(groups, defaults)
        self._weights = {id(w.phi): w for w in weights}

    def accumulators(self, phi: nn.Parameter) -> tuple[torch.Tensor, torch.Tensor]:
        """(row, col) accumulators of φ's matrix (zeros before the first step)."""
        state = self.state[phi]
        if "row" not in state:
            w = self._weights[id(phi)]
            zeros = torch.zeros
            return zeros(w.rows, device=phi.device), zeros(w.cols, device=phi.device)
        return state["row"], state["col"]

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if group["weight_decay"]:
                    p.mul_(1.0 - group["lr"] * group["weight_decay"])
                if group["sparse"]:
                    update = self._sparse_update(p, group)
                else:
                    update = self._dense_update(p, group)
                self._apply(p, update, group)
        return loss

    def _sparse_update(self, p: nn.Parameter, group: dict) -> torch.Tensor:
        w = self._weights[id(p)]
        state = self.state[p]
        if "row" not in state:
            state["row"] = torch.zeros(w.rows, dtype=torch.float32, device=p.device)
            state["col"] = torch.zeros(w.cols, dtype=torch.float32, device=p.device)
        g = p.grad.float()
        r, c = w.rows_cols()
        cover = state["row"].index_select(0, r)  # index_select: 3× faster than [r] on a CPU
        torch.minimum(cover, state["col"].index_select(0, c), out=cover)
        nu = _nu(cover, g, group["beta"])
        keep_old = group["beta"] == 0.0
        state["row"].scatter_reduce_(0, r, nu, "amax", include_self=keep_old)
        state["col"].scatter_reduce_(0, c, nu, "amax", include_self=keep_old)
        return g / nu.sqrt_().add_(group["eps"])

    def _dense_update(self, p: nn.Parameter, group: dict) -> torch.Tensor:
        state = self.state[p]
        g = p.grad.float()
        if p.dim() == 2:
            if "row" not in state:
                state["row"] = torch.zeros(p.shape[0], dtype=torch.float32, device=p.device)
                state["col"] = torch.zeros(p.shape[1], dtype=torch.float32, device=p.device)
            cover = torch.minimum(state["row"][:, None], state["col"][None, :])
            nu = _nu(cover, g, group["beta"])
            state["row"] = nu.amax(1)
            state["col"] = nu.amax(0)
        else:
            if "acc" not in state:
                state["acc"] = torch.zeros_like(g)
            nu = _nu(state["acc"], g, group["beta"])  # the accumulator, updated in place
            state["acc"] = nu.clone()  # kept apart from nu, which becomes the update's √
        return g / nu.sqrt_().add_(group["eps"])

    def _apply(self, p: nn.Parameter, update: torch.Tensor, group: dict) -> None:
        mu = group["momentum"]
        if mu:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = torch.zeros_like(update)
            buf.mul_(mu).add_(update, alpha=1.0 - mu)
            update = buf
        p.add_(update.to(p.dtype), alpha=-group["lr"])

    def load_state_dict(self, state_dict: dict) -> None:
        """As torch's, but accumulators come back exactly as saved, in float32, whatever the
        parameter's dtype (torch casts state to a bf16 parameter's dtype: it would round them)."""
        super().load_state_dict(state_dict)
        saved_ids = [i for group in state_dict["param_groups"] for i in group["params"]]
        params = [p for group in self.param_groups for p in group["params"]]
        for saved_id, p in zip(saved_ids, params, strict=True):
            saved = state_dict["state"].get(saved_id, {})
            for key in ("row", "col", "acc"):
                if key in saved:
                    self.state[p][key] = saved[key].to(p.device, torch.float32, copy=True)

    @torch.no_grad()
    def remap_flat(self, remap: Remap, seeds: dict[str, torch.Tensor] | None = None) -> None:
        """After `FlatStore.replace_all`: momentum follows its entry, new entries start at 0."""
        del seeds  # SM3 seeds nothing: its accumulators are per row and column
        weights = list(self._weights.values())
        if not any("momentum_buffer" in self.state[w.phi] for w in weights):
            return
        flat = torch.cat(
            [self.state[w.phi].get("momentum_buffer", torch.zeros_like(w.phi)) for w in weights]
        )
        remap.apply(flat, None)
        for w in weights:
            self.state[w.phi]["momentum_buffer"] = flat[w.start : w.stop].clone()


def _nu(cover: torch.Tensor, g: torch.Tensor, beta: float) -> torch.Tensor:
    """β·cover + (1 − β)·g² (cover + g² when β = 0), written into `cover`."""
    if beta:
        return cover.mul_(beta).addcmul_(g, g, value=1.0 - beta)
    return cover.addcmul_(g, g)
