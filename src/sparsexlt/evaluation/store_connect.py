"""Open the results database briefly, waiting politely while another process holds it.

Why: DuckDB lets only one process hold a database file while it writes; any other process, even
a read-only one, gets `IOException: Could not set lock on file`. Pipeline steps running in
parallel therefore each open the file, do one transaction, and close it, and retry with
exponential backoff and jitter when the file is busy.

Contract: `run_with_retry(path, fn, read_only=...)` calls `fn(connection)` inside one
transaction (writers) and returns its result; it raises `ResultsStoreLockedError` after
`timeout` seconds of waiting, and `ResultsStoreMissingError` when reading a file that does not
exist.

Inside one process, threads take a per-file lock first, so they use the file one at a time:
DuckDB shares one open database between a process's connections, where a reader meets an open
writer as "different configuration" and two concurrent upserts of one key clash at commit (a
primary-key violation) instead of replacing.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import duckdb

from sparsexlt.errors import DeterministicError, SparseXLTError

T = TypeVar("T")

# Readers of the previous stable DuckDB (the 1.5 CLI) must open our files.
STORAGE_CONFIG = {"storage_compatibility_version": "v1.5.0"}
DEFAULT_LOCK_TIMEOUT_S = 120.0
_FIRST_DELAY_S = 0.02
_MAX_DELAY_S = 0.5


_PROCESS_LOCKS: dict[Path, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def _process_lock(path: Path) -> threading.Lock:
    with _PROCESS_LOCKS_GUARD:
        return _PROCESS_LOCKS.setdefault(path.resolve(), threading.Lock())


class ResultsStoreLockedError(SparseXLTError):
    """The database stayed locked by another process for longer than the timeout (transient)."""


class ResultsStoreMissingError(DeterministicError):
    """Reading a results database that does not exist."""


def is_busy_error(error: BaseException) -> bool:
    """True for the errors that go away once the other holder closes the file."""
    text = str(error)
    if isinstance(error, duckdb.IOException):
        return "Could not set lock" in text or "Conflicting lock" in text
    if isinstance(error, duckdb.ConnectionException):
        return "different configuration" in text
    return isinstance(error, duckdb.TransactionException)


def connect(path: Path, read_only: bool, sandboxed: bool = False) -> duckdb.DuckDBPyConnection:
    """One connection; writers create the file (and parents) in the 1.5-compatible format.

    `sandboxed` (read-only only) turns off every file system access but the database itself:
    user SQL then cannot write files, even inside a statement the guard lets through
    (`EXPLAIN ANALYZE COPY … TO 'file'` runs its COPY).
    """
    if read_only:
        if not path.is_file():
            raise ResultsStoreMissingError(f"{path}: no results database here")
        config = {"enable_external_access": False} if sandboxed else {}
        return duckdb.connect(str(path), read_only=True, config=config)
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), config=dict(STORAGE_CONFIG))


def _once(
    path: Path, fn: Callable[[duckdb.DuckDBPyConnection], T], read_only: bool, sandboxed: bool
) -> T:
    con = connect(path, read_only, sandboxed)
    try:
        if read_only:
            return fn(con)
        con.begin()
        try:
            result = fn(con)
        except BaseException:
            con.rollback()
            raise
        con.commit()
        return result
    finally:
        con.close()


def run_with_retry(
    path: str | Path,
    fn: Callable[[duckdb.DuckDBPyConnection], T],
    *,
    read_only: bool,
    timeout: float = DEFAULT_LOCK_TIMEOUT_S,
    sandboxed: bool = False,
) -> T:
    """Open `path`, run `fn` (in one transaction unless read-only), close; retry while busy.
    `sandboxed`: see `connect`.

    Delays grow 20 ms, 40 ms, … up to 0.5 s, each scaled by a random factor in [0.5, 1) so that
    processes that collided do not collide again in lockstep.
    """
    path = Path(path)
    deadline = time.monotonic() + timeout
    lock = _process_lock(path)
    if not lock.acquire(timeout=max(timeout, 0)):
        raise ResultsStoreLockedError(
            f"{path}: another thread of this process kept the file for more than {timeout:g} s"
        )
    try:
        return _retry(path, partial(_once, path, fn, read_only, sandboxed), deadline, timeout)
    finally:
        lock.release()


def _retry(path: Path, once: Callable[[], T], deadline: float, timeout: float) -> T:
    delay = _FIRST_DELAY_S
    while True:
        try:
            return once()
        except duckdb.Error as error:
            if not is_busy_error(error):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise ResultsStoreLockedError(
                    f"{path}: still locked by another process after {timeout:g} s "
                    f"(last error: {error}). Is a long query or another pipeline holding it?"
                ) from error
            time.sleep(min(left, delay * random.uniform(0.5, 1.0)))
            delay = min(delay * 2, _MAX_DELAY_S)
