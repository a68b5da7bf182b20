"""A PNG of one run's results: per task/metric, grouped bars of target language × scenario/method.

Why a picture as well as the table: differences between methods across many languages are
seen faster as bars. matplotlib is imported only here, with the Agg backend (no display
needed), so importing the store stays fast.
"""

from __future__ import annotations

import functools
import io
import math
from pathlib import Path
from typing import Any

from sparsexlt.evaluation.report import AVERAGE_ROW, PivotTable, run_tables
from sparsexlt.evaluation.store import ResultsStore
from sparsexlt.util.atomic import atomic_write_bytes

_PANEL_HEIGHT_IN = 3.2
_MAX_WIDTH_IN = 18.0
# Series past the palette's 20 colours reuse them with a hatch: 120 series look distinct.
_HATCHES = ("", "//", "..", "xx", "\\\\", "oo")


def default_chart_path(store: ResultsStore, run_id: str) -> Path:
    """Beside the database: `<db folder>/<run_id>-results.png`."""
    return store.path.parent / f"{run_id}-results.png"


def results_chart(store: ResultsStore, run_id: str, out_png: str | Path | None = None) -> Path:
    """Draw the run's results (one panel per task/metric/split, with an 'average' group) and
    write the PNG atomically; returns its path. A run without results gets a panel saying so."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    out = Path(out_png) if out_png is not None else default_chart_path(store, run_id)
    tables = run_tables(store, run_id)
    widest = max((len(t.rows) + 1 for t in tables), default=1)
    width = min(_MAX_WIDTH_IN, 4.0 + 0.9 * widest)
    figure, axes = plt.subplots(
        max(len(tables), 1),
        1,
        figsize=(width, _PANEL_HEIGHT_IN * max(len(tables), 1)),
        squeeze=False,
    )
    try:
        if not tables:
            axes[0][0].text(0.5, 0.5, f"no results for run {run_id}", ha="center", va="center")
            axes[0][0].set_axis_off()
        for i, table in enumerate(tables):
            _draw_panel(axes[i][0], table)
        figure.suptitle(f"run {run_id}")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
    finally:
        plt.close(figure)
    atomic_write_bytes(out, buffer.getvalue())
    return out


def _draw_panel(ax, table: PivotTable) -> None:
    targets = sorted(table.rows)
    groups = [*targets, AVERAGE_ROW]
    cells = {**table.rows, AVERAGE_ROW: table.averages()}
    n = len(table.columns)
    bar = 0.8 / n
    for i, column in enumerate(table.columns):
        xs = [g + (i - (n - 1) / 2) * bar for g in range(len(groups))]
        ys = [cells[group].get(column, math.nan) for group in groups]  # gap, not 0
        ax.bar(xs, ys, width=bar, label=column, **series_style(i))
    ax.set_xticks(range(len(groups)), groups, rotation=45 if len(groups) > 8 else 0)
    ax.set_title(table.title)
    ax.set_ylabel(table.metric)
    ax.legend(
        fontsize="small", ncols=1 if n <= 12 else 2, loc="upper left", bbox_to_anchor=(1.0, 1.0)
    )


def series_style(index: int) -> dict[str, Any]:
    """Colour (and past 20 series, hatch) of bar series `index`.

    matplotlib's default cycle has 10 colours, so an 11th method/scenario looked like the 1st.
    tab20's dark shades come first (they read like tab10), then its light ones.
    """
    colours = _palette()
    turn, position = divmod(index, len(colours))
    return {"color": colours[position], "hatch": _HATCHES[turn % len(_HATCHES)] or None}


@functools.cache
def _palette() -> tuple[tuple[float, ...], ...]:
    """tab20's 20 colours, dark shades first; built once, not per series."""
    from matplotlib import colormaps

    palette = colormaps["tab20"].colors
    return (*palette[0::2], *palette[1::2])
