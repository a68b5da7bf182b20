"""`sparsexlt deploy …`: scheduled per-language onboarding deployments on Prefect.

`add-language` registers a deployment with a Prefect server (PREFECT_API_URL); a process worker
(`prefect worker start --pool P`) runs it. `serve` runs deployments in this process instead
(no worker, no pool). `list` shows what the server knows.
A wrong config, language, cron or pool is one `error:` line and exit code 2; a server that
cannot be reached, one line and exit code 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from sparsexlt.cli.options import RUNTIME_ERROR, fail, problems_text

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


def _prefect_ready(need_server: bool, cron: str | None = None) -> None:
    """Prefect defaults and a valid `cron`; with `need_server`, refuse to register with a
    temporary server."""
    from sparsexlt.deployments.prefect_env import prefect_defaults

    prefect_defaults()
    if cron is not None:
        _check_cron(cron)
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


def _check_cron(cron: str) -> None:
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError:
        fail(
            f"--cron {cron!r} is not a cron schedule: five fields, minute hour day-of-month "
            'month day-of-week, e.g. "0 3 * * 0" (Sundays at 03:00)'
        )


@contextmanager
def _user_errors() -> Iterator[None]:
    """Config, language and pool mistakes → exit 2; an unreachable server → exit 1."""
    import httpx
    from prefect.deployments.runner import DeploymentApplyError
    from prefect.settings import PREFECT_API_URL

    from sparsexlt.errors import ConfigError, SparseXLTError

    try:
        yield
    except ConfigError as err:
        fail(problems_text(err))
    except SparseXLTError as err:  # an unknown work pool
        fail(str(err))
    except DeploymentApplyError as err:
        cause = err.__cause__
        if isinstance(cause, httpx.TransportError):
            fail(f"cannot reach the Prefect API at {PREFECT_API_URL.value()}", RUNTIME_ERROR)
        fail(f"the Prefect server refused the deployment: {err}")
    except httpx.TransportError:
        fail(f"cannot reach the Prefect API at {PREFECT_API_URL.value()}", RUNTIME_ERROR)
    except httpx.HTTPStatusError as err:
        url = PREFECT_API_URL.value()
        fail(f"the Prefect API at {url} answered HTTP {err.response.status_code}", RUNTIME_ERROR)


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
    _prefect_ready(need_server=True, cron=cron)
    from sparsexlt.deployments.language import add_language_deployment

    with _user_errors():
        name = add_language_deployment(config, language, cron=cron, pool=pool, overrides=set_)
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

    _prefect_ready(need_server=False, cron=cron)
    from sparsexlt.deployments.serve import serve_deployments

    with _user_errors():
        languages = language or [t.code for t in load_config(config, set_ or []).targets]
        serve_deployments(config, languages, cron=cron, overrides=set_)


@app.command("list")
def list_command() -> None:
    """List the deployments the Prefect server knows (name, pool, schedule, targets); a table
    on a terminal, tab-separated lines otherwise (for scripts)."""
    _prefect_ready(need_server=True)
    from rich.console import Console
    from rich.table import Table

    header = ("deployment", "work pool", "schedule", "targets", "paused")
    rows = [
        (
            d.name,
            d.work_pool or "-",
            ", ".join(d.schedules) or "-",
            ", ".join(d.targets) or "-",
            "yes" if d.paused else "no",
        )
        for d in _listed()
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


def _listed():
    from sparsexlt.deployments.listing import list_deployments

    with _user_errors():
        return list_deployments()
