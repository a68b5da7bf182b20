"""What every step task shares: caching on the artifact key (while the artifact exists), JSON
results, careful retries."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sparsexlt.errors import DeterministicError
from sparsexlt.recipe import artifacts
from sparsexlt.util.atomic import atomic_write_text
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


Finished = Callable[[Any, str], bool]
KeyParts = Callable[[Any], list[str]]


def artifact_finished(kind: str) -> Finished:
    """Whether the artifact (kind, job.key) is on disk under the output folder."""
    return lambda job, output_dir: artifacts.find(output_dir, kind, job.key) is not None


def artifact_cache_key(
    kind: str, finished: Finished | None = None, extra: KeyParts | None = None
) -> Callable[[Any, dict[str, Any]], str]:
    """`cache_key_fn` for a step whose parameters hold `job` (with `.key`) and `output_dir`.

    Prefect keeps results in its own store (`~/.prefect`), which outlives the output folder: a
    result recorded for an artifact since deleted would come back as a ref to a missing folder.
    So the key also holds a generation token kept beside the artifacts, renewed whenever the
    artifact is missing (`finished`, default: `artifacts.find`): a deleted artifact's record is
    never found again, while a run that builds it records its result under the token the next
    run reads. `extra(job)` adds what the result depends on beyond `job.key` (the base model's
    dropout).
    """
    done = finished or artifact_finished(kind)

    def key(context: Any, parameters: dict[str, Any]) -> str:
        job, output_dir = parameters["job"], str(parameters["output_dir"])
        token = generation(output_dir, kind, job.key, renew=not done(job, output_dir))
        parts = [job.key, output_dir, token, *(extra(job) if extra else [])]
        return f"sparsexlt-{kind}-" + combine(parts)

    key.__name__ = f"{kind.replace('-', '_')}_cache_key"
    return key


def generation(output_dir: str, kind: str, key: str, *, renew: bool) -> str:
    """The cache generation of artifact (kind, key) under `output_dir`; a new one with `renew`
    (or when none was written yet, e.g. the folder was wiped)."""
    path = Path(output_dir) / "cache" / "prefect" / kind / key
    if not renew and path.is_file():
        return path.read_text()
    token = uuid.uuid4().hex
    atomic_write_text(path, token)
    return token


def step_options(
    kind: str, finished: Finished | None = None, extra: KeyParts | None = None
) -> dict[str, Any]:
    """`@task(**step_options(kind))` for a cached, retried step (see `artifact_cache_key`)."""
    return {
        "name": kind,
        "cache_key_fn": artifact_cache_key(kind, finished, extra),
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
