"""What a reader is: a named parse function plus the task types it can produce.

A reader's `read(path, report, **options)` parses one file into column lists of the schema of
`report.task_type` (see `sparsexlt.data.schema`), records skipped/dropped counts in `report`,
and raises `DataFormatError(path, line, msg)` on malformed input. Its keyword-only parameters are
its options; the registry rejects any other option by name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ReadFn = Callable[..., dict[str, list[Any]]]


@dataclass(frozen=True)
class Reader:
    name: str
    read: ReadFn
    task_types: tuple[str, ...]  # the first is the default; empty = the caller must choose
    description: str

    def options(self) -> dict[str, Any]:
        """Option name -> default (`inspect.Parameter.empty` when required)."""
        params = inspect.signature(self.read).parameters.values()
        return {p.name: p.default for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
