"""The values written to the results store, validated before any SQL runs.

Why a dataclass instead of dicts: the natural key of a result (see `schema_v1.sql`) decides
whether a re-run replaces a row or adds one, so every key field is normalised here once
(source languages sorted and joined by ',', empty strings refused).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sparsexlt.errors import DeterministicError

RUN_STATUSES = ("running", "succeeded", "failed")


class InvalidRecordError(DeterministicError):
    """A result or artifact record with a missing or malformed field (names the field)."""


def join_languages(sources: str | Iterable[str]) -> str:
    """Canonical text of a set of source languages: sorted, unique, comma-joined ('eng,ind')."""
    items = sources.split(",") if isinstance(sources, str) else list(sources)
    codes = sorted({str(code).strip() for code in items if str(code).strip()})
    return ",".join(codes)


@dataclass(frozen=True)
class ResultRow:
    """One measured number. `config_hash` and `run_id` may be left None when passed to
    `ResultsStore.record_results(rows, run_id=...)`: the run's id and config hash fill them."""

    task: str
    method: str
    scenario: str
    sources: str | Sequence[str]
    target: str
    metric: str
    value: float
    split: str = "test"
    seed: int = 0
    n_examples: int | None = None
    run_id: str | None = None
    config_hash: str | None = None
    artifact_key: str | None = None

    KEY_FIELDS = (
        "config_hash", "task", "method", "scenario", "sources", "target", "metric", "split", "seed",
    )  # fmt: skip

    def normalised(self, run_id: str | None, config_hash: str | None) -> ResultRow:
        """A copy with sources canonical, run id and config hash filled in, every field checked."""
        row = replace(
            self,
            sources=join_languages(self.sources),
            run_id=self.run_id or run_id,
            config_hash=self.config_hash or config_hash,
            value=_finite(self.value, "value", self),
            seed=_integer(self.seed, "seed", self),
        )
        for name in ("task", "method", "scenario", "sources", "target", "metric", "split"):
            _require_text(getattr(row, name), name, self)
        _require_text(row.run_id, "run_id", self)
        _require_text(row.config_hash, "config_hash", self)
        return row

    def key(self) -> tuple:
        return tuple(getattr(self, name) for name in self.KEY_FIELDS)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ResultRow:
        """Build from a dict with the dataclass's field names; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidRecordError(
                f"result row: unknown field(s) {unknown}; known: {sorted(known)}"
            )
        try:
            return cls(**data)
        except TypeError as error:
            raise InvalidRecordError(f"result row {dict(data)}: {error}") from error


@dataclass(frozen=True)
class ArtifactRecord:
    """A file or folder the pipeline produced, found again by (kind, key)."""

    kind: str
    key: str
    path: str
    content_hash: str | None = None
    run_id: str | None = None
    language: str | None = None
    method: str | None = None
    bytes: int | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class RunRecord:
    """One row of the `runs` table."""

    run_id: str
    name: str | None
    config_hash: str
    config_json: str
    git_commit: str | None
    library_version: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    message: str | None


def _finite(value: Any, name: str, row: object) -> float:
    """A real, finite number as float. Strings and bools are refused, not converted: '0.5' or
    True in a value field is a caller bug that float() would hide."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidRecordError(
            f"{name}={value!r} is not a number ({type(value).__name__}) in {row}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise InvalidRecordError(f"{name}={value!r} is not finite in {row}")
    return number


def _integer(value: Any, name: str, row: object) -> int:
    """An int (numpy integers too), never a bool, float or string: int() would turn 1.7 into 1
    and so silently merge results of different seeds under one key."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidRecordError(
            f"{name}={value!r} is not an integer ({type(value).__name__}) in {row}"
        )
    return int(value)


def _require_text(value: Any, name: str, row: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRecordError(f"{name} must be a non-empty string, got {value!r} in {row}")
