"""The end of a run in Prefect: a table artifact of the results and a markdown summary."""

from __future__ import annotations

import re

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from sparsexlt.config import PipelineConfig
from sparsexlt.evaluation.store import ResultsStore
from sparsexlt.recipe.record import RunReport

SQL_RUN_ROWS = """
SELECT x.method, x.scenario, x.source_langs, x.target_lang, x.metric, x.value, x.n_examples
FROM results AS x JOIN runs AS r ON x.config_hash = r.config_hash
WHERE r.run_id = ?
ORDER BY x.method, x.scenario, x.target_lang, x.metric
"""


def artifact_key(name: str, suffix: str) -> str:
    """Prefect artifact keys allow lower-case letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", f"{name}-{suffix}".lower()).strip("-")


def publish_prefect_artifacts(config: PipelineConfig, report: RunReport) -> None:
    rows = ResultsStore(config.results_db).query(SQL_RUN_ROWS, [report.run_id]).dicts()
    create_table_artifact(
        table=[
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in rows
        ],
        key=artifact_key(config.name, "results"),
        description=f"Results of run {report.run_id} ({len(rows)} rows) in {report.db_path}",
    )
    create_markdown_artifact(
        markdown=report.markdown
        + f"\n\nDatabase: `{report.db_path}`"
        + (f"\n\nChart: `{report.chart}`" if report.chart else ""),
        key=artifact_key(config.name, "summary"),
        description=f"Summary of run {report.run_id}",
    )
