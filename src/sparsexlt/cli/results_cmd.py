"""`sparsexlt results …`: read the results database (never write it).

The database is `--db`, else `$SPARSEXLT_RESULTS_DB`, else `runs/results.duckdb`.
Exit codes: 2 for what the user gave (a missing database or run, refused or invalid SQL), 1 for
a database that fails while reading (locked, unreadable) and for a database with no run yet.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from sparsexlt.cli.options import RUNTIME_ERROR, USAGE_ERROR, fail
from sparsexlt.errors import SparseXLTError

if TYPE_CHECKING:  # duckdb and the store load inside the commands, so `--help` stays fast
    from sparsexlt.evaluation.store import QueryResult, ResultsStore

app = typer.Typer(
    help="Query and summarise the results database (read-only).", no_args_is_help=True
)

T = TypeVar("T")
DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help="Results database (default: $SPARSEXLT_RESULTS_DB, else runs/results.duckdb)."
    ),
]
RunOption = Annotated[
    str | None, typer.Option("--run", help="Run id (default: the latest run with results).")
]

SQL_RUNS = """
SELECT run_id, name, status, strftime(started_at, '%Y-%m-%d %H:%M:%S') AS started_utc,
       round(seconds, 1) AS seconds, n_results, left(config_hash, 12) AS config
FROM run_overview ORDER BY started_at DESC, run_id DESC LIMIT ?
"""


def _store(db: Path | None) -> ResultsStore:
    from sparsexlt.evaluation.store import ResultsStore, default_db_path

    path = db if db is not None else default_db_path()
    if db is None and not path.exists():
        found = sorted(str(p) for p in path.parent.glob("*/results.duckdb"))[:5]
        if found:  # each run's output folder has its own database (runs/demo/results.duckdb)
            typer.echo(f"error: {path}: no results database here; pass --db, e.g. "
                       f"{' or '.join(found)}", err=True)  # fmt: skip
            raise typer.Exit(2)
    return ResultsStore(path)


def _guarded(action: Callable[[], T]) -> T:
    """Run `action`; its errors become one 'error: …' line: exit code 2 for the user's input
    (sparsexlt's own errors, SQL that does not parse, bind or convert), 1 for the rest."""
    import duckdb

    try:
        return action()
    except (SparseXLTError, duckdb.ProgrammingError, duckdb.DataError) as error:
        fail(str(error), USAGE_ERROR)
    except duckdb.Error as error:
        fail(str(error), RUNTIME_ERROR)


def _console() -> Console:
    """Rich console; when piped, wide enough that tables are not squeezed to 80 columns."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _print_table(result: QueryResult, title: str | None = None) -> None:
    table = Table(title=title)
    for column in result.columns:
        table.add_column(column)
    for row in result.rows:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    _console().print(table)


def _print_json(result: QueryResult) -> None:
    typer.echo(json.dumps(result.dicts(), indent=2, default=str, ensure_ascii=False))


def _print_csv(result: QueryResult) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows(result.rows)


@app.command("sql")
def sql_command(
    query: Annotated[str, typer.Argument(help="One read-only SQL statement.")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array of objects.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV with a header row.")] = False,
) -> None:
    """Run one SQL statement on a READ-ONLY connection; writes are refused.

    Tables: runs, results, artifacts, schema_version.

    Views: latest_results, best_by_language, method_comparison, run_overview.
    """
    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv")
    from sparsexlt.evaluation.sql_guard import check_read_only

    store = _store(db)

    def run() -> QueryResult:
        return store.query(check_read_only(query))

    result = _guarded(run)
    if as_json:
        _print_json(result)
    elif as_csv:
        _print_csv(result)
    else:
        _print_table(result)


@app.command("show")
def show_command(db: DbOption = None, run: RunOption = None) -> None:
    """Tables of scenario/method × target language, one per task and metric, for one run."""
    from sparsexlt.cli.result_tables import rich_table
    from sparsexlt.evaluation.report import run_tables

    store = _store(db)
    run_id = run or _guarded(store.latest_run_id)
    if run_id is None:
        typer.echo(f"error: {store.path}: no run has results yet", err=True)
        raise typer.Exit(1)
    record = _guarded(lambda: store.get_run(run_id))
    console = _console()
    console.print(f"[bold]run {record.run_id}[/bold] {record.name or ''} ({record.status})")
    for pivot in _guarded(lambda: run_tables(store, run_id)):
        console.print(rich_table(pivot))


@app.command("runs")
def runs_command(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="Show at most this many runs, newest first.")] = 20,
) -> None:
    """List runs: id, name, status, start, duration, number of result rows."""
    store = _store(db)
    _print_table(_guarded(lambda: store.query(SQL_RUNS, [limit])), title=str(store.path))


@app.command("export")
def export_command(
    parquet: Annotated[Path, typer.Option("--parquet", help="Folder to write the files into.")],
    db: DbOption = None,
) -> None:
    """Write one Parquet file per table and view into a folder; prints the paths."""
    from sparsexlt.evaluation.store_export import export_parquet

    store = _store(db)
    for path in _guarded(lambda: export_parquet(store, parquet)):
        typer.echo(str(path))


@app.command("report")
def report_command(
    db: DbOption = None,
    run: RunOption = None,
    chart: Annotated[
        bool, typer.Option("--chart", help="Also write a PNG chart beside the database.")
    ] = False,
) -> None:
    """Print the markdown summary of a run (and write its chart with --chart)."""
    from sparsexlt.evaluation.report import markdown_summary

    store = _store(db)
    run_id = run or _guarded(store.latest_run_id)
    if run_id is None:
        typer.echo(f"error: {store.path}: no run has results yet", err=True)
        raise typer.Exit(1)
    typer.echo(_guarded(lambda: markdown_summary(store, run_id)))
    if chart:
        from sparsexlt.evaluation.chart import results_chart

        png = _guarded(lambda: results_chart(store, run_id))
        typer.echo(f"chart: {png}", err=True)
