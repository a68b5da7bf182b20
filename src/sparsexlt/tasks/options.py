"""What every step task shares: caching on the artifact key, JSON results, careful retries."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from sparsexlt.errors import DeterministicError
from sparsexlt.util.hashing import combine

RETRIES = 2
RETRY_DELAY_S = 5
THREADS_ENV = "SPARSEXLT_TORCH_THREADS"


def retry_unless_deterministic(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect `retry_condition_fn`: retry transient failures, never a DeterministicError."""
    try:
        state.result()
    except DeterministicError:
        return False
    except Exception:  # noqa: BLE001 - anything else may be transient (I/O, OOM, a lost worker)
        return True
    return True


def artifact_cache_key(kind: str) -> Callable[[Any, dict[str, Any]], str]:
    """`cache_key_fn` for a step whose parameters hold `job` (with `.key`) and `output_dir`."""

    def key(context: Any, parameters: dict[str, Any]) -> str:
        return f"sparsexlt-{kind}-" + combine(
            [parameters["job"].key, str(parameters["output_dir"])]
        )

    key.__name__ = f"{kind.replace('-', '_')}_cache_key"
    return key


def step_options(kind: str) -> dict[str, Any]:
    """`@task(**step_options(kind))` for a cached, retried step."""
    return {
        "name": kind,
        "cache_key_fn": artifact_cache_key(kind),
        "persist_result": True,
        "result_serializer": "json",
        "retries": RETRIES,
        "retry_delay_seconds": RETRY_DELAY_S,
        "retry_condition_fn": retry_unless_deterministic,
    }


def prepare_worker() -> None:
    """Per-step process settings: honour `SPARSEXLT_TORCH_THREADS` (set by the flow so parallel
    steps do not oversubscribe the cores) and keep transformers' per-load progress bars off
    (steps run concurrently, and their bars would interleave with the run's own output)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    value = os.environ.get(THREADS_ENV)
    if value:
        import torch

        torch.set_num_threads(max(1, int(value)))
