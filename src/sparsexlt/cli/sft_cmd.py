"""`sparsexlt sft …`: inspect, compose, import and merge saved sparse fine-tunings (SFTs)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sparsexlt.cli.options import fail

if TYPE_CHECKING:  # torch-heavy modules are imported inside the commands
    from sparsexlt.adapters.sparse_delta import SparseDelta
from sparsexlt.errors import SparseXLTError

app = typer.Typer(
    help="Inspect, compose, import and merge sparse fine-tunings (SFTs).", no_args_is_help=True
)

Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output.")]


@app.command("info")
def info_command(
    directory: Annotated[Path, typer.Argument(help="A saved SFT folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Method, K, entries and nonzeros per parameter group, size on disk, base fingerprint.

    DIRECTORY may be a pipeline artifact folder: its component is described, with the
    artifact's kind, method, scenario and language."""
    from sparsexlt.adapters.sft_format import summarize
    from sparsexlt.cli.artifact_folders import component_and_artifact

    component, ref = _run(component_and_artifact, directory)
    summary = _run(summarize, component)
    summary["artifact"] = None if ref is None else _artifact(ref)
    typer.echo(json.dumps(summary) if as_json else _describe(summary))


def _artifact(ref: Any) -> dict[str, Any]:
    """What a pipeline artifact says it is: kind, method, key, scenario, language."""
    keep = {"kind": ref.kind, "method": ref.method, "key": ref.key}
    keep.update(scenario=ref.info.get("scenario"), language=ref.language or ref.info.get("target"))
    return {k: v for k, v in keep.items() if v is not None}


@app.command("compose")
def compose_command(
    sfts: Annotated[list[Path], typer.Argument(help="Two or more SFT folders to add.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the composed SFT.")],
    overwrite: Overwrite = False,
) -> None:
    """Add SFTs (φ1 + φ2 + …; order does not matter) and save the sum."""
    deltas = [_load_delta(p) for p in sfts]
    from sparsexlt.adapters.merge import compose

    _run(lambda: compose(*deltas).save(out, overwrite=overwrite))
    _done(out)


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="A composable-sft pytorch_diff.bin or its folder.")],
    out: Annotated[Path, typer.Argument(help="Folder for the converted SFT.")],
    base_model: Annotated[
        str | None,
        typer.Option(help="Base model id or folder; a loadable one is checked and fingerprinted."),
    ] = None,
    prefix: Annotated[
        str | None,
        typer.Option(help="Base-model prefix of the legacy names (e.g. roberta); auto by default."),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Convert an SFT released in the original composable-sft format."""
    from sparsexlt.adapters.legacy_import import import_legacy_sft

    delta = _run(import_legacy_sft, path, prefix=prefix, base_model=base_model)
    _run(delta.save, out, overwrite=overwrite)
    _done(out)


@app.command("merge")
def merge_command(
    model_dir: Annotated[Path, typer.Argument(help="A Hugging Face model folder (the base).")],
    sfts: Annotated[list[Path], typer.Argument(help="SFT folders to merge into it.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the merged model.")],
    overwrite: Overwrite = False,
) -> None:
    """Write a normal model folder with the SFTs added to its weights (tokenizer copied)."""
    deltas = [_load_delta(p) for p in sfts]
    from sparsexlt.adapters.merge import merge_into_folder

    _run(merge_into_folder, model_dir, deltas, out, overwrite=overwrite)
    _done(out)


def _load_delta(path: Path) -> SparseDelta:
    from sparsexlt.adapters.registry import load_component
    from sparsexlt.adapters.sparse_delta import SparseDelta

    component = _run(load_component, path)
    if not isinstance(component, SparseDelta):
        _fail(f"{path}: a {component.method} component is not a sparse fine-tuning")
    return component


def _run(fn, *args: Any, **kwargs: Any) -> Any:
    """Call a library function; user errors become one line on stderr and exit code 2."""
    try:
        return fn(*args, **kwargs)
    except (SparseXLTError, FileExistsError) as e:
        _fail(str(e))


def _fail(message: str) -> None:
    fail(message)


def _done(out: Path) -> None:
    quiet = os.environ.get("SPARSEXLT_QUIET") == "1"
    typer.echo(str(out) if quiet else f"wrote {out}")


def _describe(s: dict[str, Any]) -> str:
    fp = s["base_fingerprint"]
    lines = [
        f"{s['path']}",
        f"  method: {s['method']}   K: {s['k']}   size: {_size(s['size_bytes'])}",
        f"  base model: {s['base_model'] or '-'}   fingerprint: {fp[:12] if fp else '-'}",
        f"  task: {s['task'] or '-'}   language: {s['language'] or '-'}",
        f"  {'group':<14}{'entries':>12}{'nonzero':>12}",
    ]
    if s.get("artifact"):
        shown = {**s["artifact"], "key": s["artifact"].get("key", "")[:12]}
        lines.insert(1, "  artifact: " + "  ".join(f"{k} {v}" for k, v in shown.items() if v))
    for group, counts in s["groups"].items():
        lines.append(f"  {group:<14}{counts['entries']:>12}{counts['nonzero']:>12}")
    if s["new_parameters"]:
        lines.append(f"  new (absolute) parameters: {len(s['new_parameters'])}")
    return "\n".join(lines)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
