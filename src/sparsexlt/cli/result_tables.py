"""The results table people see in the terminal: one per task and metric, a row per scenario
and method (in the recipe's order), a column per target language and the average — the same
layout after `sparsexlt run` and in `sparsexlt results show`."""

from __future__ import annotations

from typing import Any


def rich_table(pivot: Any) -> Any:
    """A `rich.table.Table` of one `evaluation.report.PivotTable`."""
    from rich.table import Table

    from sparsexlt.evaluation.report import AVERAGE_ROW, format_value

    targets, averages = pivot.targets, pivot.averages()
    table = Table(title=pivot.title, title_justify="left")
    for name in ("scenario", "method", *targets, AVERAGE_ROW):
        table.add_column(name, justify="left" if name in ("scenario", "method") else "right")
    for column, scenario, method in pivot.settings():
        cells = [format_value(pivot.rows[t].get(column)) for t in targets]
        table.add_row(scenario, method, *cells, format_value(averages.get(column)))
    return table
