"""SpIEL as a `FineTuningMethod`: what the one training loop drives.

attach: find the target matrices, spread K over them, draw random initial indices (φ = 0),
patch each target's forward (`sparse_linear`), freeze everything except φ and the dense head.
after_optimizer_step(step): re-merge φ into the weights; fold the open AG window's step
statistics; after every γ-th step drop and grow (`selection`), remapping optimizer state; open
the next AG window A steps before the next reselection. export: a SparseDelta named like the
model's parameters (exactly K sparse entries + the head as new parameters).

Checkpoints (`state_dict`): indices, φ, the open windows' statistics, the schedule position
and the random generator; per-entry optimizer state lives in the optimizer's own state dict.
Resume order (the loop's contract): attach → start_phase → trainable values copied →
load_state_dict (re-merges at the restored indices) → build_optimizer → optimizer state.

Several processes: the loop calls `use_collectives`; candidates, window statistics and index
sets are then kept identical on every rank with traffic ∝ K (see `replicas`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import nn

from sparsexlt.adapters.base import FineTuningMethod
from sparsexlt.adapters.spiel import grad_kernels, replicas, selection
from sparsexlt.adapters.spiel.config import SpielConfig
from sparsexlt.adapters.spiel.sm3 import SparseSM3
from sparsexlt.adapters.spiel.sparse_adamw import SparseAdamW
from sparsexlt.adapters.spiel.sparse_linear import patch, unpatch
from sparsexlt.adapters.spiel.sparse_weight import FlatStore, SparseWeight, sample_distinct
from sparsexlt.adapters.spiel.targets import allocate, dense_prefixes, find_targets, resolve_k
from sparsexlt.errors import DeterministicError

if TYPE_CHECKING:
    from sparsexlt.adapters.sparse_delta import SparseDelta

STATE_FORMAT = 1
RESELECT_GROUP = 1 << 20  # entries changed per batch of matrices at a reselection


def _remember_fingerprint(model: nn.Module) -> str | None:
    """The base fingerprint, taken before anything is merged.

    Imported here, not at module level: the training path of SpIEL needs torch only, so the
    benchmarks also run where the data/model stack (datasets, …) is not installed.
    """
    try:
        from sparsexlt.adapters.sparse_delta import remember_base_fingerprint
    except ImportError:
        return None
    return remember_base_fingerprint(model)


class SpielMethod(FineTuningMethod):
    """SpIEL; subclasses fix `growth` ("ag" | "ma"). Hyperparameters: see `SpielConfig`."""

    growth: ClassVar[str] = "ag"

    def __init__(self, **hyperparameters: Any):
        super().__init__(**hyperparameters)
        self.config = SpielConfig.from_hparams(self.growth, hyperparameters)
        self.weights: list[SparseWeight] = []
        self.dense: dict[str, nn.Parameter] = {}
        self.optimizer: SparseAdamW | SparseSM3 | None = None
        self.step = 0
        self.selections = 0
        self.generator: torch.Generator | None = None
        self.store: FlatStore | None = None
        self._micro = 0  # micro-batches (after_backward calls) in the current step
        self.micro_per_step = 0  # in the last completed step (0: none yet)
        self._flags: dict[str, bool] = {}
        self._fingerprint: str | None = None
        self.comm: replicas.Collectives | None = None
        self.repairs = 0  # index sets adopted from rank 0 because this rank's differed

    # ---- lifecycle -------------------------------------------------------------------------
    def attach(self, model: nn.Module) -> None:
        super().attach(model)
        cfg = self.config
        self._fingerprint = _remember_fingerprint(model)
        self._flags = {n: p.requires_grad for n, p in model.named_parameters()}
        targets = find_targets(model, cfg)
        counts = allocate(resolve_k(model, cfg), [t.numel for t in targets])
        device = targets[0].weight.device
        self.generator = torch.Generator(device=device).manual_seed(cfg.seed)
        for p in model.parameters():
            p.requires_grad_(False)
        chosen = [(t, k) for t, k in zip(targets, counts, strict=True) if k > 0]
        self.store = FlatStore([t for t, _ in chosen], [k for _, k in chosen])
        start = 0
        for target, k in chosen:
            idx = sample_distinct(target.numel, k, self.generator, target.weight.device)
            sw = SparseWeight(target, idx, self.store, start)
            start += k
            sw.requested_mode = cfg.grad_mode
            sw.grad_mode = grad_kernels.resolve_mode(cfg.grad_mode, idx.device, sw.density)
            for module, kind in zip(target.modules, target.kinds, strict=True):
                patch(module, sw, kind)
            self.weights.append(sw)
        prefixes = dense_prefixes(model, cfg)
        self.dense = {
            n: p for n, p in model.named_parameters() if any(n.startswith(d) for d in prefixes)
        }
        for p in self.dense.values():
            p.requires_grad_(True)
        self._maybe_open_window(0)

    def use_collectives(self, comm: replicas.Collectives) -> None:
        """Called by the training loop after `attach`; makes every rank hold rank 0's set."""
        self.comm = comm
        self._share_windows()
        self._agree_on_indices()

    def trainable_tensors(self) -> list[nn.Parameter]:
        return [sw.phi for sw in self.weights] + list(self.dense.values())

    def build_optimizer(self, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
        cfg, dense = self.config, list(self.dense.values())
        if cfg.growth == "ma":
            self.optimizer = SparseSM3(
                self.weights, dense, lr, cfg.sm3_momentum, cfg.sm3_beta, cfg.sm3_eps, weight_decay
            )
        else:
            self.optimizer = SparseAdamW(self.store, dense, lr, cfg.betas, cfg.eps, weight_decay)
        return self.optimizer

    def after_backward(self) -> None:
        self._micro += 1

    def after_optimizer_step(self, step: int) -> None:
        """`step`: optimizer steps completed in this phase (1 after the first)."""
        self.step = step
        self.micro_per_step, self._micro = self._micro, 0
        self.store.merge_all()
        replicas.reduce_window_statistics(self.weights, self.comm)
        for sw in self.weights:
            if sw.window is not None:
                sw.window.fold()
        if selection.is_selection_step(self.config, step):
            self._reselect(step)
            self._agree_on_indices()
        self._maybe_open_window(step)

    def export(self) -> SparseDelta:
        from sparsexlt.adapters.sparse_delta import DeltaInfo, SparseDelta

        if not self.weights:
            raise DeterministicError(f"{self.name}: attach(model) before export()")
        sparse = {  # copies: the export must not change as training goes on
            sw.name: (
                sw.indices.to("cpu", copy=True),
                sw.phi.detach().to("cpu", torch.float32, copy=True),
            )
            for sw in self.weights
        }
        shapes = {sw.name: (sw.rows, sw.cols) for sw in self.weights}
        dense = {n: p.detach().to("cpu", copy=True) for n, p in self.dense.items()}
        cfg = self.config
        info = DeltaInfo(
            method=f"spiel-{cfg.growth}",
            base_model=cfg.base_model,
            base_fingerprint=self._fingerprint,
            task=cfg.task,
            language=cfg.language,
            training_config=asdict(cfg),
        )
        return SparseDelta(sparse, dense, shapes, list(dense), info)

    def detach(self) -> None:
        for sw in self.weights:
            sw.revert()
            for module in sw.target.modules:
                unpatch(module)
        if self.model is not None:
            for n, p in self.model.named_parameters():
                p.requires_grad_(self._flags.get(n, p.requires_grad))
        self.weights, self.dense, self.optimizer, self.store = [], {}, None, None

    # ---- checkpoints -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "growth": self.config.growth,
            "step": self.step,
            "selections": self.selections,
            "generator": self.generator.get_state(),
            "weights": {
                sw.name: {
                    "indices": sw.indices,
                    "phi": sw.phi.detach(),
                    "window": None if sw.window is None else sw.window.state_dict(),
                }
                for sw in self.weights
            },
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        saved = state["weights"]
        missing = [sw.name for sw in self.weights if sw.name not in saved]
        if state.get("growth") != self.config.growth or missing:
            raise DeterministicError(
                f"{self.name}: checkpoint does not fit (growth {state.get('growth')!r}, "
                f"missing {missing[:3]})"
            )
        for sw in self.weights:
            entry = saved[sw.name]
            sw.load(entry["indices"], entry["phi"])
            window = entry.get("window")
            sw.window = None if window is None else selection.GrowthWindow.from_state(
                window, sw.phi.device
            )  # fmt: skip
        self.step, self.selections = int(state["step"]), int(state["selections"])
        self.generator.set_state(state["generator"].to(torch.uint8).cpu())
        self._share_windows()

    # ---- selection -------------------------------------------------------------------------
    def _maybe_open_window(self, step: int) -> None:
        """AG: open the windows when the next reselection is A steps away."""
        cfg = self.config
        if cfg.growth != "ag" or not selection.is_selection_step(cfg, step + cfg.window):
            return
        p = selection.drop_fraction(cfg, step + cfg.window, first=self.selections == 0)
        for sw in self.weights:
            n = selection.grow_count(p, sw.k, sw.numel)
            count = selection.GrowthWindow.candidate_count(
                n, sw.k, sw.numel, cfg.candidate_multiplier
            )
            buffered = self.micro_per_step != 1 or replicas.is_multi(self.comm) or sw.target.tied
            sw.window = selection.GrowthWindow(n, count, sw.phi.device, buffered, self.comm)

    def _share_windows(self) -> None:
        """Open windows use the collectives (and, distributed, a per-step buffer)."""
        for sw in self.weights:
            if sw.window is not None:
                sw.window.comm = self.comm
        if replicas.is_multi(self.comm):
            replicas.buffer_windows(self.weights)

    def _agree_on_indices(self) -> None:
        if replicas.agree_on_indices(self.store, self.weights, self.optimizer, self.comm):
            self.repairs += 1

    @torch.no_grad()
    def _reselect(self, step: int) -> None:
        """Drop and grow every matrix; matrices are changed in groups of ≈ RESELECT_GROUP
        entries (batched kernels, yet bounded temporaries)."""
        p = selection.drop_fraction(self.config, step, first=self.selections == 0)
        group, seeds, size = [], [], 0
        for sw in self.weights:
            n = selection.grow_count(p, sw.k, sw.numel)
            if n > 0:
                keep = selection.keep_positions(sw.phi, n)
                new, new_seeds = self._grow(sw, n)
                group.append((sw, keep, new))
                seeds.append(new_seeds)
                size += sw.k
            sw.window = None
            if size >= RESELECT_GROUP:
                self._change(group, seeds)
                group, seeds, size = [], [], 0
        self._change(group, seeds)
        self.selections += 1

    def _change(self, group: list, seeds: list[dict[str, torch.Tensor]]) -> None:
        if not group:
            return
        remap = self.store.replace_all(group)
        if self.optimizer is not None:
            keys = seeds[0].keys()
            self.optimizer.remap_flat(remap, {k: torch.cat([s[k] for s in seeds]) for k in keys})

    def _grow(self, sw: SparseWeight, n: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """n new flat indices (not active) and the optimizer seeds for them."""
        active = sw.long_indices()
        if self.config.growth == "ma":
            row, col = self.optimizer.accumulators(sw.phi) if self.optimizer else (None, None)
            new = torch.empty(0, dtype=torch.long, device=active.device)
            if row is not None:
                block = self.config.score_block_elements
                new = selection.top_outer_product(row, col, n, active, block)
            seeds: dict[str, torch.Tensor] = {}
        else:
            window = sw.window or selection.GrowthWindow(n, 0, active.device)
            new, seeds = window.grow(min(n, window.n_candidates), self.config.betas)
        short = n - new.numel()
        if short > 0:
            exclude = torch.cat([active, new])
            fill = selection.random_fill(short, sw.numel, exclude, self.generator, active.device)
            new = torch.cat([new, fill])
            seeds = {key: torch.cat([v, v.new_zeros(short)]) for key, v in seeds.items()}
        return new, seeds
