"""Errors users see. Each names the file, line, field or parameter at fault.

`DeterministicError` marks failures that will recur on retry (bad input, bad config): the
Prefect tasks retry transient failures only, never these.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class SparseXLTError(Exception):
    """Base of every error sparsexlt raises on purpose."""


class DeterministicError(SparseXLTError):
    """Retrying cannot help: the input itself is wrong."""


class DataFormatError(DeterministicError):
    """Malformed data file; names the file and (1-based) line."""

    def __init__(self, path: str | Path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class ConfigError(DeterministicError):
    """An invalid pipeline config; carries every problem as 'field.path: message'."""

    def __init__(self, source: str | Path, problems: Sequence[str]):
        self.source = str(source)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.source}: {len(self.problems)} problem(s):\n{lines}")


class IncompatibleModelError(DeterministicError):
    """An SFT/adapter does not fit the model (fingerprint, missing or mis-shaped parameter)."""


class UnsupportedLanguageError(DeterministicError):
    """A language code we know, but the translation model does not support."""


class UnknownLanguageError(DeterministicError):
    """A language code we do not know at all; the message suggests close matches."""
