"""`sparsexlt translate …` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="translate commands.", no_args_is_help=True)
