"""A scheduled deployment that onboards one target language.

It runs `xlt_pipeline` restricted to that language (`targets=[code]`): the language's SFT for
each method, the translation into it when NLLB supports it, the task SFTs its evaluations need
(found finished unless their mix changed with the new language: fs-single/ttrain-single for it,
and the "-all" mixes), and the evaluations of the composed models on it. Everything else is
cached from earlier runs, so onboarding costs only what is new.

The deployment names the flow by module path (`sparsexlt.flows.pipeline.xlt_pipeline`), so any
process worker with sparsexlt installed can run it, and stores the config path, `output_dir`,
`results_db`, `data_dir` and local model folders as absolute paths (as resolved where the
deployment was made), so the worker's working directory does not matter. Its name carries the
config's name (`onboard-<config name>-<code>`): configs that share a language (ud-pos and
ud-dp) get a deployment each instead of replacing each other's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sparsexlt.errors import ConfigError, DeterministicError

DEFAULT_POOL = "sparsexlt-process"
PINNED = ("output_dir", "results_db", "data_dir")


def deployment_name(config_name: str, language: str) -> str:
    return f"onboard-{config_name}-{language}"


def onboarding_parameters(
    config_path: str | Path, language: str, overrides: list[str] | None = None
) -> dict[str, Any]:
    """Flow parameters of an onboarding run; checks that `language` is a target of the config.

    `overrides` are kept, followed by `output_dir`, `results_db`, `data_dir` and any local model
    folder pinned to the absolute paths the loaded config has (as resolved here, now); the
    values are JSON-quoted, so they are read back verbatim."""
    return _onboarding(config_path, language, overrides)[1]


def _onboarding(
    config_path: str | Path, language: str, overrides: list[str] | None
) -> tuple[Any, dict[str, Any]]:
    """(the loaded config, the flow parameters) of `onboarding_parameters`."""
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
    parameters = {
        "config_path": str(config_path),
        "targets": [language],
        "overrides": overrides + pinned_paths(config),
    }
    return config, parameters


def pinned_paths(config: Any) -> list[str]:
    """`key="absolute path"` overrides of the config's paths (local model folders included)."""
    from sparsexlt.config.loader import MODEL_PATHS
    from sparsexlt.config.overrides import verbatim

    values = {key: getattr(config, key) for key in PINNED}
    for section, field in MODEL_PATHS:
        ref = getattr(getattr(config, section), field)
        if Path(ref).is_absolute():  # a local folder, made absolute by the loader
            values[f"{section}.{field}"] = ref
    return [verbatim(key, value) for key, value in values.items()]


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

    config, parameters = _onboarding(config_path, language, overrides)
    return xlt_pipeline.to_deployment(
        name=deployment_name(config.name, language),
        cron=cron,
        parameters=parameters,
        work_pool_name=pool,
        entrypoint_type=EntrypointType.MODULE_PATH,
        description=f"Onboard target language {language}: its language SFT, translate-train "
        "data if NLLB has it, the task SFTs that need it, and evaluation on it.",
        tags=["sparsexlt", f"config:{config.name}", f"language:{language}"],
    )


def add_language_deployment(
    config_path: str | Path,
    language: str,
    *,
    cron: str | None,
    pool: str = DEFAULT_POOL,
    overrides: list[str] | None = None,
) -> str:
    """Register the onboarding deployment on work pool `pool`; returns its full name.

    Raises `DeterministicError` when the server has no such pool (checked first: moving an
    existing deployment to a missing pool is an internal server error in Prefect 3.9)."""
    deployment = onboarding_deployment(
        config_path, language, cron=cron, overrides=overrides, pool=pool
    )
    _check_pool(pool)
    deployment.apply(work_pool_name=pool)
    return f"xlt-pipeline/{deployment.name}"


def _check_pool(pool: str) -> None:
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            raise DeterministicError(
                f"work pool {pool!r} not found on the Prefect server; create it with: "
                f"prefect work-pool create {pool} --type process"
            ) from None
