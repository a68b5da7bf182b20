"""`sparsexlt evaluate`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `evaluate` command to the root app."""
