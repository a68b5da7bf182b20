"""Checks that need more than the config schema, run before any step starts.

`load_config` already validated the config and checked that every local data file exists. What
only the recipe can tell is checked here, and every problem is reported at once in one
`ConfigError`: unknown methods (not in the registry), hyperparameters a method refuses, demo data
for a task type the generator cannot produce, unknown or non-integer options of a `tiny:` model,
a converted translator that does not fit `translation` (quantization, adaptation), a launcher
with more processes than a training's global batch has examples.
"""

from __future__ import annotations

from sparsexlt.config import PipelineConfig
from sparsexlt.errors import ConfigError
from sparsexlt.recipe import hparams as hp
from sparsexlt.recipe.inputs import DEMO
from sparsexlt.recipe.plan import parse_tiny_spec

DEMO_TASK_TYPES = ("sequence-classification",)


def preflight_problems(config: PipelineConfig) -> list[str]:
    """Every problem found; empty when the run may start."""
    return [
        *_method_problems(config),
        *_demo_problems(config),
        *_tiny_problems(config),
        *_converted_translator_problems(config),
        *_mt_adapt_problems(config),
        *_launch_problems(config),
    ]


def preflight(config: PipelineConfig) -> None:
    """Raise one ConfigError listing every problem (see `preflight_problems`)."""
    problems = preflight_problems(config)
    if problems:
        raise ConfigError(config.source_path or config.name, problems)


def _method_problems(config: PipelineConfig) -> list[str]:
    from sparsexlt.adapters.registry import available_methods, get_method

    problems = []
    for i, method in enumerate(config.methods):
        if method.name not in available_methods():
            problems.append(
                f"methods.{i}.name: {method.name!r} is not available in this installation "
                f"(available: {', '.join(available_methods())})"
            )
            continue
        for part in ("language", "task"):
            if getattr(method, part) is None:
                continue
            hparams = hp.method_hparams(method, part, seed=config.seed)
            try:
                get_method(method.name)(**hparams)
            except ConfigError as err:
                problems += [f"methods.{i}.{part}.extra: {p}" for p in err.problems]
    return problems


def _demo_problems(config: PipelineConfig) -> list[str]:
    if config.task.type in DEMO_TASK_TYPES:
        return []
    problems = []
    for lang in config.languages:
        for split, source in lang.task_data.items():
            if source.format == DEMO:
                problems.append(
                    f"languages.{lang.code}.task_data.{split}.format: demo data is "
                    f"{', '.join(DEMO_TASK_TYPES)} only, not {config.task.type}"
                )
    return problems


def _tiny_problems(config: PipelineConfig) -> list[str]:
    from sparsexlt.recipe.base_model import TINY_OPTIONS
    from sparsexlt.recipe.translate import TINY_TRANSLATOR_OPTIONS

    checks = [("base_model.name_or_path", config.base_model.name_or_path, TINY_OPTIONS)]
    if config.translation.enabled:
        checks.append(("translation.model", config.translation.model, TINY_TRANSLATOR_OPTIONS))
    return [p for where, ref, known in checks for p in tiny_spec_problems(where, ref, known)]


def tiny_spec_problems(where: str, ref: str, known: tuple[str, ...]) -> list[str]:
    """Problems of a `tiny:` spec (none for other references): unknown options, and values
    that are not integers (every tiny option is a size or a seed). Caught here, a typo is one
    clear message; past here it is a traceback from deep inside the model builder."""
    if not ref.startswith("tiny:"):
        return []
    spec = parse_tiny_spec(ref)
    problems = []
    unknown = sorted(set(spec) - set(known))
    if unknown:
        problems.append(f"{where}: unknown tiny option(s) {unknown}; known: {', '.join(known)}")
    for name, value in spec.items():
        if name in known and not isinstance(value, int):
            problems.append(f"{where}: tiny option {name}={value!r} must be an integer")
        elif name in known and name != "seed" and value < 1:
            problems.append(f"{where}: tiny option {name}={value} must be at least 1")
    return problems


def check_tiny_spec(where: str, ref: str, known: tuple[str, ...]) -> None:
    """Raise a ConfigError for a bad `tiny:` spec: for library calls that skip `preflight`."""
    problems = tiny_spec_problems(where, ref, known)
    if problems:
        raise ConfigError(where, problems)


def _converted_translator_problems(config: PipelineConfig) -> list[str]:
    """`translation.model` may be a folder `sparsexlt translate convert` wrote: it must match the
    configured quantization, and adaptation needs the Hugging Face model it came from."""
    from sparsexlt.translation.manifest import converted_manifest

    translation = config.translation
    if not translation.enabled or translation.model.startswith(("tiny:", "pkg:")):
        return []
    manifest = converted_manifest(translation.model)
    if manifest is None:
        return []
    problems = []
    if manifest.quantization != translation.quantization:
        problems.append(
            f"translation.quantization: {translation.quantization!r}, but translation.model "
            f"{translation.model} was converted with {manifest.quantization!r} (set "
            f"quantization: {manifest.quantization}, or point the model at the NLLB folder)"
        )
    if translation.adapt is not None:
        problems.append(
            f"translation.adapt fine-tunes the Hugging Face model, but translation.model is a "
            f"CTranslate2 conversion; point it at {manifest.source} instead"
        )
    return problems


def _mt_adapt_problems(config: PipelineConfig) -> list[str]:
    """Only some methods can train NLLB: LT-SFT needs a TaskModel, MAD-X an encoder layout."""
    from sparsexlt.translation.adapt import method_problem

    adapt = config.translation.adapt
    if not config.translation.enabled or adapt is None:
        return []
    problem = method_problem(adapt.method)
    return [] if problem is None else [f"translation.adapt.method: {problem}"]


def _launch_problems(config: PipelineConfig) -> list[str]:
    """Under a launcher `batch_size` is the global batch: each process needs a share of it."""
    execution = config.execution
    if execution.launcher == "none":
        return []
    problems = []
    if config.source_path is None:
        problems.append(
            "execution.launcher: launched trainings reload the config from its file; this "
            "config was built in memory"
        )
    for i, method in enumerate(config.methods):
        for part in ("language", "task"):
            training = getattr(method, part)
            if training is not None and training.batch_size < execution.processes:
                problems.append(
                    f"methods.{i}.{part}.batch_size: {training.batch_size} is the global batch "
                    f"and must be >= execution.processes ({execution.processes})"
                )
    return problems
