"""The demo end to end as a Prefect flow: rows in DuckDB, Prefect artifacts, a cached re-run,
and an invalid config that fails before any task starts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pipeline_support import DEMO, FAST

from sparsexlt.errors import ConfigError
from sparsexlt.evaluation.store import ResultsStore
from sparsexlt.recipe.artifacts import builds

pytestmark = pytest.mark.slow

STEP_TASKS = ("base-model", "language-sft", "translator", "translate", "task-sft", "evaluate")


@pytest.fixture(scope="module")
def demo_run(prefect_server, tmp_path_factory):
    """One cold run of the (shrunk) demo; (output folder, flow result, seconds)."""
    from sparsexlt.flows import xlt_pipeline

    out = tmp_path_factory.mktemp("demo-run")
    start = time.perf_counter()
    result = xlt_pipeline(str(DEMO), overrides=FAST, output_dir=str(out))
    return out, result, time.perf_counter() - start


def test_every_evaluation_lands_in_duckdb(demo_run):
    out, result, _ = demo_run
    store = ResultsStore(result["db_path"])
    rows = store.query(
        "SELECT method, scenario, target_lang, metric, value, source_langs FROM results"
    ).dicts()
    # 2 methods × 13 (scenario, target) pairs × 2 metrics; mad has no ttrain-single
    assert len(rows) == result["rows"] == 52
    cells = {(r["method"], r["scenario"], r["target_lang"]) for r in rows}
    assert ("lt-sft", "ttrain-single", "jav") in cells
    assert ("lt-sft", "ttrain-single", "mad") not in cells
    assert all(0.0 <= r["value"] <= 1.0 for r in rows)
    fs = {r["source_langs"] for r in rows if r["scenario"] == "fs+ttrain-all"}
    assert fs == {"ind,jav,mad"}
    run = store.get_run(result["run_id"])
    assert run.status == "succeeded"
    kinds = {r["kind"] for r in store.query("SELECT kind FROM artifacts").dicts()}
    assert kinds == {"base-model", "language-sft", "translator", "translation", "task-sft"}
    assert Path(result["chart"]).is_file() and Path(result["chart"]).parent == out
    assert any("mad is not in NLLB-200" in n for n in result["notes"])


def test_prefect_table_and_markdown_artifacts_exist(demo_run):
    from prefect import get_client

    with get_client(sync_client=True) as client:
        artifacts = {a.key: a for a in client.read_artifacts()}
    table, summary = artifacts["demo-results"], artifacts["demo-summary"]
    assert table.type == "table" and len(json.loads(table.data)) == 52
    assert summary.type == "markdown" and "plumbing" in summary.data


def test_a_second_run_recomputes_nothing(demo_run):

    from sparsexlt.flows import xlt_pipeline

    out, first, cold_s = demo_run
    built_before = builds(out)
    since = time.time()
    start = time.perf_counter()
    second = xlt_pipeline(str(DEMO), overrides=FAST, output_dir=str(out))
    warm_s = time.perf_counter() - start
    assert builds(out) == built_before  # no artifact was computed again
    assert second["rows"] == 52 and second["run_id"] != first["run_id"]
    steps = _step_runs_since(since)
    assert len(steps) >= 40
    assert {r.state.name for r in steps} == {"Cached"}
    assert warm_s < cold_s / 2


def _step_runs_since(since: float, timeout: float = 30.0) -> list:
    """Step task runs started after `since`, once the server has recorded their final states
    (Prefect records task-run states from events, asynchronously)."""
    from datetime import datetime, timezone

    from prefect import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterStartTime

    after = datetime.fromtimestamp(since - 1, timezone.utc)
    started = TaskRunFilter(start_time=TaskRunFilterStartTime(after_=after))
    subflows = ("language-sfts-", "translate-train-data-", "task-sfts-", "evaluate-0")
    deadline = time.monotonic() + timeout
    while True:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(task_run_filter=started)
        steps = [
            r for r in runs if r.name.startswith(STEP_TASKS) and not r.name.startswith(subflows)
        ]
        if all(r.state.is_final() for r in steps) or time.monotonic() > deadline:
            return steps
        time.sleep(0.5)


def test_an_invalid_config_fails_before_any_task_starts(prefect_server, tmp_path):
    from sparsexlt.flows import xlt_pipeline

    schema = ["languages.jav.few_shot.k=0", "methods.lt-sft.task.lr=-1", "scenarios=[zz]"]
    with pytest.raises(ConfigError) as err:
        xlt_pipeline(str(DEMO), overrides=schema, output_dir=str(tmp_path / "out"))
    assert len(err.value.problems) == 3  # every problem at once
    assert not (tmp_path / "out").exists()  # not even the results database
    recipe = ["methods.spiel-ag.task.extra={bogus: 1}", "methods.lt-sft.task.extra={nope: 2}"]
    with pytest.raises(ConfigError) as err:
        xlt_pipeline(str(DEMO), overrides=recipe, output_dir=str(tmp_path / "out"))
    assert len(err.value.problems) == 2 and "bogus" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_the_stages_run_on_their_own_and_find_the_pipelines_artifacts(demo_run):
    """The subflows are usable alone (e.g. re-evaluating after a change): run on the demo's
    folder with the plan's jobs, they return the artifacts the pipeline made, and build none."""
    from sparsexlt.config import load_config
    from sparsexlt.flows import evaluate_flow, language_sft_flow, task_sft_flow, translate_flow
    from sparsexlt.recipe.plan import build_plan, plan_base
    from sparsexlt.tasks import base_model_task

    out, result, _ = demo_run
    built_before = builds(out)
    config = load_config(DEMO, [*FAST, f"output_dir={out}"])
    base_job = plan_base(config)
    base = base_model_task.fn(base_job, str(out))  # a plain call: no flow run around it
    plan = build_plan(config, base_job, base.info["fingerprint"])

    language = language_sft_flow(plan.language_sfts, base, str(out))
    translated = translate_flow(plan.translator, plan.translations, str(out), plan.mt_adaptations)
    task = task_sft_flow(plan.task_sfts, base, language, translated, str(out))
    scores = evaluate_flow(plan.evaluations, base, task, language, str(out))

    assert builds(out) == built_before
    assert set(scores) == {job.key for job in plan.evaluations}
    store = ResultsStore(result["db_path"])
    recorded = {r["key"] for r in store.query("SELECT key FROM artifacts").dicts()}
    assert {ref.key for ref in [*language.values(), *task.values()]} <= recorded
