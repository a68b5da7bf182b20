"""The cross-lingual transfer recipe as plain library steps (no Prefect; see DESIGN.md).

Steps, each a plain function returning an `ArtifactRef` (artifacts keyed by the content hash of
their inputs, so nothing finished is ever recomputed):

0. `prepare_base_model(job, output_dir)` — resolve or build (`tiny:`) the encoder; fingerprint;
1. `train_language_sft(job, base, output_dir)` — φ_L by masked LM, per method and language;
2. `prepare_translator(job, output_dir)`, `translate_source(job, translator, output_dir)` —
   NLLB via CTranslate2; source task data into every target NLLB supports;
3. `train_task_sft(job, base, language_sfts, translations, output_dir)` — φ_task per
   scenario (`scenarios.py` says which sources each scenario mixes);
4. `evaluate_composed(job, base, task_sft, language_sft, output_dir)` — θ + φ_task + φ_target;
5. `record_results` / `record_artifacts` / `report` — rows in DuckDB, markdown, chart.

`plan.build_plan(config, ...)` lists the jobs; `run.run_recipe(config)` runs them in order.
Names below are imported lazily, so `import sparsexlt.recipe` stays cheap.
"""

from __future__ import annotations

from sparsexlt.util.lazy import lazy_exports

_EXPORTS = {
    "ArtifactRef": "artifacts",
    "Plan": "plan",
    "build_plan": "plan",
    "plan_base": "plan",
    "describe_plan": "describe",
    "prepare_base_model": "base_model",
    "train_language_sft": "language_sft",
    "prepare_translator": "translate",
    "translate_source": "translate",
    "train_task_sft": "task_sft",
    "evaluate_composed": "evaluate",
    "result_rows": "evaluate",
    "record_results": "record",
    "record_artifacts": "record",
    "report": "record",
    "preflight": "validate",
    "run_recipe": "run",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
