"""The results store: schema, runs, keyed upserts, artifacts, read-only queries."""

from __future__ import annotations

import json

import duckdb
import pytest

from sparsexlt import __version__
from sparsexlt.evaluation.store import (
    InvalidRecordError,
    ReadOnlyQueryError,
    ResultRow,
    ResultsStore,
    ResultsStoreMissingError,
    UnknownRunError,
    default_db_path,
)
from sparsexlt.evaluation.store_rows import join_languages
from sparsexlt.evaluation.store_schema import VIEWS, latest_version, view_files


def _row(**overrides) -> ResultRow:
    fields = dict(
        task="nusax", method="lt-sft", scenario="zs", sources=["ind", "eng"], target="ace",
        metric="macro_f1", value=0.5, n_examples=400,
    )  # fmt: skip
    fields.update(overrides)
    return ResultRow(**fields)


@pytest.fixture
def store(tmp_path) -> ResultsStore:
    return ResultsStore(tmp_path / "sub" / "results.duckdb", lock_timeout=10)


def _count(store: ResultsStore, sql: str = "SELECT count(*) FROM results") -> int:
    return store.query(sql).rows[0][0]


def test_schema_creation_is_idempotent(store):
    store.ensure_schema()
    ResultsStore(store.path).ensure_schema()  # a fresh instance checks the file again
    store.ensure_schema()
    versions = store.query("SELECT version, library_version FROM schema_version ORDER BY 1").rows
    assert versions == [(v, __version__) for v in range(1, latest_version() + 1)]
    tables = store.query("SELECT table_name FROM duckdb_tables() ORDER BY 1").rows
    assert [t[0] for t in tables] == [
        "artifacts",
        "results",
        "runs",
        "schema_version",
        "store_meta",
    ]
    views = store.query("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").rows
    assert sorted(v[0] for v in views) == sorted(VIEWS)
    assert sorted(VIEWS) == view_files()  # every shipped view file is installed


def test_run_lifecycle_records_config_version_and_status(store):
    run_id = store.start_run("hash-a", {"b": 2, "a": 1}, "demo", commit="abc123")
    run = store.get_run(run_id)
    assert (run.status, run.name, run.config_hash, run.git_commit) == (
        "running", "demo", "hash-a", "abc123",
    )  # fmt: skip
    assert json.loads(run.config_json) == {"a": 1, "b": 2}
    assert run.library_version == __version__ and run.ended_at is None
    store.finish_run(run_id, "failed", "boom")
    run = store.get_run(run_id)
    assert (run.status, run.message) == ("failed", "boom")
    assert run.ended_at >= run.started_at
    with pytest.raises(InvalidRecordError, match="status"):
        store.finish_run(run_id, "done")
    with pytest.raises(UnknownRunError, match="nope"):
        store.finish_run("nope", "succeeded")


def test_run_context_marks_failure_with_the_error(store):
    with pytest.raises(RuntimeError), store.run("h", "{}", "x") as run_id:
        raise RuntimeError("disk full")
    assert store.get_run(run_id).status == "failed"
    assert "disk full" in store.get_run(run_id).message
    with store.run("h", "{}", "x") as ok_id:
        pass
    assert store.get_run(ok_id).status == "succeeded"


def test_upsert_replaces_on_retry_and_keeps_other_configs(store):
    run_a = store.start_run("config-a", "{}", "a")
    assert store.record_results([_row(value=0.5), _row(target="ban", value=0.4)], run_id=run_a) == 2
    # A retried step writes the same keys again (sources in another order): replaced.
    retry = store.start_run("config-a", "{}", "a")
    store.record_results([_row(value=0.6, sources="eng, ind")], run_id=retry)
    assert _count(store) == 2
    value, run_id, sources = store.query(
        "SELECT value, run_id, source_langs FROM results WHERE target_lang = 'ace'"
    ).rows[0]
    assert (value, run_id, sources) == (0.6, retry, "eng,ind")
    # Another config adds its own rows; another seed or split is another key.
    run_b = store.start_run("config-b", "{}", "b")
    store.record_results([_row(value=0.9), _row(seed=1), _row(split="validation")], run_id=run_b)
    assert _count(store) == 5
    assert _count(store, "SELECT count(*) FROM results WHERE config_hash = 'config-b'") == 3


def test_same_key_twice_in_one_call_keeps_the_last(store):
    run_id = store.start_run("h", "{}")
    assert store.record_results([_row(value=0.1), _row(value=0.2)], run_id=run_id) == 1
    assert store.query("SELECT value FROM results").rows == [(0.2,)]


def test_rows_as_dicts_and_validation(store):
    run_id = store.start_run("h", "{}")
    store.record_results([{**_row().__dict__, "run_id": run_id}])
    assert _count(store) == 1
    with pytest.raises(InvalidRecordError, match="unknown field"):
        store.record_results([{"task": "x", "colour": "red"}], run_id=run_id)
    with pytest.raises(InvalidRecordError, match="value"):
        store.record_results([_row(value=float("nan"))], run_id=run_id)
    with pytest.raises(InvalidRecordError, match="target"):
        store.record_results([_row(target=" ")], run_id=run_id)
    with pytest.raises(InvalidRecordError, match="sources"):
        store.record_results([_row(sources=[])], run_id=run_id)
    with pytest.raises(UnknownRunError, match="missing-run"):
        store.record_results([_row()], run_id="missing-run")
    with pytest.raises(InvalidRecordError, match="run_id"):
        store.record_results([_row()])
    assert _count(store) == 1  # failed calls wrote nothing


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("seed", "1.5"),
        ("seed", None),
        ("seed", 1.7),  # int() would store seed 1 and merge it with seed 1's results
        ("seed", True),
        ("value", True),  # float() would store 1.0
        ("value", "0.5"),
        ("value", None),
        ("value", float("inf")),
    ],
)
def test_seed_must_be_an_int_and_value_a_real_finite_number(store, field, bad):
    run_id = store.start_run("h", "{}")
    with pytest.raises(InvalidRecordError, match=f"^{field}="):
        store.record_results([_row(**{field: bad})], run_id=run_id)
    assert _count(store) == 0


def test_numpy_numbers_are_accepted_as_seed_and_value(store):
    import numpy as np

    run_id = store.start_run("h", "{}")
    store.record_results([_row(seed=np.int64(3), value=np.float32(0.25))], run_id=run_id)
    assert store.query("SELECT seed, value FROM results").rows == [(3, 0.25)]


def test_join_languages_is_canonical():
    assert join_languages(["ind", "eng", "ind"]) == "eng,ind"
    assert join_languages(" jav ,eng") == "eng,jav"


def test_artifacts_upsert_on_kind_and_key(store, tmp_path):
    folder = tmp_path / "sft"
    folder.mkdir()
    (folder / "sft.safetensors").write_bytes(b"x" * 100)
    (folder / "sft.json").write_text("{}")
    assert store.get_artifact("language-sft", "k1") is None  # no database yet
    record = store.record_artifact("language-sft", "k1", folder, language="ace", method="lt-sft")
    assert record.bytes == 102
    store.record_artifact("language-sft", "k1", folder, content_hash="c2", size_bytes=7)
    store.record_artifact("task-sft", "k1", folder)
    found = store.get_artifact("language-sft", "k1")
    assert (found.path, found.content_hash, found.bytes) == (str(folder), "c2", 7)
    assert _count(store, "SELECT count(*) FROM artifacts") == 2
    with pytest.raises(InvalidRecordError, match="kind"):
        store.record_artifact("", "k", folder)


def test_query_is_read_only(store):
    store.ensure_schema()
    for sql in ("DELETE FROM results", "CREATE TABLE t(a INT)", "DROP VIEW best_by_language"):
        with pytest.raises(ReadOnlyQueryError, match="read-only"):
            store.query(sql)
    assert "best_by_language" in {r[0] for r in store.query("SHOW TABLES").rows}
    result = store.query("SELECT ? AS a, ? AS b", [1, "x"])
    assert (result.columns, result.dicts()) == (["a", "b"], [{"a": 1, "b": "x"}])


def test_reading_a_missing_database_is_a_clear_error(tmp_path):
    store = ResultsStore(tmp_path / "none.duckdb")
    with pytest.raises(ResultsStoreMissingError, match="none.duckdb"):
        store.query("SELECT 1")
    assert not (tmp_path / "none.duckdb").exists()


def test_default_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("SPARSEXLT_RESULTS_DB", raising=False)
    assert str(default_db_path()) == "runs/results.duckdb"
    monkeypatch.setenv("SPARSEXLT_RESULTS_DB", str(tmp_path / "x.duckdb"))
    assert ResultsStore().path == tmp_path / "x.duckdb"


def test_file_is_written_in_the_1_5_storage_format(store):
    store.ensure_schema()
    con = duckdb.connect(str(store.path), read_only=True)
    try:
        (tags,) = con.execute(
            "SELECT tags FROM duckdb_databases() WHERE database_name = 'results'"
        ).fetchone()
    finally:
        con.close()
    assert tags["storage_version"].startswith("v1.5.0")


def test_a_version_1_database_migrates_and_keeps_its_results(store):
    import duckdb

    from sparsexlt.evaluation import store_schema

    store.path.parent.mkdir(parents=True)
    con = duckdb.connect(str(store.path))  # a file as version 1 wrote it, views left out
    con.execute(store_schema.schema_versions()[1])
    con.execute("INSERT INTO schema_version VALUES (1, now()::TIMESTAMP, '0.0.1')")
    con.execute(
        "INSERT INTO runs VALUES ('old', 'old', 'config-old', '{}', NULL, '0.0.1', "
        "now()::TIMESTAMP, NULL, 'succeeded', NULL)"
    )
    con.execute(
        "INSERT INTO results VALUES ('config-old', 'nusax', 'lt-sft', 'zs', 'ind', 'jav', 'f1', "
        "'test', 0, 0.5, NULL, 'old', NULL, now()::TIMESTAMP)"
    )
    con.close()
    new = store.start_run("config-new", {}, "new", experiment_hash="exp")
    rows = store.query("SELECT run_id, experiment_hash FROM runs ORDER BY started_at").rows
    assert rows == [("old", None), (new, "exp")]
    assert store.query("SELECT value, experiment_hash FROM latest_results").rows == [
        (0.5, "config-old")  # a run without one is its own experiment
    ]


def test_a_later_schema_version_is_applied_once(store, monkeypatch):
    from sparsexlt.evaluation import store_schema

    store.ensure_schema()
    shipped = store_schema.schema_versions()
    later = max(shipped) + 1
    extended = {**shipped, later: "ALTER TABLE results ADD COLUMN note VARCHAR;"}
    monkeypatch.setattr(store_schema, "schema_versions", lambda: extended)
    ResultsStore(store.path).ensure_schema()
    ResultsStore(store.path).ensure_schema()  # already at `later`: the ALTER must not run again
    versions = store.query("SELECT version FROM schema_version ORDER BY 1").rows
    assert versions == [(v,) for v in range(1, later + 1)]
    assert "note" in store.query("SELECT * FROM results").columns
