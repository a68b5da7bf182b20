"""Step 5: the results store — a run row, result rows, artifact rows, and the end-of-run report.

Each function opens the DuckDB file, writes in one transaction and closes it (the store's
contract), so parallel steps and concurrent pipelines do not lock each other out for long.
Result rows are upserted on their natural key: recording a resumed or cached run again replaces
rows instead of duplicating them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sparsexlt.config import PipelineConfig
from sparsexlt.evaluation.store import ResultsStore
from sparsexlt.recipe.artifacts import ArtifactRef

DEMO_NOTE = (
    "Demo numbers measure the plumbing (tiny random models, generated data), not the quality "
    "of any method."
)


@dataclass(frozen=True)
class RunReport:
    """What a finished run hands back to people: where to look, and the summary."""

    run_id: str
    db_path: str
    rows: int
    markdown: str
    chart: str | None


def open_run(config: PipelineConfig) -> str:
    """Record a new run as 'running' and return its id."""
    store = ResultsStore(config.results_db)
    return store.start_run(
        config.config_hash(),
        config.hash_payload(),
        config.name,
        experiment_hash=config.experiment_hash(),
    )


def finish_run(config: PipelineConfig, run_id: str, error: BaseException | None = None) -> None:
    store = ResultsStore(config.results_db)
    if error is None:
        store.finish_run(run_id, "succeeded")
    else:
        store.finish_run(run_id, "failed", f"{type(error).__name__}: {error}")


def record_results(db_path: str | Path, run_id: str, rows: Sequence[dict]) -> int:
    """Upsert result rows (mappings of `ResultRow` fields) for `run_id`; returns the count."""
    return ResultsStore(db_path).record_results(rows, run_id=run_id)


SQL_RECORDED = "SELECT kind, key, content_hash, path FROM artifacts"


def record_artifacts(db_path: str | Path, run_id: str, refs: Iterable[ArtifactRef]) -> int:
    """Upsert the `artifacts` rows of the run's new or changed artifacts; returns how many.

    An artifact recorded before with the same content and path keeps its row (and the id of the
    run that made it). Base models that are not artifacts of ours (hub ids) are skipped.
    """
    store = ResultsStore(db_path)
    recorded = set()
    if Path(db_path).is_file():
        recorded = set(store.query(SQL_RECORDED).rows)
    count = 0
    for ref in {(r.kind, r.key): r for r in refs}.values():
        if ref.content_hash is None or (ref.kind, ref.key, ref.content_hash, ref.path) in recorded:
            continue
        store.record_artifact(
            ref.kind,
            ref.key,
            ref.path,
            content_hash=ref.content_hash,
            run_id=run_id,
            language=ref.language,
            method=ref.method,
        )
        count += 1
    return count


def report(config: PipelineConfig, run_id: str, rows: int, chart: bool = True) -> RunReport:
    """Markdown summary of the run (with the demo note for tiny models) and its PNG chart,
    saved beside the database."""
    from sparsexlt.evaluation.report import markdown_summary

    store = ResultsStore(config.results_db)
    markdown = markdown_summary(store, run_id)
    if is_demo(config):
        markdown += f"\n> {DEMO_NOTE}\n"
    chart_path = None
    if chart:
        from sparsexlt.evaluation.chart import results_chart

        chart_path = str(results_chart(store, run_id))
    return RunReport(run_id, str(config.results_db), rows, markdown, chart_path)


def is_demo(config: PipelineConfig) -> bool:
    """Tiny random models: the numbers cannot mean anything about methods."""
    return config.base_model.name_or_path.startswith("tiny:")
