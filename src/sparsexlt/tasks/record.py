"""Task: write a run's result rows and artifact rows to the DuckDB results store.

Never cached: every run records its own rows (upserts make a repeat harmless).
"""

from __future__ import annotations

from prefect import task

from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.record import record_artifacts, record_results
from sparsexlt.tasks.options import RETRIES, RETRY_DELAY_S, retry_unless_deterministic


@task(
    name="record-results",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAY_S,
    retry_condition_fn=retry_unless_deterministic,
)
def record_task(db_path: str, run_id: str, rows: list[dict], artifacts: list[ArtifactRef]) -> int:
    count = record_results(db_path, run_id, rows)
    record_artifacts(db_path, run_id, artifacts)
    return count
