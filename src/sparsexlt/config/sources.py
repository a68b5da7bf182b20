"""Where data comes from: a file (or dataset id) and the reader that understands it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from sparsexlt.config._base import ConfigModel, absolute, context, fail
from sparsexlt.config.constants import (
    DATA_FORMATS,
    DEDUP_FORMATS,
    PATHLESS_FORMATS,
    REMOTE_FORMATS,
    DataFormat,
)


class DataSource(ConfigModel):
    """One data file read by the reader named `format`.

    After `load_config`, `path` is absolute (relative paths resolve against `data_dir`) and was
    checked to exist; so were the paths in `options.dedup_against`.
    """

    format: DataFormat = Field(
        description="Reader to use; one of: " + ", ".join(DATA_FORMATS) + "."
    )
    path: Path | str | None = Field(
        None,
        validate_default=True,
        description="File or folder, relative to `data_dir` unless absolute. For `hf` a "
        "Hugging Face dataset id may stand here instead (then it stays a str). Not needed for "
        "`demo`.",
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        validate_default=True,
        description="Reader options, checked by the reader. Known here: `column` (required for "
        "csv-column: the column to read), `dedup_against` (smsa-tsv: list of files whose texts "
        "are dropped from this one, resolved and checked like `path`).",
    )

    @field_validator("path", mode="before")
    @classmethod
    def _path_is_text(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, (str, Path)):
            raise ValueError(f"expected a path (text), got {value!r}")
        return value

    @field_validator("path", mode="after")
    @classmethod
    def _resolve_path(cls, value: Path | str | None, info: ValidationInfo) -> Path | str | None:
        fmt = info.data.get("format")
        if value is None:
            if fmt is not None and fmt not in PATHLESS_FORMATS:
                raise ValueError(f"a path is required for format {fmt!r}")
            return None
        value = Path(value) if isinstance(value, str) else value
        ctx = context(info)
        if fmt in REMOTE_FORMATS:
            return _local_or_remote(value, ctx)
        return _resolve_local(value, ctx)

    @field_validator("options", mode="after")
    @classmethod
    def _check_options(cls, options: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        fmt = info.data.get("format")
        problems: list[tuple[str, str]] = []
        if fmt == "csv-column" and not isinstance(options.get("column"), str):
            problems.append(("column", "csv-column needs `column: <name>` (the CSV column)"))
        if "dedup_against" in options:
            if fmt is not None and fmt not in DEDUP_FORMATS:
                allowed = ", ".join(sorted(DEDUP_FORMATS))
                problems.append(("dedup_against", f"only format(s) {allowed} read it, not {fmt!r}"))
            else:
                files, trouble = _dedup_paths(options["dedup_against"], context(info))
                problems += [("dedup_against", t) for t in trouble]
                options = {**options, "dedup_against": files}
        if problems:
            fail(problems)
        return options


class ParallelSource(ConfigModel):
    """Sentence-aligned text in two languages (row i of `source` translates to row i of `target`)."""

    source: DataSource = Field(description="Text in the pipeline's source language.")
    target: DataSource = Field(description="The same sentences in the target language.")


def _resolve_local(path: Path, ctx: dict[str, Any]) -> Path:
    data_dir = ctx.get("data_dir")
    if data_dir is None:
        return path  # resolved against PipelineConfig.data_dir after validation
    resolved = absolute(path, data_dir)
    relative_under_missing_dir = not path.is_absolute() and not ctx.get("data_dir_exists", True)
    if ctx.get("check_files") and not relative_under_missing_dir and not resolved.exists():
        raise ValueError(f"file not found: {resolved}")
    return resolved


def _local_or_remote(path: Path, ctx: dict[str, Any]) -> Path | str:
    """A local dataset folder when one exists there, otherwise the string as a hub dataset id."""
    data_dir = ctx.get("data_dir")
    candidate = absolute(path, data_dir) if data_dir is not None else path
    if path.is_absolute() or candidate.exists():
        if ctx.get("check_files") and not candidate.exists():
            raise ValueError(f"file not found: {candidate}")
        return candidate
    return str(path)


def _dedup_paths(value: Any, ctx: dict[str, Any]) -> tuple[list[str], list[str]]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [], ["dedup_against must be a list of file paths"]
    files, problems = [], []
    for item in value:
        try:
            files.append(str(_resolve_local(Path(item), ctx)))
        except ValueError as exc:
            problems.append(str(exc))
    return files, problems
