"""`sparsexlt deploy …`: scheduled per-language onboarding deployments on Prefect.

`add-language` registers a deployment with a Prefect server (PREFECT_API_URL); a process worker
(`prefect worker start --pool P`) runs it. `serve` runs deployments in this process instead
(no worker, no pool). `list` shows what the server knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Scheduled per-language deployments on Prefect.", no_args_is_help=True)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Pipeline config (YAML).", show_default=False)
]
CronOption = Annotated[
    str | None,
    typer.Option("--cron", help='Cron schedule, e.g. "0 3 * * *" (03:00 daily); none: on demand.'),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="Config override key=value stored with the deployment (repeatable)."
    ),
]


def _prefect_ready(need_server: bool) -> None:
    """Prefect defaults; with `need_server`, refuse to register with a temporary server."""
    from sparsexlt.deployments.prefect_env import prefect_defaults

    prefect_defaults()
    if not need_server:
        return
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        typer.echo(
            "error: no Prefect server configured. Start one (`prefect server start`) and set "
            "PREFECT_API_URL (e.g. http://127.0.0.1:4200/api): a deployment registered with a "
            "temporary server would vanish with it.",
            err=True,
        )
        raise typer.Exit(2)


@app.command("add-language")
def add_language(
    language: Annotated[str, typer.Argument(help="Target language code (in the config).")],
    config: ConfigOption,
    cron: CronOption = None,
    pool: Annotated[str, typer.Option("--pool", help="Process work pool.")] = "sparsexlt-process",
    set_: SetOption = None,
) -> None:
    """Create a scheduled deployment that onboards LANGUAGE: its language SFT, translation if
    NLLB supports it, the task SFTs that need it, and evaluation of the composed models on it."""
    from sparsexlt.errors import ConfigError

    _prefect_ready(need_server=True)
    from sparsexlt.deployments.language import add_language_deployment

    try:
        name = add_language_deployment(config, language, cron=cron, pool=pool, overrides=set_)
    except ConfigError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"deployment {name} on work pool {pool}" + (f", schedule {cron}" if cron else ""))
    typer.echo(
        f"run it now: prefect deployment run '{name}'; a worker: prefect worker start --pool {pool}"
    )


@app.command("serve")
def serve(
    config: ConfigOption,
    language: Annotated[
        list[str] | None,
        typer.Option(
            "--language", "-l", help="Target to serve (repeatable; default: all targets)."
        ),
    ] = None,
    cron: CronOption = None,
    set_: SetOption = None,
) -> None:
    """Serve onboarding deployments from this process with Prefect's embedded runner
    (`flow.serve`): no work pool or worker needed. Stops on Ctrl-C."""
    from sparsexlt.config import load_config

    _prefect_ready(need_server=False)
    from sparsexlt.deployments.serve import serve_deployments

    languages = language or [t.code for t in load_config(config, set_ or []).targets]
    serve_deployments(config, languages, cron=cron, overrides=set_)


@app.command("list")
def list_command() -> None:
    """List the deployments the Prefect server knows (name, pool, schedule, targets); a table
    on a terminal, tab-separated lines otherwise (for scripts)."""
    _prefect_ready(need_server=True)
    from rich.console import Console
    from rich.table import Table

    from sparsexlt.deployments.listing import list_deployments

    header = ("deployment", "work pool", "schedule", "targets", "paused")
    rows = [
        (
            d.name,
            d.work_pool or "-",
            ", ".join(d.schedules) or "-",
            ", ".join(d.targets) or "-",
            "yes" if d.paused else "no",
        )
        for d in list_deployments()
    ]
    console = Console()
    if not console.is_terminal:
        for row in (header, *rows):
            typer.echo("\t".join(row))
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*row)
    console.print(table)
