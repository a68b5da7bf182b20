"""`sparsexlt train`: one language SFT or one task SFT of a config, without Prefect.

Plain Python over `sparsexlt.recipe.single`, so it also runs under `accelerate launch` /
`torchrun` (by hand, or started by a pipeline step with `execution.launcher`): it joins the
launcher's process group first, rank 0 alone prepares the shared inputs, every rank trains,
rank 0 alone writes the artifact and prints its folder. The artifact is the very one
`sparsexlt run` would produce (same key, however many processes), and it is reused if present.
With `execution.launcher` set and no launcher around it, it starts one itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sparsexlt.cli.options import QuietOption, fail, problems_text


def register(app: typer.Typer) -> None:
    """Add the `train` command to the root app."""
    app.command("train")(train)


def train(
    config: Annotated[Path, typer.Argument(help="Pipeline config (YAML).", show_default=False)],
    method: Annotated[str, typer.Option("--method", help="Method entry (label or name).")],
    language: Annotated[
        str | None, typer.Option("--language", help="Train this language's SFT.")
    ] = None,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="Train the task SFT of this scenario.")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", help='The target of a "-single" scenario.')
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Config override key=value (repeatable).")
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", help="Artifacts folder.")
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Train one SFT of CONFIG: `--language L` (language SFT) or `--scenario S [--target T]`
    (task SFT; its language SFTs and translations are made first when missing). Prints the
    artifact folder."""
    if (language is None) == (scenario is None):
        raise typer.BadParameter("give exactly one of --language and --scenario")
    from sparsexlt.config import load_config
    from sparsexlt.config.overrides import verbatim
    from sparsexlt.errors import ConfigError
    from sparsexlt.recipe.single import train_one_language_sft, train_one_task_sft
    from sparsexlt.recipe.validate import preflight
    from sparsexlt.training.distributed import init_from_environment, is_main_process

    init_from_environment()  # before any work: rank 0 alone builds what all ranks share
    overrides = list(set_ or []) + ([verbatim("output_dir", output_dir)] if output_dir else [])
    try:
        cfg = load_config(config, overrides)
        preflight(cfg)
        if language is not None:
            ref = train_one_language_sft(cfg, method, language)
        else:
            ref = train_one_task_sft(cfg, method, scenario, target)
    except KeyError as err:  # KeyError's str() is its repr: quotes around the message
        fail(str(err.args[0]) if err.args else repr(err))
    except ConfigError as err:
        fail(problems_text(err))
    if is_main_process():
        typer.echo(ref.path)
