"""Parsing shared by several commands. Imports only typer and the standard library."""

from __future__ import annotations

import json
from typing import Any

import typer


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
