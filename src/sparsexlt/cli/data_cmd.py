"""`sparsexlt data …` commands: look at data files before a pipeline trains on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sparsexlt.cli.options import USAGE_ERROR, parse_options

if TYPE_CHECKING:
    from sparsexlt.data.inspect import Inspection

app = typer.Typer(
    help="Inspect data files and list the formats sparsexlt reads.", no_args_is_help=True
)


@app.command("inspect")
def inspect_command(
    path: Annotated[Path, typer.Argument(help="The data file (or dataset id for --format hf).")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Reader; see `sparsexlt data formats`.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    column: Annotated[str | None, typer.Option(help="Column to read (csv-column).")] = None,
    task_type: Annotated[str | None, typer.Option(help="Task type (needed by jsonl, hf).")] = None,
    labels: Annotated[
        str | None, typer.Option(help="Comma-separated label set; other labels are errors.")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option", "-o", help="Reader option KEY=VALUE (VALUE read as JSON if it parses)."
        ),
    ] = None,
) -> None:
    """Count examples, tokens and labels of a data file and report problems (exit 2 if any)."""
    options = parse_options(option or [])
    if column is not None:
        options["column"] = column
    if labels is not None:
        options["labels"] = [label.strip() for label in labels.split(",") if label.strip()]
    from sparsexlt.data.inspect import inspect_file

    result = inspect_file(path, fmt, task_type, **options)
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False) if as_json else _describe(result))
    if not result.ok:
        raise typer.Exit(USAGE_ERROR)


@app.command("formats")
def formats_command() -> None:
    """List the data formats, their task types and options."""
    from sparsexlt.data.registry import COMMON_OPTIONS, available_formats

    for name, reader in available_formats().items():
        tasks = ", ".join(reader.task_types) or "any (give --task-type)"
        options = ", ".join(reader.options()) or "-"
        typer.echo(f"{name}\n  {reader.description}\n  task types: {tasks}\n  options: {options}")
    typer.echo(f"\nevery format also takes: {', '.join(COMMON_OPTIONS)}")
    typer.echo(
        "in pipeline configs also: demo (examples generated offline, options n and seed; "
        "see configs/demo.yaml)"
    )


def _describe(result: Inspection) -> str:
    lines = [f"{result.path} ({result.format}, {result.task_type or 'unknown task'})"]
    if result.ok:
        lines.append(f"  examples: {result.examples}")
        if result.sentences is not None:
            lines.append(f"  sentences: {result.sentences}")
        lines.append(f"  tokens: {result.tokens}")
        if result.labels:
            lines.append("  labels: " + ", ".join(f"{k} {v}" for k, v in result.labels.items()))
        lines += [f"  dropped ({why}): {n}" for why, n in result.dropped_reasons.items()]
        lines += [f"  skipped ({why}): {n}" for why, n in result.skipped.items()]
    lines += [f"  warning: {w}" for w in result.warnings]
    lines += [f"  problem: {p}" for p in result.problems]
    return "\n".join(lines)
