"""Export every table and view of the results store to Parquet, one file each.

Why: Parquet is what notebooks, pandas/polars and other databases read without DuckDB; one
file per table or view keeps the export obvious (`results.parquet`, `best_by_language.parquet`).
Each file is written under a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from sparsexlt.errors import DeterministicError
from sparsexlt.evaluation.store import ResultsStore
from sparsexlt.evaluation.store_schema import TABLES, VIEWS


def export_parquet(store: ResultsStore, out_dir: str | Path) -> list[Path]:
    """Write `<out_dir>/<name>.parquet` for every table and view; returns the paths written.

    Raises `DeterministicError` when `out_dir` (or a folder above it) is an existing file."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise DeterministicError(
            f"{out}: a file is in the way; the export writes a folder of Parquet files"
        ) from None

    def body(con: duckdb.DuckDBPyConnection) -> list[Path]:
        written = []
        for name in (*TABLES, *VIEWS):  # fixed names from the package, never user input
            final = out / f"{name}.parquet"
            tmp = out / f".{name}.parquet.tmp-{os.getpid()}"
            try:
                con.sql(f'SELECT * FROM "{name}"').write_parquet(str(tmp))
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)
            written.append(final)
        return written

    return store.read(body)
