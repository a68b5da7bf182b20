"""End-of-run summaries: the results of one run as target language × scenario/method tables.

Why: after a run people want one glance per task and metric — which setting wins for which
language. The same pivot feeds the markdown summary (a Prefect artifact later), the
`sparsexlt results show` table and the chart.

A run's results are the rows of its config (`results.config_hash = runs.config_hash`): a resumed
run that skipped already-evaluated steps still shows the rows its earlier attempt wrote. Seeds
are averaged; each table ends with an 'average' row over the target languages present.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sparsexlt.evaluation.store import ResultsStore, RunRecord

SQL_RUN_CELLS = """
SELECT x.task, x.metric, x.split, x.target_lang, x.scenario, x.method, avg(x.value) AS value
FROM results AS x JOIN runs AS r ON x.config_hash = r.config_hash
WHERE r.run_id = ?
GROUP BY x.task, x.metric, x.split, x.target_lang, x.scenario, x.method
ORDER BY x.task, x.metric, x.split, x.target_lang, x.scenario, x.method
"""
AVERAGE_ROW = "average"


@dataclass
class PivotTable:
    """One task/metric/split: `rows[target][column]` with columns 'scenario/method'."""

    task: str
    metric: str
    split: str
    columns: list[str] = field(default_factory=list)
    rows: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.task} — {self.metric} ({self.split})"

    def averages(self) -> dict[str, float]:
        """Per column, the mean over the target languages that have a value."""
        sums: dict[str, list[float]] = defaultdict(list)
        for cells in self.rows.values():
            for column, value in cells.items():
                sums[column].append(value)
        return {column: sum(v) / len(v) for column, v in sums.items()}


def run_tables(store: ResultsStore, run_id: str) -> list[PivotTable]:
    """The pivot tables of one run, one per (task, metric, split), in sorted order."""
    cells = store.query(SQL_RUN_CELLS, [run_id]).rows
    tables: dict[tuple[str, str, str], PivotTable] = {}
    for task, metric, split, target, scenario, method, value in cells:
        table = tables.setdefault((task, metric, split), PivotTable(task, metric, split))
        column = f"{scenario}/{method}"
        if column not in table.columns:
            table.columns.append(column)
        table.rows.setdefault(target, {})[column] = value
    for table in tables.values():
        table.columns.sort()
    return [tables[k] for k in sorted(tables)]


def format_value(value: float | None) -> str:
    """Four significant digits (0.8123, 35.27); '–' for a missing cell."""
    return "–" if value is None else f"{value:.4g}"


def markdown_summary(store: ResultsStore, run_id: str) -> str:
    """Markdown: a heading for the run, then a table per task/metric of target × scenario/method
    (the best value of a row in bold when it has several)."""
    run = store.get_run(run_id)
    lines = [_run_heading(run), ""]
    tables = run_tables(store, run_id)
    if not tables:
        lines.append("_No results recorded for this run._")
    for table in tables:
        lines += [f"### {table.title}", "", *_markdown_table(table), ""]
    return "\n".join(lines).rstrip() + "\n"


def _run_heading(run: RunRecord) -> str:
    name = f" ({run.name})" if run.name else ""
    commit = f", commit `{run.git_commit[:12]}`" if run.git_commit else ""
    return (
        f"## Results of run `{run.run_id}`{name}\n\n"
        f"Status **{run.status}**, config `{run.config_hash[:12]}`{commit}, "
        f"sparsexlt {run.library_version}."
    )


def _markdown_table(table: PivotTable) -> list[str]:
    header = ["target", *table.columns]
    lines = ["| " + " | ".join(_escape(h) for h in header) + " |"]
    lines.append("|" + "---|" + "---:|" * len(table.columns))
    body = [(target, table.rows[target]) for target in sorted(table.rows)]
    body.append((AVERAGE_ROW, table.averages()))
    for target, cells in body:
        best = max(cells.values()) if len(cells) > 1 else None
        shown = [_cell(cells.get(c), best) for c in table.columns]
        lines.append("| " + " | ".join([_escape(target), *shown]) + " |")
    return lines


def _cell(value: float | None, best: float | None) -> str:
    text = format_value(value)
    return f"**{text}**" if value is not None and value == best else text


def _escape(text: str) -> str:
    return text.replace("|", "\\|")
