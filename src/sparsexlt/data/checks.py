"""Field checks shared by the readers; each failure names the file and line."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from sparsexlt.errors import DataFormatError


def require_text(value: str, path: str | Path, line: int | None, what: str) -> str:
    """`value` stripped of surrounding whitespace; empty is an error (an example needs text)."""
    value = value.strip()
    if not value:
        raise DataFormatError(path, line, f"empty {what}")
    return value


def check_label(
    value: str, labels: Collection[str] | None, path: str | Path, line: int | None, what: str
) -> str:
    """`value` if it is a non-empty label in `labels` (any label when `labels` is None)."""
    value = require_text(value, path, line, what)
    if labels is not None and value not in labels:
        known = ", ".join(sorted(labels))
        raise DataFormatError(path, line, f"unknown {what} {value!r}; expected one of: {known}")
    return value
