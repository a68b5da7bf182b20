"""SpIEL: sparse fine-tuning whose memory grows with the budget K, not with the model.

`SpielMethod` (registered as `spiel-ag` and `spiel-ma` in `adapters.methods.spiel`) trains K
entries φ of the target weight matrices, merged in place; every γ steps it drops the smallest
entries and grows new ones by accumulated gradients (AG) or SM3 accumulators (MA). Modules:
config (hyperparameters), targets (which matrices, how K is spread), sparse_weight (φ of one
matrix), grad_kernels (dφ: dense per layer or sampled), sparse_linear (the autograd functions),
selection (schedule, drop, grow), sparse_adamw / sm3 (optimizers with per-entry state), method.
"""

from sparsexlt.adapters.spiel.config import SpielConfig
from sparsexlt.adapters.spiel.method import SpielMethod

__all__ = ["SpielConfig", "SpielMethod"]
