"""`sparsexlt sft …` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="sft commands.", no_args_is_help=True)
