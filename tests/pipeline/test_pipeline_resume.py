"""A run killed mid-way resumes: the re-run computes only what was missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pipeline_support import DEMO, FAST

from sparsexlt.evaluation.store import ResultsStore
from sparsexlt.recipe.artifacts import builds

pytestmark = pytest.mark.slow

SCENARIOS = ["scenarios=[zs, fs-single]"]
SPARSEXLT = Path(sys.executable).parent / "sparsexlt"


def test_a_killed_run_resumes_without_recomputing_finished_steps(child_env, tmp_path):
    from sparsexlt.flows import xlt_pipeline

    out = tmp_path / "out"
    settings = [arg for o in FAST + SCENARIOS for arg in ("--set", o)]
    child = subprocess.Popen(
        [str(SPARSEXLT), "run", str(DEMO), "--output-dir", str(out), *settings],
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while sum(b["kind"] == "task-sft" for b in builds(out)) < 2:
            assert child.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline, "no task SFT finished in time"
            time.sleep(0.1)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    before = {(b["kind"], b["key"]) for b in builds(out)}
    assert not any(kind == "evaluation" for kind, _ in before)  # really cut short

    result = xlt_pipeline(str(DEMO), overrides=FAST + SCENARIOS, output_dir=str(out))

    every = [(b["kind"], b["key"]) for b in builds(out)]
    assert len(every) == len(set(every)), "an artifact was computed twice"
    assert before < set(every)
    assert result["rows"] == 2 * 4 * 2  # methods × (zs, fs-single) × 2 targets × metrics
    statuses = [
        r["status"]
        for r in ResultsStore(result["db_path"])
        .query("SELECT status FROM runs ORDER BY started_at")
        .dicts()
    ]
    assert statuses == ["running", "succeeded"]  # the killed run never got to finish
