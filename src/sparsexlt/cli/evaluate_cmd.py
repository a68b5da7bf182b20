"""`sparsexlt evaluate`: score a base model + SFTs on a data file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sparsexlt.cli.options import QuietOption, fail


def register(app: typer.Typer) -> None:
    """Add the `evaluate` command to the root app."""
    app.command("evaluate")(evaluate)


def evaluate(
    base: Annotated[str, typer.Option("--base", help="Base model: hub id, folder or pkg:…")],
    task_sft: Annotated[
        Path, typer.Option("--task-sft", help="Task SFT: an artifact folder or a component.")
    ],
    data: Annotated[Path, typer.Option("--data", help="Labelled data file.")],
    format: Annotated[str, typer.Option("--format", help="Data format (sparsexlt data formats).")],
    language_sft: Annotated[
        Path | None, typer.Option("--language-sft", help="Language SFT to compose with.")
    ] = None,
    task_type: Annotated[
        str | None, typer.Option("--task-type", help="Default: from the task SFT artifact.")
    ] = None,
    labels: Annotated[
        str | None, typer.Option("--labels", help="Comma-separated; default: from the artifact.")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 64,
    max_length: Annotated[int, typer.Option("--max-length", min=8)] = 128,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
    quiet: QuietOption = False,
) -> None:
    """Evaluate θ (BASE) + φ_language + φ_task on DATA and print the metrics.

    An artifact folder of `sparsexlt run`/`train` knows its task type and labels; a bare
    component folder needs --task-type and --labels."""
    from sparsexlt.data import read_dataset
    from sparsexlt.errors import DeterministicError
    from sparsexlt.models import load_backbone
    from sparsexlt.recipe.evaluate import evaluate_model

    task_dir, info = _component(task_sft, "--task-sft")
    lang_dir = None if language_sft is None else _component(language_sft, "--language-sft")[0]
    kind = task_type or info.get("task_type")
    label_list = labels.split(",") if labels else info.get("labels")
    if not kind or not label_list:
        raise typer.BadParameter("--task-type and --labels are needed for a bare component")
    try:
        scores = evaluate_model(
            load_backbone(base),
            base,
            task_dir,
            lang_dir,
            read_dataset(data, format, kind),
            kind,
            list(label_list),
            batch_size=batch_size,
            max_length=max_length,
        )
    except DeterministicError as err:
        fail(str(err))
    if as_json:
        typer.echo(json.dumps(scores, sort_keys=True))
        return
    for name, value in scores.items():
        typer.echo(f"{name}\t{value:.4f}" if isinstance(value, float) else f"{name}\t{value}")


def _component(folder: Path, option: str) -> tuple[Path, dict]:
    """(component folder, artifact info) of an artifact folder or a bare component folder.

    A missing folder or an unreadable `artifact.json` is a usage error naming `option`."""
    from sparsexlt.cli.artifact_folders import component_and_artifact
    from sparsexlt.errors import DeterministicError

    if not folder.is_dir():
        fail(f"{option} {folder}: " + ("not a folder" if folder.exists() else "no such folder"))
    try:
        component, ref = component_and_artifact(folder)
    except DeterministicError as err:
        fail(str(err))
    return component, {} if ref is None else ref.info
