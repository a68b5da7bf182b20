"""End-of-run summaries: the results of one run as scenario/method × target language tables.

Why: after a run people want one glance per task and metric — which setting wins for which
language. The same pivot feeds the markdown summary (a Prefect artifact later), the tables of
`sparsexlt run` and `sparsexlt results show`, and the chart. Tables have a row per scenario and
method (scenarios in the recipe's order, `SCENARIOS`) and a column per target language plus
the average: a run has many settings and few targets, so this keeps tables narrow.

A run's results are the rows of its config (`results.config_hash = runs.config_hash`): a resumed
run that skipped already-evaluated steps still shows the rows its earlier attempt wrote. Seeds
are averaged; each table ends with an 'average' row over the target languages present.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sparsexlt.config.constants import SCENARIOS
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

    @property
    def targets(self) -> list[str]:
        return sorted(self.rows)

    def settings(self) -> list[tuple[str, str, str]]:
        """(column, scenario, method) in the recipe's scenario order, then by method."""

        def order(setting: tuple[str, str, str]) -> tuple:
            _, scenario, method = setting
            rank = SCENARIOS.index(scenario) if scenario in SCENARIOS else len(SCENARIOS)
            return rank, scenario, method

        return sorted(((c, *_split(c)) for c in self.columns), key=order)

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


def _split(column: str) -> tuple[str, str]:
    scenario, _, method = column.partition("/")
    return scenario, method


def format_value(value: float | None) -> str:
    """Four significant digits (0.8123, 35.27); '–' for a missing cell."""
    return "–" if value is None else f"{value:.4g}"


def markdown_summary(store: ResultsStore, run_id: str) -> str:
    """Markdown: a heading for the run, then a table per task/metric of scenario/method ×
    target (the best value of each target column in bold when it has several)."""
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
    targets, averages = table.targets, table.averages()
    header = ["scenario", "method", *targets, AVERAGE_ROW]
    lines = ["| " + " | ".join(_escape(h) for h in header) + " |"]
    lines.append("|---|---|" + "---:|" * (len(targets) + 1))
    settings = table.settings()
    columns = [{c: table.rows[t].get(c) for c, _, _ in settings} for t in targets]
    columns.append({c: averages.get(c) for c, _, _ in settings})
    best = [_best(values) for values in columns]
    for column, scenario, method in settings:
        shown = [_cell(values[column], b) for values, b in zip(columns, best, strict=True)]
        lines.append("| " + " | ".join([_escape(scenario), _escape(method), *shown]) + " |")
    return lines


def _best(values: dict[str, float | None]) -> float | None:
    present = [v for v in values.values() if v is not None]
    return max(present) if len(present) > 1 else None


def _cell(value: float | None, best: float | None) -> str:
    text = format_value(value)
    return f"**{text}**" if value is not None and value == best else text


def _escape(text: str) -> str:
    return text.replace("|", "\\|")
