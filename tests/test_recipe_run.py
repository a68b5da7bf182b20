"""The recipe in plain Python (no Prefect), with the translator adapted to a language NLLB lacks.

The demo config with a few steps, translate-train only, and `translation.adapt` giving parallel
text for `mad` (generated, sentence-aligned): `mad` gets a new language code, a fine-tuned
translator and its own translate-train data, which the plain demo skips.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sparsexlt.config import load_config
from sparsexlt.evaluation.store import ResultsStore
from sparsexlt.recipe.artifacts import builds, find
from sparsexlt.recipe.plan import build_plan
from sparsexlt.recipe.run import run_recipe

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("torch_one_thread")]

DEMO = Path(__file__).resolve().parents[1] / "configs" / "demo.yaml"
ADAPT = (
    "translation.adapt={method: full, training: {steps: 4, batch_size: 8, lr: 0.001}, "
    "data: {mad: {source: {format: demo}, target: {format: demo}}}}"
)


def test_plain_run_adapts_the_translator_to_a_language_nllb_lacks(tmp_path):
    config = load_config(
        DEMO,
        [
            f"output_dir={tmp_path}",
            "scenarios=[ttrain-single]",
            "methods=[{name: spiel-ag, language: {steps: 2}, task: {steps: 3}}]",
            ADAPT,
        ],
    )
    report = run_recipe(config, chart=False)

    rows = (
        ResultsStore(report.db_path)
        .query("SELECT target_lang, metric FROM results ORDER BY 1, 2")
        .rows
    )
    assert rows == [
        ("jav", "accuracy"), ("jav", "macro_f1"), ("mad", "accuracy"), ("mad", "macro_f1"),
    ]  # fmt: skip
    plan = build_plan(config)
    (adapt,) = plan.mt_adaptations
    built = find(tmp_path, "mt-adapt", adapt.key)
    assert built.info["code_added"] and built.info["target_code"] == "mad_Latn"
    assert set(built.info["before"]) >= {"chrf", "bleu"} and built.info["train_pairs"] > 0
    (to_mad,) = [t for t in plan.translations if t.target == "mad"]
    assert to_mad.translator_key == adapt.key and to_mad.tgt_code == "mad_Latn"
    assert find(tmp_path, "translation", to_mad.key).info["examples"] > 0
    kinds = [b["kind"] for b in builds(tmp_path)]
    assert kinds.count("mt-adapt") == 1 and kinds.count("translation") == 2

    again = run_recipe(config, chart=False)
    assert len(builds(tmp_path)) == len(kinds)  # the second run computes nothing
    assert again.rows == 4
