"""Evaluation settings and where the work runs (these never change what is computed)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sparsexlt.config._base import ConfigModel, Count, NonNegInt, fail
from sparsexlt.config.constants import Split


class EvaluationConfig(ConfigModel):
    """Which split every target is scored on."""

    split: Split = Field("test", description="Split of each target's task_data to score.")
    batch_size: Count = Field(64, description="Examples per inference batch.")


class ExecutionConfig(ConfigModel):
    """Parallelism: Dask for the per-language fan-out, accelerate for multi-GPU training."""

    dask_workers: NonNegInt = Field(
        0,
        description="Local Dask worker processes for per-language tasks; 0: Prefect's default "
        "thread pool.",
    )
    dask_address: str | None = Field(
        None, description="Address of an existing Dask scheduler (tcp://host:8786) to use."
    )
    launcher: Literal["none", "accelerate", "torchrun"] = Field(
        "none",
        description="`accelerate` / `torchrun`: every language-SFT and task-SFT step runs its "
        "training as `sparsexlt train` on `processes` local processes started by that launcher "
        "(data parallel; see docs/scaling-out.md). The artifacts are the same ones (same keys) "
        "a single process makes.",
    )
    processes: Count = Field(
        1, description="Training processes (GPUs) per training step, with a launcher."
    )

    @model_validator(mode="after")
    def _consistent(self) -> ExecutionConfig:
        problems = []
        if self.dask_address and self.dask_workers:
            problems.append(
                ("dask_address", "give dask_address (use a cluster) or dask_workers (start one)")
            )
        if self.processes > 1 and self.launcher == "none":
            problems.append(("launcher", "processes > 1 needs a launcher (accelerate or torchrun)"))
        if problems:
            fail(problems)
        return self
