"""Training steps on several processes: `execution.launcher` → `sparsexlt train` under a launcher.

A language-SFT or task-SFT job whose `launch` is set (the config's `execution.launcher` and
`processes`) is not trained in the calling process. The step runs

    sparsexlt train CONFIG [--set …] --output-dir OUT --method M (--language L | --scenario S
        [--target T])

on `processes` local processes (`training.launch.launch_training`). Those processes reload the
same config with the same overrides, so they plan the very same job (same key: the launcher is
not an input); they train it data-parallel, rank 0 publishes the artifact, and the step then
reads it from the output folder like any finished artifact. A launched process never launches
again (`training.launch.under_launcher`): there the job trains in place.
"""

from __future__ import annotations

from pathlib import Path

from sparsexlt.errors import DeterministicError
from sparsexlt.recipe import artifacts
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.plan import Launch
from sparsexlt.util.hashing import short


def should_launch(launch: Launch | None) -> bool:
    """True when the step must start a launcher (not when it already runs under one)."""
    from sparsexlt.training.launch import under_launcher

    return launch is not None and not under_launcher()


def train_argv(launch: Launch, output_dir: str | Path, step: list[str]) -> list[str]:
    """The `sparsexlt train` arguments that plan the same job in the launched processes."""
    argv = ["train", launch.config]
    for override in launch.overrides:
        argv += ["--set", override]
    return [*argv, "--output-dir", str(Path(output_dir).resolve()), *step]


def launched(
    output_dir: str | Path, kind: str, key: str, launch: Launch, step: list[str]
) -> ArtifactRef:
    """The artifact (kind, key), trained by `sparsexlt train <step>` under `launch` if absent.

    One launch at a time per calling process (its devices are the launched processes' devices).
    Raises `subprocess.CalledProcessError` when a launched process fails (transient failures
    are the Prefect task's to retry), DeterministicError when the launched training published
    another key (the config file changed since this run planned it).
    """
    from sparsexlt.training.launch import launch_training

    existing = artifacts.find(output_dir, kind, key)
    if existing is not None:
        return existing
    with artifacts.exclusive():
        if artifacts.find(output_dir, kind, key) is None:
            argv = train_argv(launch, output_dir, step)
            launch_training(argv, launch.processes, launch.launcher)
    ref = artifacts.find(output_dir, kind, key)
    if ref is None:
        raise DeterministicError(
            f"{kind} {short(key)}: the training launched on {launch.processes} processes "
            f"finished without publishing it; did {launch.config} change since this run "
            "planned it?"
        )
    return ref
