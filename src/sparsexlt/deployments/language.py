"""A scheduled deployment that onboards one target language.

It runs `xlt_pipeline` restricted to that language (`targets=[code]`): the language's SFT for
each method, the translation into it when NLLB supports it, the task SFTs its evaluations need
(found finished unless their mix changed with the new language: fs-single/ttrain-single for it,
and the "-all" mixes), and the evaluations of the composed models on it. Everything else is
cached from earlier runs, so onboarding costs only what is new.

The deployment names the flow by module path (`sparsexlt.flows.pipeline.xlt_pipeline`), so any
process worker with sparsexlt installed can run it, and stores the config path and output
folder as absolute paths, so the worker's working directory does not matter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sparsexlt.errors import ConfigError

DEFAULT_POOL = "sparsexlt-process"


def deployment_name(language: str) -> str:
    return f"onboard-{language}"


def onboarding_parameters(
    config_path: str | Path, language: str, overrides: list[str] | None = None
) -> dict[str, Any]:
    """Flow parameters of an onboarding run; checks that `language` is a target of the config.

    A relative `output_dir` is pinned to an absolute one (as resolved here, now)."""
    from sparsexlt.config import load_config

    config_path = Path(config_path).resolve()
    overrides = list(overrides or [])
    config = load_config(config_path, overrides)
    if language not in [t.code for t in config.targets]:
        targets = ", ".join(t.code for t in config.targets)
        raise ConfigError(
            config_path,
            [
                f"languages: {language!r} is not a target language of this config (targets: "
                f"{targets}); add it to `languages` with role: target first"
            ],
        )
    if not any(o.startswith("output_dir=") for o in overrides):
        overrides.append(f"output_dir={config.output_dir}")
    return {"config_path": str(config_path), "targets": [language], "overrides": overrides}


def onboarding_deployment(
    config_path: str | Path,
    language: str,
    *,
    cron: str | None = None,
    overrides: list[str] | None = None,
    pool: str | None = None,
):
    """The `RunnerDeployment` of an onboarding run (not yet registered with the API)."""
    from prefect.types.entrypoint import EntrypointType

    from sparsexlt.flows.pipeline import xlt_pipeline

    return xlt_pipeline.to_deployment(
        name=deployment_name(language),
        cron=cron,
        parameters=onboarding_parameters(config_path, language, overrides),
        work_pool_name=pool,
        entrypoint_type=EntrypointType.MODULE_PATH,
        description=f"Onboard target language {language}: its language SFT, translate-train "
        "data if NLLB has it, the task SFTs that need it, and evaluation on it.",
        tags=["sparsexlt", f"language:{language}"],
    )


def add_language_deployment(
    config_path: str | Path,
    language: str,
    *,
    cron: str | None,
    pool: str = DEFAULT_POOL,
    overrides: list[str] | None = None,
) -> str:
    """Register the onboarding deployment on work pool `pool`; returns its full name."""
    deployment = onboarding_deployment(
        config_path, language, cron=cron, overrides=overrides, pool=pool
    )
    deployment.apply(work_pool_name=pool)
    return f"xlt-pipeline/{deployment_name(language)}"
