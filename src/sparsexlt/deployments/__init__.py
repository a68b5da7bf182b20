"""Deployments: scheduled per-language onboarding runs on Prefect work pools.

- `language.add_language_deployment(...)`: a cron-scheduled deployment of `xlt_pipeline`
  restricted to one target language (its language SFT, translation if NLLB has it, the task SFTs
  whose mix needs it, evaluation of the composed models on it).
- `serve.serve_deployments(...)`: run deployments in-process with `flow.serve` (no worker).
- `prefect.yaml`: the same for `prefect deploy` with a process work pool.
- `prefect_env.prefect_defaults(...)`: settings that make Prefect work without any setup.
This package imports Prefect lazily (its modules do), so the CLI starts fast.
"""
