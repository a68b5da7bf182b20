"""The one training loop for every fine-tuning method (see `loop.train`).

Multi-source batches with per-batch language components (`multi_source`, `language_switch`),
warm-up + linear schedule (`schedule`), exact resume from checkpoints (`checkpoint`),
gradient synchronisation across processes (`distributed`, `shared_loss`, `rank_states`) and
starting a command on several processes (`launch`).

The names below are imported lazily, so `import sparsexlt.training.distributed` (for example in
a worker process) does not pull in models and data.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Callback": "callbacks",
    "MicroBatch": "callbacks",
    "RecordSources": "callbacks",
    "Source": "multi_source",
    "TrainConfig": "config",
    "TrainResult": "loop",
    "launch_training": "launch",
    "train": "loop",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sparsexlt.training' has no attribute {name!r}")
    return getattr(import_module(f"sparsexlt.training.{_EXPORTS[name]}"), name)
