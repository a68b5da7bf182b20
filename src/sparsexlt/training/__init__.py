"""The one training loop for every fine-tuning method (see `loop.train`).

Multi-source batches with per-batch language components (`multi_source`, `language_switch`),
warm-up + linear schedule (`schedule`), exact resume from checkpoints (`checkpoint`),
gradient synchronisation across processes (`distributed`, `shared_loss`, `rank_states`) and
starting a command on several processes (`launch`).

The names below are imported lazily, so `import sparsexlt.training.distributed` (for example in
a worker process) does not pull in models and data.
"""

from __future__ import annotations

from sparsexlt.util.lazy import lazy_exports

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
__getattr__ = lazy_exports(__name__, _EXPORTS)
