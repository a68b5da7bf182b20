"""Parsing shared by several commands. Imports only typer and the standard library.

Exit codes: 0 done; 2 the input is wrong (usage, a config or data file with problems, a missing
or corrupt file, an unknown name: fix the command or its files and run again); 1 it failed
while working (a server that cannot be reached, a database that fails, an empty results
database). `translate languages` keeps its documented 1 for a code it cannot resolve.
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any, NoReturn

import typer

USAGE_ERROR = 2
RUNTIME_ERROR = 1


def fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    """Print `error: message` on stderr and exit with `code` (no traceback)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def problems_text(err: Any) -> str:
    """A `ConfigError` for an `error:` line: its one problem on the same line, several listed
    below it (one per line, as `config check` prints them)."""
    if len(err.problems) == 1:
        return f"{err.source}: {err.problems[0]}"
    return "\n".join([f"{err.source}: {len(err.problems)} problems:", *err.problems])


def _set_quiet(value: bool) -> bool:
    if value:
        os.environ["SPARSEXLT_QUIET"] = "1"
    return value


QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        callback=_set_quiet,
        help="No progress bars; print results only (also accepted before the command).",
    ),
]


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` strings → {key: value}; VALUE is read as JSON when it parses, else kept as text.

    A pair without `=` or with an empty key is a `typer.BadParameter` naming `--option`.
    """
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options
