"""LT-SFT: Lottery-Ticket Sparse Fine-Tuning (Ansell et al., 2022).

Phase "full": fine-tune every eligible backbone parameter (and the head's trainable
parameters — a frozen masked-LM decoder stays frozen) densely, θ0 → θ1.
Phase "sparse": keep the K entries with the largest abs(θ1 − θ0), rewind the backbone to θ0 and
the head to its initial values, and train only those K entries (φ, merged in place by a
`SparseParameterSet`) plus the head. The export is a SparseDelta with exactly K backbone
entries (+ the head as new, absolute parameters for task SFTs; no head for language SFTs).

θ0 of the eligible parameters is kept as a copy on `theta0_device` ("cpu" by default: one
model-sized copy in host memory, never on the accelerator). Selection streams over it
(`selection.top_k_changed`) with ≤ 8 bytes/parameter of extra memory.

Checkpoints: `state_dict()` holds the phase and, in phase 1, the indices and φ. Resume by
`attach()` to a freshly loaded base model (this captures θ0), then `load_state_dict()` (enters
the saved phase; a following `start_phase` of that same phase is a no-op), then restore the
values of `trainable_tensors()`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn

from sparsexlt.adapters.adapter_settings import check_k
from sparsexlt.adapters.base import FineTuningMethod
from sparsexlt.adapters.registry import register_method
from sparsexlt.adapters.selection import top_k_changed
from sparsexlt.adapters.sparse_delta import (
    DeltaInfo,
    SparseDelta,
    load_sparse_delta,
    remember_base_fingerprint,
)
from sparsexlt.adapters.sparse_params import SparseParameterSet
from sparsexlt.errors import ConfigError, DeterministicError
from sparsexlt.models.fingerprint import backbone_of

BACKBONE = "backbone."
HEAD = "head."


@dataclass
class LtSftConfig:
    """LT-SFT hyperparameters.

    k: number of backbone entries to train (int), or a proportion (float in (0, 1]) of the
        eligible backbone entries.
    embeddings / layer_norm / bias: whether embedding, normalisation and bias parameters of
        the backbone are eligible (defaults True / False / True).
    l1_lambda: weight of the L1 penalty toward θ0 — on (θ − θ0) in phase "full", on φ in phase
        "sparse"; one float for both phases or a list of two.
    language_sft: a language SFT (MaskedLMModel): the head's trainable part (the MLM transform)
        trains densely but is not exported; its frozen decoder stays frozen.
    head_reset: "rewind" (head back to its values at attach) or "reinit" (`model.reset_head(seed)`
        when the model has it, else the head modules' `reset_parameters()` under `seed`).
    theta0_device: where the copy of θ0 lives ("cpu" keeps accelerator memory free; with an L1
        penalty in phase "full" on an accelerator, use the model's device, or θ0 is copied over
        on every step).
    task / language / base_model: recorded in the exported manifest.
    """

    k: int | float = 0.05
    embeddings: bool = True
    layer_norm: bool = False
    bias: bool = True
    l1_lambda: float | list[float] = 0.0
    language_sft: bool = False
    head_reset: str = "rewind"
    seed: int = 0
    theta0_device: str = "cpu"
    task: str | None = None
    language: str | None = None
    base_model: str | None = None

    def __post_init__(self) -> None:
        problems = check_k(self.k)
        lambdas = self.l1_lambdas()
        if len(lambdas) != 2 or any(x < 0 for x in lambdas):
            problems.append(f"l1_lambda: one or two non-negative floats, got {self.l1_lambda!r}")
        if self.head_reset not in ("rewind", "reinit"):
            problems.append(f"head_reset: 'rewind' or 'reinit', got {self.head_reset!r}")
        if problems:
            raise ConfigError("lt-sft hyperparameters", problems)

    def l1_lambdas(self) -> list[float]:
        if isinstance(self.l1_lambda, (int, float)):
            return [float(self.l1_lambda)] * 2
        return [float(x) for x in self.l1_lambda]


@register_method("lt-sft", loader=load_sparse_delta)
class LotteryTicketSFT(FineTuningMethod):
    """Full fine-tuning → top-K selection → rewind → sparse fine-tuning of those K entries."""

    def __init__(self, **hyperparameters: Any):
        super().__init__(**hyperparameters)
        known = {f.name for f in fields(LtSftConfig)}
        unknown = sorted(set(hyperparameters) - known)
        if unknown:
            raise ConfigError("lt-sft hyperparameters", [f"{u}: unknown option" for u in unknown])
        self.config = LtSftConfig(**hyperparameters)
        self.phase = -1
        self.k_count = 0
        self.sparse: SparseParameterSet | None = None
        self.eligible: dict[str, nn.Parameter] = {}
        self.head: dict[str, nn.Parameter] = {}
        self.theta0: dict[str, torch.Tensor] = {}
        self._head_init: dict[str, torch.Tensor] = {}
        self._flags: dict[str, bool] = {}
        self.base_fingerprint: str | None = None

    # ---- lifecycle ---------------------------------------------------------------------
    def attach(self, model: nn.Module) -> None:
        if not hasattr(model, "backbone"):
            raise DeterministicError("lt-sft trains a TaskModel/MaskedLMModel (needs .backbone)")
        super().attach(model)
        self.base_fingerprint = remember_base_fingerprint(model)
        self.eligible = eligible_parameters(model, self.config)
        self.head = {  # a frozen part (the masked-LM decoder) stays frozen
            n: p for n, p in model.named_parameters() if n.startswith(HEAD) and p.requires_grad
        }
        self.k_count = self._resolve_k()
        self._flags = {n: p.requires_grad for n, p in model.named_parameters()}
        for p in model.parameters():
            p.requires_grad_(False)
        device = self.config.theta0_device
        self.theta0 = {n: p.detach().to(device, copy=True) for n, p in self.eligible.items()}
        self._head_init = {n: p.detach().clone() for n, p in self.head.items()}

    def phases(self) -> list[str]:
        return ["full", "sparse"]

    def start_phase(self, index: int) -> None:
        if index == self.phase:
            return  # restored from a checkpoint
        if index == 0:
            for p in [*self.eligible.values(), *self.head.values()]:
                p.requires_grad_(True)
            self.phase = 0
        elif index == 1:
            indices = top_k_changed(self.k_count, self.eligible, self.theta0)
            self._enter_sparse(indices, None)
        else:
            raise ValueError(f"lt-sft has phases 0 and 1, not {index}")

    def trainable_tensors(self) -> list[nn.Parameter]:
        if self.phase == 1:
            return [*self.sparse.trainable_tensors(), *self.head.values()]
        return [*self.eligible.values(), *self.head.values()]

    def regularization_loss(self) -> torch.Tensor | None:
        lam = self.config.l1_lambdas()[max(self.phase, 0)]
        if lam == 0.0:
            return None
        if self.phase == 1:
            terms = [phi.abs().sum() for phi in self.sparse.trainable_tensors()]
        else:
            terms = [
                (p - self.theta0[n].to(p.device, p.dtype)).abs().sum()
                for n, p in self.eligible.items()
            ]
        return lam * torch.stack(terms).sum()

    def after_optimizer_step(self, step: int) -> None:
        if self.phase == 1:
            self.sparse.merge()

    def export(self) -> SparseDelta:
        if self.phase != 1:
            raise DeterministicError("lt-sft can export only after its sparse phase has started")
        delta = self.sparse.to_delta(self._info())
        if self.config.language_sft:
            return delta
        head = {n: p.detach().to("cpu", copy=True) for n, p in self.head.items()}
        return SparseDelta(delta.sparse, head, delta.shapes, list(head), delta.info)

    def detach(self) -> None:
        if self.sparse is not None:
            self.sparse.detach()
            self.sparse = None
        self._rewind_backbone()
        self._restore_head()
        for n, p in self.model.named_parameters():
            p.requires_grad_(self._flags.get(n, p.requires_grad))

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"phase": self.phase, "k": self.k_count}
        if self.phase == 1:
            state["sparse"] = self.sparse.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state["k"] != self.k_count:
            raise DeterministicError(f"checkpoint has k={state['k']}, this run k={self.k_count}")
        if state["phase"] == 1:
            sparse = state["sparse"]
            names = [k.removesuffix(".indices") for k in sparse if k.endswith(".indices")]
            indices = {n: sparse[f"{n}.indices"] for n in names}
            self._enter_sparse(indices, {n: sparse[f"{n}.values"] for n in names})
        elif state["phase"] == 0:
            self.start_phase(0)

    # ---- internals ---------------------------------------------------------------------
    def _enter_sparse(self, indices: dict[str, torch.Tensor], values) -> None:
        self._rewind_backbone()
        self._reset_head()
        for p in self.eligible.values():
            p.requires_grad_(False)
        chosen = {n: idx for n, idx in indices.items() if idx.numel()}
        self.sparse = SparseParameterSet(self.model, chosen, values)
        for p in self.head.values():
            p.requires_grad_(True)
        self.phase = 1

    @torch.no_grad()
    def _rewind_backbone(self) -> None:
        for n, p in self.eligible.items():
            p.copy_(self.theta0[n])

    @torch.no_grad()
    def _restore_head(self) -> None:
        for n, p in self.head.items():
            p.copy_(self._head_init[n])

    def _reset_head(self) -> None:
        if not self.head or self.config.head_reset == "rewind":
            self._restore_head()
        elif hasattr(self.model, "reset_head"):
            self.model.reset_head(self.config.seed)
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.config.seed)
                for module in self.model.head.modules():
                    if hasattr(module, "reset_parameters"):
                        module.reset_parameters()

    def _resolve_k(self) -> int:
        total = sum(p.numel() for p in self.eligible.values())
        k = self.config.k
        count = round(k * total) if isinstance(k, float) else int(k)
        if not 1 <= count <= total:
            raise ConfigError(
                "lt-sft hyperparameters", [f"k: {k} gives {count} entries; eligible: {total}"]
            )
        return count

    def _info(self) -> DeltaInfo:
        backbone = backbone_of(self.model)
        name = self.config.base_model or getattr(
            getattr(backbone, "config", None), "_name_or_path", None
        )
        return DeltaInfo(
            method=self.name,
            base_model=name or None,
            base_fingerprint=self.base_fingerprint,
            task=None if self.config.language_sft else self.config.task,
            language=self.config.language,
            training_config=asdict(self.config),
            extra={"k_requested": self.config.k},
        )


def eligible_parameters(model: nn.Module, config: LtSftConfig) -> dict[str, nn.Parameter]:
    """Floating backbone parameters allowed to change, in `named_parameters` order."""
    norm_params = {
        f"{mod_name}.{p_name}" if mod_name else p_name
        for mod_name, mod in model.named_modules()
        if isinstance(mod, nn.LayerNorm) or "Norm" in type(mod).__name__
        for p_name, _ in mod.named_parameters(recurse=False)
    }
    out = {}
    for name, p in model.named_parameters():
        if not name.startswith(BACKBONE) or not p.is_floating_point():
            continue
        if name in norm_params and not config.layer_norm:
            continue
        if not config.embeddings and any("embed" in part for part in name.split(".")):
            continue
        if not config.bias and name.rsplit(".", 1)[-1] == "bias":
            continue
        out[name] = p
    return out
