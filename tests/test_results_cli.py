"""`sparsexlt results …` through Typer's CliRunner on the real app."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from sparsexlt.cli import app
from sparsexlt.evaluation.store import ResultRow, ResultsStore

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """Two runs; the later one (config-b) has results for two targets and two methods."""
    path = tmp_path_factory.mktemp("cli") / "results.duckdb"
    store = ResultsStore(path)
    old = store.start_run("config-a", "{}", "old-run")
    store.record_results([ResultRow("nusax", "lt-sft", "zs", "eng", "ace", "f1", 0.11, run_id=old)])
    new = store.start_run("config-b", "{}", "new-run")
    store.record_results(
        [
            ResultRow("nusax", "lt-sft", "zs", "eng", "ace", "f1", 0.6125, run_id=new),
            ResultRow("nusax", "lt-sft", "zs", "eng", "ban", "f1", 0.4375, run_id=new),
            ResultRow("nusax", "lora", "zs", "eng", "ace", "f1", 0.5, run_id=new),
        ]
    )
    store.finish_run(new, "succeeded")
    return path, old, new


def _invoke(*args):
    return runner.invoke(app, ["results", *args])


def test_sql_prints_json_csv_and_a_table(db):
    path, _, _ = db
    sql = "SELECT target_lang, value FROM results WHERE method = 'lt-sft' ORDER BY value"
    result = _invoke("sql", sql, "--db", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"target_lang": "ace", "value": 0.11},
        {"target_lang": "ban", "value": 0.4375},
        {"target_lang": "ace", "value": 0.6125},
    ]
    result = _invoke("sql", sql, "--db", str(path), "--csv")
    assert list(csv.reader(io.StringIO(result.stdout)))[:2] == [
        ["target_lang", "value"],
        ["ace", "0.11"],
    ]
    result = _invoke(
        "sql", "SELECT method, n_languages FROM method_comparison ORDER BY 1", "--db", str(path)
    )
    assert result.exit_code == 0
    assert "lt-sft" in result.stdout and "n_languages" in result.stdout


def test_sql_uses_the_environment_database(db, monkeypatch):
    path, _, _ = db
    monkeypatch.setenv("SPARSEXLT_RESULTS_DB", str(path))
    result = _invoke("sql", "SELECT count(*) AS n FROM results", "--json")
    assert json.loads(result.stdout) == [{"n": 4}]


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM results",
        "INSERT INTO runs (run_id) VALUES ('x')",
        "UPDATE results SET value = 1",
        "CREATE TABLE t AS SELECT 1",
        "DROP VIEW best_by_language",
        "ATTACH 'other.duckdb' AS other",
        "COPY (SELECT 1) TO 'out.csv'",
        "EXPLAIN ANALYZE COPY (SELECT 1) TO 'out.csv'",
        "SELECT * FROM read_text('../../etc/hostname')",
        "SELECT * FROM (PIVOT results ON metric USING avg(value))",
        "SELECT 1; DELETE FROM results",
    ],
)
def test_sql_refuses_writes(db, statement, tmp_path, monkeypatch):
    path, _, _ = db
    monkeypatch.chdir(tmp_path)
    result = _invoke("sql", statement, "--db", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith("error:")
    assert "refused" in result.stderr or "exactly one SQL statement" in result.stderr
    assert not (tmp_path / "out.csv").exists()
    count = _invoke("sql", "SELECT count(*) AS n FROM results", "--db", str(path), "--json")
    assert json.loads(count.stdout) == [{"n": 4}]


def test_sql_reads_ctes_comments_and_a_pivot_with_its_columns(db):
    path, _, _ = db
    sql = (
        "with r as (select * from results where run_id is not null)  -- a comment\n"
        "select * from (pivot r on method in ('lora', 'lt-sft') using count(*) group by metric)"
    )
    result = _invoke("sql", sql, "--db", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"metric": "f1", "lora": 1, "lt-sft": 3}]


def test_sql_reports_bad_sql_and_missing_database(db, tmp_path):
    path, _, _ = db
    result = _invoke("sql", "SELECT * FROM no_such_table", "--db", str(path))
    assert result.exit_code == 2 and "no_such_table" in result.stderr
    result = _invoke("sql", "SELECT 1", "--db", str(tmp_path / "absent.duckdb"))
    assert result.exit_code == 2 and "absent.duckdb: no results database" in result.stderr
    result = _invoke("sql", "SELECT 1", "--db", str(path), "--json", "--csv")
    assert result.exit_code != 0


def test_show_defaults_to_the_latest_run(db):
    path, old, new = db
    result = _invoke("show", "--db", str(path))
    assert result.exit_code == 0, result.output
    assert new in result.stdout and "new-run" in result.stdout
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in result.stdout.splitlines()]
    rows = {row[1]: row[2:] for row in cells if row and row[0] == "zs"}
    assert rows == {"lora": ["0.5", "–", "0.5"], "lt-sft": ["0.6125", "0.4375", "0.525"]}
    assert "0.11" not in result.stdout
    result = _invoke("show", "--db", str(path), "--run", old)
    assert "0.11" in result.stdout and "0.6125" not in result.stdout
    result = _invoke("show", "--db", str(path), "--run", "nope")
    assert result.exit_code == 2 and "nope" in result.stderr


def test_runs_lists_every_run(db):
    path, old, new = db
    result = _invoke("runs", "--db", str(path))
    assert result.exit_code == 0, result.output
    assert old in result.stdout and new in result.stdout
    assert "succeeded" in result.stdout and "running" in result.stdout


def test_export_writes_parquet_files(db, tmp_path):
    path, _, _ = db
    out = tmp_path / "export"
    result = _invoke("export", "--parquet", str(out), "--db", str(path))
    assert result.exit_code == 0, result.output
    printed = sorted(result.stdout.split())
    assert printed == sorted(str(p) for p in out.glob("*.parquet"))
    assert str(out / "best_by_language.parquet") in printed


def test_report_prints_markdown_and_writes_the_chart(db):
    path, _, new = db
    result = _invoke("report", "--db", str(path), "--chart")
    assert result.exit_code == 0, result.output
    assert "| scenario | method | ace | ban | average |" in result.stdout
    assert "| zs | lt-sft | **0.6125** | 0.4375 | **0.525** |" in result.stdout
    png = path.parent / f"{new}-results.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert f"chart: {png}" in result.stderr


def test_export_onto_a_file_is_a_clear_error(db, tmp_path):
    path, _, _ = db
    afile = tmp_path / "afile"
    afile.write_text("x")
    for target in (afile, afile / "sub"):
        result = _invoke("export", "--db", str(path), "--parquet", str(target))
        assert result.exit_code == 2
        assert result.stderr.strip() == (
            f"error: {target}: a file is in the way; the export writes a folder of Parquet files"
        )


def test_an_empty_database_is_a_runtime_error_not_a_usage_error(tmp_path):
    path = tmp_path / "empty.duckdb"
    ResultsStore(path).start_run("config-c", "{}", "no-results-yet")
    result = _invoke("show", "--db", str(path))
    assert result.exit_code == 1 and "no run has results yet" in result.stderr


def test_without_db_the_error_points_at_the_run_databases_it_finds(db, tmp_path, monkeypatch):
    import shutil

    path, _, _ = db
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPARSEXLT_RESULTS_DB", raising=False)
    (tmp_path / "runs" / "demo").mkdir(parents=True)
    shutil.copy(path, tmp_path / "runs" / "demo" / "results.duckdb")
    result = _invoke("show")
    assert result.exit_code == 2
    assert "pass --db, e.g. runs/demo/results.duckdb" in result.stderr
