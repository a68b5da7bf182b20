"""Prefect's task cache never hands back a stale step result: not another dropout's base model,
not a ref to an artifact folder that was deleted. And a mistyped --target stops the flow before
any task starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pipeline_support import DEMO

from sparsexlt.errors import ConfigError

pytestmark = pytest.mark.slow


def _resolve_base():
    """A flow that runs only the base-model step (cached like every step)."""
    from prefect import flow

    from sparsexlt.config import load_config
    from sparsexlt.recipe.plan import plan_base
    from sparsexlt.tasks import base_model_task

    @flow(name="resolve-base")
    def resolve(dropout: float, out: str):
        """(the step's final state name, its ArtifactRef)"""
        config = load_config(DEMO, [f"base_model.dropout={dropout}", f"output_dir={out}"])
        state = base_model_task(plan_base(config), out, return_state=True)
        return state.name, state.result()

    return resolve


def test_the_cached_base_model_follows_dropout_and_deleted_outputs(prefect_server, tmp_path):
    resolve, out = _resolve_base(), str(tmp_path / "out")
    runs = [resolve(p, out) for p in (0.1, 0.3, 0.1)]
    assert [(state, ref.info["dropout"]) for state, ref in runs] == [
        ("Completed", 0.1),
        ("Completed", 0.3),  # the same model folder, yet not the 0.1 result
        ("Cached", 0.1),
    ]
    shutil.rmtree(out)  # Prefect's results live elsewhere and still hold the refs
    state, ref = resolve(0.1, out)
    assert state == "Completed" and (Path(ref.path) / "config.json").is_file()


def test_an_unknown_target_fails_before_any_task_starts(prefect_server, tmp_path):
    from sparsexlt.flows import xlt_pipeline

    with pytest.raises(ConfigError, match="xyz.*jav, mad"):
        xlt_pipeline(str(DEMO), targets=["xyz"], output_dir=str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
