"""A cheap first check that user SQL only reads, before it reaches the read-only connection.

Why both: the read-only connection is what really protects the database, but it still lets
`COPY (…) TO 'file'`, `SET`, `ATTACH` and `EXPORT DATABASE` run (they write elsewhere or change
the session). DuckDB's own parser classifies each statement, so the check is exact, not a regex.
It cannot see inside an EXPLAIN: `EXPLAIN ANALYZE COPY …` runs its COPY, which is why
`ResultsStore.query` also turns off file access on its connection.

Contract: `check_read_only(sql)` returns the single statement's text or raises
`ReadOnlyQueryError` (refused kind, or several statements) / `duckdb.ParserException`.
"""

from __future__ import annotations

import duckdb

from sparsexlt.evaluation.store import ReadOnlyQueryError

# SELECT covers WITH, FROM-first, VALUES, TABLE, SHOW, DESCRIBE, SUMMARIZE.
ALLOWED = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})


def check_read_only(sql: str) -> str:
    """The one statement in `sql` if it only reads; otherwise a clear `ReadOnlyQueryError`."""
    statements = duckdb.extract_statements(sql)
    if len(statements) != 1:
        raise ReadOnlyQueryError(f"give exactly one SQL statement, got {len(statements)}")
    statement = statements[0]
    if statement.type == duckdb.StatementType.MULTI:  # what DuckDB makes of a PIVOT without IN
        raise ReadOnlyQueryError(
            "refused: DuckDB runs this as several statements (a PIVOT needs an explicit "
            "`IN (...)` list of its columns here, e.g. PIVOT results ON metric IN ('accuracy') "
            "USING avg(value))"
        )
    if statement.type not in ALLOWED:
        kind = statement.type.name
        raise ReadOnlyQueryError(
            f"refused: {kind} statements are not allowed here; `sparsexlt results sql` only "
            "reads (SELECT, WITH, FROM, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN). Results are written "
            "by the pipeline."
        )
    return statement.query
