"""An on-disk cache of translations, so a killed job resumes and a re-run translates nothing twice.

One SQLite file; a row per (model key, source code, target code, sha256 of the source text).
Each `put_many` is one transaction: SQLite's journal makes it all-or-nothing, so a process killed
with SIGKILL mid-job loses at most the chunk it was translating. WAL mode lets readers and
several writing processes share the file (writers wait up to `timeout` seconds for the lock).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

CACHE_FILE = "translations.sqlite"
_QUERY_CHUNK = 500  # stays below SQLite's limit on bound variables

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS translations (
    model_key   TEXT    NOT NULL,
    src         TEXT    NOT NULL,
    tgt         TEXT    NOT NULL,
    text_hash   TEXT    NOT NULL,
    translation TEXT    NOT NULL,
    truncated   INTEGER NOT NULL,
    PRIMARY KEY (model_key, src, tgt, text_hash)
) WITHOUT ROWID
"""

INSERT_SQL = (
    "INSERT OR REPLACE INTO translations "
    "(model_key, src, tgt, text_hash, translation, truncated) VALUES (?, ?, ?, ?, ?, ?)"
)

SELECT_SQL_HEAD = (
    "SELECT text_hash, translation, truncated FROM translations "
    "WHERE model_key = ? AND src = ? AND tgt = ? AND text_hash IN "
)

COUNT_SQL = "SELECT COUNT(*) FROM translations"


class TranslationCache:
    """Cached translations under `cache_dir/translations.sqlite` (created on first use)."""

    def __init__(self, cache_dir: str | Path, timeout: float = 60.0):
        self.path = Path(cache_dir) / CACHE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), timeout=timeout)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process (not a power cut), and is much faster.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        with self._conn:
            self._conn.execute(SCHEMA_SQL)

    def get_many(
        self, model_key: str, src: str, tgt: str, hashes: Sequence[str]
    ) -> dict[str, tuple[str, bool]]:
        """{text hash: (translation, truncated)} for the hashes already in the cache."""
        found: dict[str, tuple[str, bool]] = {}
        for start in range(0, len(hashes), _QUERY_CHUNK):
            part = list(hashes[start : start + _QUERY_CHUNK])
            placeholders = "(" + ",".join("?" * len(part)) + ")"
            rows = self._conn.execute(SELECT_SQL_HEAD + placeholders, [model_key, src, tgt, *part])
            for text_hash, translation, truncated in rows:
                found[text_hash] = (translation, bool(truncated))
        return found

    def put_many(
        self, model_key: str, src: str, tgt: str, rows: Iterable[tuple[str, str, bool]]
    ) -> None:
        """Store (text hash, translation, truncated) rows in one transaction."""
        with self._conn:
            self._conn.executemany(
                INSERT_SQL, [(model_key, src, tgt, h, t, int(cut)) for h, t, cut in rows]
            )

    def __len__(self) -> int:
        return int(self._conn.execute(COUNT_SQL).fetchone()[0])

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> TranslationCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
