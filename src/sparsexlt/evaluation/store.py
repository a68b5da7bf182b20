"""The results store: one DuckDB file holding runs, results and artifacts.

Why this shape: pipeline steps run in parallel processes and DuckDB lets one process at a time
hold the file while writing, so every method here opens the file, does its work in ONE
transaction and closes it again (see `store_connect`). Writes are idempotent: results and
artifacts are upserted on their natural keys, so a retried or resumed step replaces its rows
instead of duplicating them, while a run with a different config adds rows of its own.

Contract:
- `ResultsStore(path)`; the file (and its folder) is created by the first write.
- `start_run(config_hash, config_json, name) -> run_id`, `finish_run(run_id, status, message)`.
- `record_results(rows, run_id=None) -> int`: rows are `ResultRow`s or dicts of its fields.
- `record_artifact(kind, key, path, ...) -> ArtifactRecord`, `get_artifact(kind, key)`.
- `query(sql, params) -> QueryResult` on a READ-ONLY connection; a write raises
  `ReadOnlyQueryError`.
The file is readable by the duckdb 1.5 CLI: `duckdb -readonly runs/results.duckdb -c "…"`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from sparsexlt import __version__
from sparsexlt.errors import DeterministicError
from sparsexlt.evaluation.git_info import git_commit
from sparsexlt.evaluation.store_connect import (
    DEFAULT_LOCK_TIMEOUT_S,
    ResultsStoreLockedError,
    ResultsStoreMissingError,
    run_with_retry,
)
from sparsexlt.evaluation.store_rows import (
    RUN_STATUSES,
    ArtifactRecord,
    InvalidRecordError,
    ResultRow,
    RunRecord,
)
from sparsexlt.evaluation.store_schema import ensure_schema
from sparsexlt.util.hashing import canonical_json

__all__ = [
    "ArtifactRecord",
    "InvalidRecordError",
    "QueryResult",
    "ReadOnlyQueryError",
    "ResultRow",
    "ResultsStore",
    "ResultsStoreLockedError",
    "ResultsStoreMissingError",
    "RunRecord",
    "UnknownRunError",
    "default_db_path",
]

T = TypeVar("T")

DB_ENV = "SPARSEXLT_RESULTS_DB"
DEFAULT_DB = Path("runs") / "results.duckdb"

SQL_INSERT_RUN = """
INSERT INTO runs (run_id, name, config_hash, config_json, git_commit, library_version,
                  started_at, ended_at, status, message, experiment_hash)
VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 'running', NULL, ?)
"""
SQL_FINISH_RUN = "UPDATE runs SET status = ?, message = ?, ended_at = ? WHERE run_id = ?"
SQL_RUN_CONFIG_HASH = "SELECT config_hash FROM runs WHERE run_id = ?"
SQL_GET_RUN = """
SELECT run_id, name, config_hash, config_json, git_commit, library_version, started_at,
       ended_at, status, message
FROM runs WHERE run_id = ?
"""
SQL_UPSERT_RESULT = """
INSERT INTO results (config_hash, task, method, scenario, source_langs, target_lang, metric,
                     split, seed, value, n_examples, run_id, artifact_key, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (config_hash, task, method, scenario, source_langs, target_lang, metric, split, seed)
DO UPDATE SET value = excluded.value, n_examples = excluded.n_examples,
              run_id = excluded.run_id, artifact_key = excluded.artifact_key,
              created_at = excluded.created_at
"""
SQL_UPSERT_ARTIFACT = """
INSERT INTO artifacts (kind, key, path, content_hash, run_id, language, method, bytes, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (kind, key)
DO UPDATE SET path = excluded.path, content_hash = excluded.content_hash,
              run_id = excluded.run_id, language = excluded.language, method = excluded.method,
              bytes = excluded.bytes, created_at = excluded.created_at
"""
SQL_GET_ARTIFACT = """
SELECT kind, key, path, content_hash, run_id, language, method, bytes, created_at
FROM artifacts WHERE kind = ? AND key = ?
"""
SQL_LATEST_RUN_WITH_RESULTS = """
SELECT r.run_id FROM runs AS r
WHERE EXISTS (SELECT 1 FROM results AS x WHERE x.config_hash = r.config_hash)
ORDER BY r.started_at DESC, r.run_id DESC LIMIT 1
"""


class ReadOnlyQueryError(DeterministicError):
    """A statement that would change the database, sent through a read-only path."""


class UnknownRunError(DeterministicError):
    """A run id that is not in the `runs` table."""


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows of one query (column order kept even when there are no rows)."""

    columns: list[str]
    rows: list[tuple]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def default_db_path() -> Path:
    """`$SPARSEXLT_RESULTS_DB`, else `runs/results.duckdb` (relative to the working directory)."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


def utc_now() -> datetime:
    """Naive UTC time: the store's TIMESTAMP columns are UTC by convention."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_run_id(now: datetime) -> str:
    """Sortable by start time (to the microsecond: two runs started in the same second still
    sort in order) and readable: '20250131T120000.123456Z-1a2b3c4d'."""
    return f"{now:%Y%m%dT%H%M%S.%fZ}-{uuid.uuid4().hex[:8]}"


class ResultsStore:
    """Writer and reader of one results database file (see the module docstring)."""

    def __init__(
        self, path: str | Path | None = None, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S
    ):
        self.path = Path(path) if path is not None else default_db_path()
        self.lock_timeout = lock_timeout
        self._schema_ready = False

    # -- plumbing -------------------------------------------------------------------------

    def _write(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `fn(con)` in one write transaction, after making sure the schema exists."""

        def body(con: duckdb.DuckDBPyConnection):
            if not self._schema_ready:
                ensure_schema(con)
            return fn(con)

        result = run_with_retry(self.path, body, read_only=False, timeout=self.lock_timeout)
        self._schema_ready = True
        return result

    def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T], *, sandboxed: bool = False) -> T:
        """Run `fn(con)` on a read-only connection (waiting while a writer holds the file);
        `sandboxed`: no file access beyond the database (see `store_connect.connect`)."""
        return run_with_retry(
            self.path, fn, read_only=True, timeout=self.lock_timeout, sandboxed=sandboxed
        )

    def ensure_schema(self) -> None:
        """Create or migrate the schema now (it also happens on the first write)."""
        self._write(lambda con: None)

    # -- runs -----------------------------------------------------------------------------

    def start_run(
        self,
        config_hash: str,
        config_json: str | Mapping[str, Any],
        name: str | None = None,
        *,
        commit: str | None = None,
        experiment_hash: str | None = None,
    ) -> str:
        """Record a new run as 'running'; returns its id. `commit` defaults to the git commit
        of the sparsexlt checkout (None when not in one). `experiment_hash`: the config's hash
        without its seed (`PipelineConfig.experiment_hash`), which lets `latest_results` average
        the seeds of one experiment only; None makes the run an experiment of its own."""
        if not isinstance(config_hash, str) or not config_hash:
            raise InvalidRecordError(f"config_hash must be a non-empty string, got {config_hash!r}")
        text = config_json if isinstance(config_json, str) else canonical_json(config_json)
        now = utc_now()
        run_id = new_run_id(now)
        values = [
            run_id, name, config_hash, text, commit or git_commit(), __version__, now,
            experiment_hash,
        ]  # fmt: skip
        self._write(lambda con: con.execute(SQL_INSERT_RUN, values))
        return run_id

    def finish_run(self, run_id: str, status: str, message: str | None = None) -> None:
        """Mark a run 'succeeded' or 'failed' (with a message) and stamp its end time."""
        if status not in RUN_STATUSES:
            raise InvalidRecordError(f"status must be one of {RUN_STATUSES}, got {status!r}")

        def body(con: duckdb.DuckDBPyConnection) -> None:
            if con.execute(SQL_RUN_CONFIG_HASH, [run_id]).fetchone() is None:
                raise UnknownRunError(f"{self.path}: no run with id {run_id!r}")
            con.execute(SQL_FINISH_RUN, [status, message, utc_now(), run_id])

        self._write(body)

    @contextmanager
    def run(
        self, config_hash: str, config_json: str | Mapping[str, Any], name: str | None = None
    ) -> Iterator[str]:
        """`with store.run(...) as run_id:` — succeeded on exit, failed (with the error) on raise."""
        run_id = self.start_run(config_hash, config_json, name)
        try:
            yield run_id
        except BaseException as error:
            self.finish_run(run_id, "failed", f"{type(error).__name__}: {error}")
            raise
        self.finish_run(run_id, "succeeded")

    def get_run(self, run_id: str) -> RunRecord:
        row = self.read(lambda con: con.execute(SQL_GET_RUN, [run_id]).fetchone())
        if row is None:
            raise UnknownRunError(f"{self.path}: no run with id {run_id!r}")
        return RunRecord(*row)

    def latest_run_id(self) -> str | None:
        """The most recently started run whose config has results (None when there is none)."""
        row = self.read(lambda con: con.execute(SQL_LATEST_RUN_WITH_RESULTS).fetchone())
        return row[0] if row else None

    # -- results and artifacts ------------------------------------------------------------

    def record_results(
        self, rows: Iterable[ResultRow | Mapping[str, Any]], run_id: str | None = None
    ) -> int:
        """Upsert result rows in one transaction; returns how many distinct keys were written.

        Rows without `config_hash` take the config hash of their run. Within one call, a key
        given twice keeps the last value.
        """
        given = [r if isinstance(r, ResultRow) else ResultRow.from_mapping(r) for r in rows]
        if not given:
            return 0

        def body(con: duckdb.DuckDBPyConnection) -> int:
            hashes: dict[str, str] = {}
            unique: dict[tuple, ResultRow] = {}
            for row in given:
                rid = row.run_id or run_id
                if rid is None:
                    raise InvalidRecordError(f"no run_id for {row} (pass run_id=...)")
                if rid not in hashes:
                    found = con.execute(SQL_RUN_CONFIG_HASH, [rid]).fetchone()
                    if found is None:
                        raise UnknownRunError(f"{self.path}: no run with id {rid!r}")
                    hashes[rid] = found[0]
                clean = row.normalised(rid, hashes[rid])
                unique[clean.key()] = clean
            now = utc_now()
            con.executemany(SQL_UPSERT_RESULT, [_result_values(r, now) for r in unique.values()])
            return len(unique)

        return self._write(body)

    def record_artifact(
        self,
        kind: str,
        key: str,
        path: str | Path,
        *,
        content_hash: str | None = None,
        run_id: str | None = None,
        language: str | None = None,
        method: str | None = None,
        size_bytes: int | None = None,
    ) -> ArtifactRecord:
        """Upsert one artifact on (kind, key). `size_bytes` defaults to the size on disk of
        `path` (a file, or the sum over a folder's files) when it exists."""
        for name, value in (("kind", kind), ("key", key)):
            if not isinstance(value, str) or not value.strip():
                raise InvalidRecordError(
                    f"artifact {name} must be a non-empty string, got {value!r}"
                )
        if size_bytes is None:
            size_bytes = _size_on_disk(Path(path))
        record = ArtifactRecord(
            kind, key, str(path), content_hash, run_id, language, method, size_bytes, utc_now()
        )
        values = [
            record.kind, record.key, record.path, record.content_hash, record.run_id,
            record.language, record.method, record.bytes, record.created_at,
        ]  # fmt: skip
        self._write(lambda con: con.execute(SQL_UPSERT_ARTIFACT, values))
        return record

    def get_artifact(self, kind: str, key: str) -> ArtifactRecord | None:
        """The artifact recorded under (kind, key), or None (also when the file does not exist)."""
        if not self.path.is_file():
            return None
        row = self.read(lambda con: con.execute(SQL_GET_ARTIFACT, [kind, key]).fetchone())
        return ArtifactRecord(*row) if row else None

    # -- reading --------------------------------------------------------------------------

    def query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> QueryResult:
        """Run one statement on a READ-ONLY, sandboxed connection (no file access beyond the
        database). Writes, and reads or writes of other files, raise `ReadOnlyQueryError`."""

        def body(con: duckdb.DuckDBPyConnection) -> QueryResult:
            try:
                cursor = con.execute(sql, params) if params is not None else con.execute(sql)
            except duckdb.InvalidInputException as error:
                if "read-only mode" in str(error):
                    raise ReadOnlyQueryError(
                        f"{self.path}: refused, the results database is opened read-only and "
                        f"this statement would change it ({error})"
                    ) from error
                raise
            except duckdb.PermissionException as error:
                raise ReadOnlyQueryError(
                    f"{self.path}: refused, queries here read the results database only and "
                    f"touch no other file ({error})"
                ) from error
            if cursor.description is None:
                return QueryResult([], [])
            return QueryResult([d[0] for d in cursor.description], cursor.fetchall())

        return self.read(body, sandboxed=True)


def _result_values(row: ResultRow, now: datetime) -> list[Any]:
    return [
        row.config_hash, row.task, row.method, row.scenario, row.sources, row.target, row.metric,
        row.split, row.seed, row.value, row.n_examples, row.run_id, row.artifact_key, now,
    ]  # fmt: skip


def _size_on_disk(path: Path) -> int | None:
    if path.is_file():
        return path.stat().st_size
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return None
