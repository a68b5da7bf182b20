"""One SFT on its own (for `sparsexlt train`): the job from the plan, plus what it needs.

A task SFT needs its mix's language SFTs and translations; they are produced first (or found
finished), exactly as the pipeline would, so the artifact is the same one a full run makes.
Plain Python, no Prefect: runs under `accelerate launch` / `torchrun` like any script (the
pipeline's steps launch it so with `execution.launcher`). Under a launcher, after
`training.distributed.init_from_environment()` (the caller's): rank 0 alone builds the base
model and any missing translation (`main_process_first`; the others then find them), every
rank trains the language SFTs and the SFT asked for together, and rank 0 alone publishes.
"""

from __future__ import annotations

from sparsexlt.config import PipelineConfig
from sparsexlt.errors import ConfigError
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.base_model import prepare_base_model
from sparsexlt.recipe.language_sft import train_language_sft
from sparsexlt.recipe.plan import Plan, TaskSFTJob, build_plan, plan_base
from sparsexlt.recipe.task_sft import train_task_sft
from sparsexlt.recipe.translate import produce_translations


def _plan(config: PipelineConfig, method: str, scenario: str | None) -> tuple[Plan, ArtifactRef]:
    from sparsexlt.training.distributed import main_process_first

    base_job = plan_base(config)
    with main_process_first():
        base = prepare_base_model(base_job, config.output_dir)
    scenarios = [scenario] if scenario else None
    try:
        plan = build_plan(
            config, base_job, base.info["fingerprint"], methods=[method], scenarios=scenarios
        )
    except KeyError as err:
        raise ConfigError(config.source_path or config.name, [str(err.args[0])]) from None
    return plan, base


def train_one_language_sft(config: PipelineConfig, method: str, language: str) -> ArtifactRef:
    """The language SFT of (`method`, `language`)."""
    plan, base = _plan(config, method, None)
    for job in plan.language_sfts:
        if job.language == language:
            return train_language_sft(job, base, config.output_dir)
    have = ", ".join(j.language for j in plan.language_sfts) or "none"
    raise ConfigError(
        config.source_path or config.name,
        [
            f"no language SFT for {language!r} with method {method!r} (languages with unlabelled "
            f"data: {have})"
        ],
    )


def train_one_task_sft(
    config: PipelineConfig, method: str, scenario: str, target: str | None = None
) -> ArtifactRef:
    """The task SFT of (`method`, `scenario`[, `target` for "-single" scenarios])."""
    from sparsexlt.training.distributed import main_process_first

    plan, base = _plan(config, method, scenario)
    job = _pick(plan.task_sfts, target, config)
    out = config.output_dir
    wanted_lang = {p.language_sft_key for p in job.parts}
    language = {
        j.key: train_language_sft(j, base, out) for j in plan.language_sfts if j.key in wanted_lang
    }
    with main_process_first():
        wanted = {p.translation_key for p in job.parts} - {None}
        translations, _ = produce_translations(plan, out, wanted)
    return train_task_sft(job, base, language, translations, out)


def _pick(jobs: list[TaskSFTJob], target: str | None, config: PipelineConfig) -> TaskSFTJob:
    singles = [j for j in jobs if j.target is not None]
    if singles and target is None:
        options = ", ".join(sorted(j.target for j in singles))
        raise ConfigError(config.source_path or config.name, [f"--target: pick one of {options}"])
    for job in jobs:
        if job.target == target:
            return job
    raise ConfigError(config.source_path or config.name, [f"--target: no task SFT for {target!r}"])
