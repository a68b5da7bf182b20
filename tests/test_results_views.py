"""Views on hand-made results, the duckdb 1.5 CLI reading the file, Parquet export, reports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sparsexlt.evaluation.chart import default_chart_path, results_chart
from sparsexlt.evaluation.report import markdown_summary, run_tables
from sparsexlt.evaluation.store import ResultRow, ResultsStore
from sparsexlt.evaluation.store_export import export_parquet
from sparsexlt.evaluation.store_schema import TABLES, VIEWS

# (method, scenario, target, split, seed, value) of experiment A: seed 0 in run A0 (config
# "config-a0"), seed 1 in run A1 ("config-a1"), both of experiment "exp-a".
RUN_A0 = [
    ("lt-sft", "zs", "ace", "test", 0, 0.50),
    ("lt-sft", "zs", "ban", "test", 0, 0.40),
    ("lora", "zs", "ace", "test", 0, 0.55),
    ("lora", "zs", "ban", "test", 0, 0.49),
    ("lt-sft", "fs-all", "ace", "test", 0, 0.65),
    ("lt-sft", "fs-all", "ban", "test", 0, 0.35),
    ("lt-sft", "zs", "ace", "validation", 0, 0.99),
]
RUN_A1 = [("lt-sft", "zs", "ace", "test", 1, 0.70), ("lt-sft", "zs", "ban", "test", 1, 0.60)]


def _rows(spec, run_id):
    return [
        ResultRow(task="nusax", method=m, scenario=s, sources="eng", target=t, metric="f1",
                  split=sp, seed=seed, value=v, run_id=run_id)
        for m, s, t, sp, seed, v in spec
    ]  # fmt: skip


def _run(store, config, experiment, spec) -> str:
    run_id = store.start_run(config, {"name": config}, config, experiment_hash=experiment)
    store.record_results(_rows(spec, run_id))
    store.finish_run(run_id, "succeeded")
    return run_id


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[ResultsStore, tuple[str, str], str]:
    """Experiment A in two runs (seeds 0 and 1); then run B, another experiment (a smoke test,
    say), re-measures lt-sft/zs/ace on the test split with seed 0."""
    store = ResultsStore(tmp_path_factory.mktemp("views") / "results.duckdb")
    run_a0 = _run(store, "config-a0", "exp-a", RUN_A0)
    run_a1 = _run(store, "config-a1", "exp-a", RUN_A1)
    run_b = _run(store, "config-b", "exp-b", [("lt-sft", "zs", "ace", "test", 0, 0.90)])
    return store, (run_a0, run_a1), run_b


def test_latest_results_keeps_the_seeds_of_the_newest_experiment_per_setting(sample):
    store, (run_a0, run_a1), run_b = sample
    assert store.query("SELECT count(*) FROM results").rows == [(10,)]
    latest = (
        "SELECT seed, value, run_id FROM latest_results WHERE method = 'lt-sft' "
        "AND scenario = 'zs' AND target_lang = '{}' AND split = 'test' ORDER BY seed"
    )
    assert store.query(latest.format("ban")).rows == [(0, 0.40, run_a0), (1, 0.60, run_a1)]
    # B is another experiment: its one seed replaces A's two, never averaged with A's seed 1
    assert store.query(latest.format("ace")).rows == [(0, 0.90, run_b)]
    assert store.query("SELECT count(*) FROM latest_results").rows == [(8,)]


def test_results_of_runs_without_an_experiment_hash_are_each_their_own_experiment(tmp_path):
    store = ResultsStore(tmp_path / "results.duckdb")
    _run(store, "config-0", None, [("lt-sft", "zs", "ace", "test", 0, 0.5)])
    _run(store, "config-1", None, [("lt-sft", "zs", "ace", "test", 1, 0.7)])
    assert store.query("SELECT seed, value FROM latest_results").rows == [(1, 0.7)]


def test_best_by_language_averages_seeds_and_keeps_splits_apart(sample):
    store, _, _ = sample
    rows = store.query(
        "SELECT target_lang, split, method, scenario, round(value, 6), n_seeds "
        "FROM best_by_language ORDER BY target_lang, split"
    ).rows
    assert rows == [
        ("ace", "test", "lt-sft", "zs", 0.9, 1),  # experiment B's seed 0 replaced A's seeds
        ("ace", "validation", "lt-sft", "zs", 0.99, 1),
        ("ban", "test", "lt-sft", "zs", 0.5, 2),  # mean(0.40 seed 0, 0.60 seed 1) beats lora
    ]


def test_method_comparison_averages_over_languages(sample):
    store, _, _ = sample
    rows = store.query(
        "SELECT scenario, method, round(mean_value, 6), n_languages, min_value, max_value "
        "FROM method_comparison WHERE split = 'test' ORDER BY scenario, method"
    ).rows
    assert rows == [
        ("fs-all", "lt-sft", 0.5, 2, 0.35, 0.65),
        ("zs", "lora", 0.52, 2, 0.49, 0.55),
        ("zs", "lt-sft", 0.7, 2, 0.5, 0.9),  # ace 0.9 (B), ban mean(0.4, 0.6)
    ]


def test_run_overview_counts_rows_per_run(sample):
    store, (run_a0, run_a1), run_b = sample
    rows = store.query("SELECT run_id, status, n_results FROM run_overview ORDER BY run_id").rows
    assert rows == [(run_a0, "succeeded", 7), (run_a1, "succeeded", 2), (run_b, "succeeded", 1)]


def _duckdb_cli() -> str:
    found = Path(sys.executable).with_name("duckdb")
    cli = str(found) if found.exists() else shutil.which("duckdb")
    if cli is None:
        pytest.fail("the duckdb command (pip install duckdb-cli, a dev dependency) is missing")
    return cli


def test_duckdb_cli_1_5_reads_the_tables_and_views(sample):
    store, _, _ = sample
    cli = _duckdb_cli()
    version = subprocess.run([cli, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("v1.5")
    sql = (
        "SELECT (SELECT count(*) FROM results) AS n_results, "
        "(SELECT count(*) FROM runs) AS n_runs, "
        "(SELECT method FROM best_by_language WHERE target_lang = 'ban') AS best_ban, "
        "(SELECT count(*) FROM method_comparison) AS n_cmp, "
        "(SELECT count(*) FROM latest_results) AS n_latest, "
        "(SELECT count(*) FROM run_overview) AS n_overview"
    )
    done = subprocess.run(
        [cli, "-readonly", "-json", str(store.path), "-c", sql],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"n_results": 10, "n_runs": 3, "best_ban": "lt-sft", "n_cmp": 4, "n_latest": 8,
         "n_overview": 3}
    ]  # fmt: skip


def test_export_writes_one_readable_parquet_per_table_and_view(sample, tmp_path):
    store, _, _ = sample
    written = export_parquet(store, tmp_path / "pq")
    assert sorted(p.name for p in written) == sorted(f"{n}.parquet" for n in (*TABLES, *VIEWS))
    assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == sorted(p.name for p in written)
    con = duckdb.connect()
    try:
        for name in (*TABLES, *VIEWS):
            (n,) = con.execute(
                "SELECT count(*) FROM read_parquet(?)", [str(written[0].parent / f"{name}.parquet")]
            ).fetchone()
            (expected,) = store.query(f"SELECT count(*) FROM {name}").rows[0]
            assert n == expected, name
        best = con.execute(
            "SELECT method FROM read_parquet(?) WHERE target_lang = 'ace' AND split = 'test'",
            [str(tmp_path / "pq" / "best_by_language.parquet")],
        ).fetchall()
    finally:
        con.close()
    assert best == [("lt-sft",)]


def test_run_tables_pivot_target_by_scenario_method(sample):
    store, (run_a, _), _ = sample
    tables = run_tables(store, run_a)
    assert [(t.task, t.metric, t.split) for t in tables] == [
        ("nusax", "f1", "test"),
        ("nusax", "f1", "validation"),
    ]
    test = tables[0]
    assert test.columns == ["fs-all/lt-sft", "zs/lora", "zs/lt-sft"]
    assert test.rows["ace"] == {"fs-all/lt-sft": 0.65, "zs/lora": 0.55, "zs/lt-sft": 0.50}
    assert test.averages()["zs/lora"] == pytest.approx(0.52)


def test_markdown_summary_contains_the_numbers(sample):
    store, (run_a, _), _ = sample
    text = markdown_summary(store, run_a)
    assert f"`{run_a}` (config-a0)" in text
    assert "### nusax — f1 (test)" in text
    # a row per setting in the recipe's scenario order, a column per target: best per column
    table = text.split("### nusax — f1 (test)")[1].split("###")[0].strip().splitlines()
    assert table == [
        "| scenario | method | ace | ban | average |",
        "|---|---|---:|---:|---:|",
        "| zs | lora | 0.55 | **0.49** | **0.52** |",
        "| zs | lt-sft | 0.5 | 0.4 | 0.45 |",
        "| fs-all | lt-sft | **0.65** | 0.35 | 0.5 |",
    ]
    assert "| zs | lt-sft | 0.99 | 0.99 |" in text  # validation table, one row: no bold


def test_chart_png_is_written_beside_the_database(sample):
    store, (run_a, _), _ = sample
    out = results_chart(store, run_a)
    assert out == default_chart_path(store, run_a) and out.parent == store.path.parent
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 400 and height >= 2 * 300  # two panels (test and validation)
