"""Install and migrate the results schema from the versioned .sql files shipped in the package.

Why files: the schema is read by people and by other tools (the duckdb CLI), so it lives as
plain SQL in `evaluation/sql/` (`schema_v1.sql`, later `schema_v2.sql` with only the changes)
and `evaluation/sql/views/<view>.sql`, loaded with importlib.resources.

Contract: `ensure_schema(con)` runs inside the writer's transaction; it applies every schema
version above the one recorded in `schema_version`, in order, and re-creates the views when
their definitions changed (tracked by a hash in `store_meta`). Running it again is a no-op.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from importlib import resources

import duckdb

from sparsexlt import __version__
from sparsexlt.util.hashing import combine, hash_text

# Views in dependency order (later ones select from earlier ones).
VIEWS = ("latest_results", "best_by_language", "method_comparison", "run_overview")
TABLES = ("runs", "results", "artifacts", "schema_version")

_SCHEMA_FILE = re.compile(r"^schema_v(\d+)\.sql$")
_VIEWS_HASH_KEY = "views_sha256"

SQL_CURRENT_VERSION = "SELECT max(version) FROM schema_version"
SQL_HAS_VERSION_TABLE = (
    "SELECT count(*) FROM duckdb_tables() "
    "WHERE schema_name = 'main' AND table_name = 'schema_version'"
)
SQL_RECORD_VERSION = "INSERT INTO schema_version VALUES (?, ?, ?)"
SQL_GET_META = "SELECT value FROM store_meta WHERE key = ?"
SQL_SET_META = (
    "INSERT INTO store_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


def _sql_dir():  # a Traversable: works from a wheel, a zip or a source tree
    return resources.files("sparsexlt.evaluation").joinpath("sql")


def schema_versions() -> dict[int, str]:
    """{version: SQL text} of every `schema_vN.sql` in the package."""
    found = {}
    for entry in _sql_dir().iterdir():
        match = _SCHEMA_FILE.match(entry.name)
        if match:
            found[int(match.group(1))] = entry.read_text(encoding="utf-8")
    return dict(sorted(found.items()))


def latest_version() -> int:
    return max(schema_versions())


def view_sql(name: str) -> str:
    """The CREATE OR REPLACE VIEW statement of one view."""
    return _sql_dir().joinpath("views", f"{name}.sql").read_text(encoding="utf-8")


def view_files() -> list[str]:
    """Names of the view files shipped (to check that VIEWS lists them all)."""
    folder = _sql_dir().joinpath("views")
    return sorted(e.name[:-4] for e in folder.iterdir() if e.name.endswith(".sql"))


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest schema version applied to this database; 0 for an empty one."""
    if con.execute(SQL_HAS_VERSION_TABLE).fetchone()[0] == 0:
        return 0
    return con.execute(SQL_CURRENT_VERSION).fetchone()[0] or 0


def ensure_schema(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the database to the latest schema and views; returns the schema version."""
    version = current_version(con)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for number, sql in schema_versions().items():
        if number > version:
            con.execute(sql)
            con.execute(SQL_RECORD_VERSION, [number, now, __version__])
            version = number
    _ensure_views(con)
    return version


def _ensure_views(con: duckdb.DuckDBPyConnection) -> None:
    texts = [view_sql(name) for name in VIEWS]
    wanted = combine(hash_text(t) for t in texts)
    row = con.execute(SQL_GET_META, [_VIEWS_HASH_KEY]).fetchone()
    if row is not None and row[0] == wanted:
        return
    for text in texts:
        con.execute(text)
    con.execute(SQL_SET_META, [_VIEWS_HASH_KEY, wanted])
