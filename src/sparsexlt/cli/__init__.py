"""The `sparsexlt` command. Commands only parse arguments and call plain library functions.

One module per command group; each exposes a Typer `app` added here under its group name.
"""

from __future__ import annotations

import os

import typer

from sparsexlt import __version__
from sparsexlt.cli import (
    config_cmd,
    data_cmd,
    deploy_cmd,
    evaluate_cmd,
    results_cmd,
    run_cmd,
    sft_cmd,
    train_cmd,
    translate_cmd,
)

app = typer.Typer(
    name="sparsexlt",
    help="Composable sparse fine-tuning for cross-lingual transfer.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(data_cmd.app, name="data")
app.add_typer(sft_cmd.app, name="sft")
app.add_typer(translate_cmd.app, name="translate")
app.add_typer(results_cmd.app, name="results")
app.add_typer(deploy_cmd.app, name="deploy")
run_cmd.register(app)
train_cmd.register(app)
evaluate_cmd.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sparsexlt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress bars; print results only."
    ),
) -> None:
    if quiet:
        os.environ["SPARSEXLT_QUIET"] = "1"


def main() -> None:
    app()
