"""`sparsexlt config …`: check a pipeline config, or show it as resolved."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sparsexlt.cli.options import USAGE_ERROR
from sparsexlt.errors import ConfigError

app = typer.Typer(help="Check and show pipeline configs.", no_args_is_help=True)

ConfigFile = Annotated[Path, typer.Argument(help="Pipeline config (YAML).")]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a setting before validation: key=value with a dotted key "
        "(methods.0.task.steps=10, languages.jav.few_shot.k=50, data_dir=/data). Repeatable.",
    ),
]


@app.command("check")
def check(file: ConfigFile, set_: SetOption = None) -> None:
    """Validate FILE: print `ok`, or every problem (field path first) and exit 2."""
    from sparsexlt.config import load_config  # pydantic loads here, so `--help` stays fast

    try:
        load_config(file, set_ or [])
    except ConfigError as err:
        _report(err)
    typer.echo("ok")


@app.command("show")
def show(
    file: ConfigFile,
    set_: SetOption = None,
    check_files: Annotated[
        bool, typer.Option("--check-files/--no-check-files", help="Require local files to exist.")
    ] = True,
    hash_only: Annotated[
        bool, typer.Option("--hash", help="Print only the config hash (the cache key of the run).")
    ] = False,
) -> None:
    """Print FILE as validated: defaults filled in, paths absolute."""
    import yaml

    from sparsexlt.config import load_config

    try:
        config = load_config(file, set_ or [], check_files=check_files)
    except ConfigError as err:
        _report(err)
    if hash_only:
        typer.echo(config.config_hash())
        return
    dumped = config.model_dump(mode="json")
    typer.echo(yaml.safe_dump(dumped, sort_keys=False, allow_unicode=True), nl=False)


def _report(err: ConfigError) -> None:
    for problem in err.problems:
        typer.echo(problem)
    typer.echo(f"{err.source}: {len(err.problems)} problem(s)", err=True)
    raise typer.Exit(USAGE_ERROR)
