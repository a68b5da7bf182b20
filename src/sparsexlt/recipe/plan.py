"""The recipe of one config as a list of jobs, each keyed by the content hash of its inputs.

`plan_base(config)` names the base model; once its fingerprint is known (the base-model step),
`build_plan(config, base, fingerprint)` lists, in order:

1. language SFTs: one per (method, language with unlabelled text), unless a method has
   `language: null`;
2. the translator (NLLB converted to CTranslate2, or a tiny one built on the spot) and one
   translation per (source, target NLLB supports) when translate-train scenarios ask for it;
3. task SFTs: one per (method, scenario[, target]) with its mix of sources (`scenarios.py`);
4. evaluations: θ + φ_task + φ_target for each task SFT and each target it is evaluated on.

Every job is plain data (JSON-friendly frozen dataclasses) with a `key`: the hash of the config
slice it depends on, the content hashes of its data, the base model's identity and the keys of
the artifacts it consumes. Equal keys mean equal results, so a finished artifact under a key is
never recomputed (`artifacts.produce`), and the Prefect cache keys are the same hashes. What
does not change a result stays out: training settings that only watch or store a run
(`hparams.weight_settings`), and where a local model or data file lives (its bytes are hashed).

Training jobs also carry `launch` (from `execution.launcher`/`processes`): how to start their
training on several processes. It is left out of the key — the launcher is an execution
detail, not an input — so N processes publish the artifact one process would, under its key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sparsexlt.config import FewShot, Language, MethodConfig, PipelineConfig
from sparsexlt.config.base_model import PKG_PREFIX, TINY_PREFIX
from sparsexlt.config.constants import TRANSLATE_TRAIN_SCENARIOS
from sparsexlt.recipe import hparams as hp
from sparsexlt.recipe.inputs import PARALLEL, UNLABELLED, DataRef, content_hash, data_ref
from sparsexlt.recipe.scenarios import MixPart, TargetInfo, TaskSFTSpec, plan_scenarios
from sparsexlt.util.hashing import combine, hash_json

RECIPE_VERSION = 1  # bump when a step's output changes for the same inputs


@dataclass(frozen=True)
class BaseModelJob:
    """The pretrained encoder: a reference, or (`tiny:`) a tiny encoder built from `corpus`.

    `dropout` (base_model.dropout) is applied when the model is loaded for training; it does not
    change the model folder (not in `key`) but does change what trains on it (in the identity
    downstream keys use, `base_identity`)."""

    name_or_path: str
    dtype: str
    quantization: str | None
    max_length: int
    tiny: dict[str, Any] | None
    corpus: tuple[DataRef, ...]
    key: str
    dropout: float | None = None


@dataclass(frozen=True)
class Launch:
    """Run a training step as `sparsexlt train` on `processes` local processes (`launcher`).

    The launched command reloads the config from `config` with `overrides`, so it plans the
    same job (same key); rank 0 publishes the artifact the calling step then reads."""

    launcher: str  # "accelerate" | "torchrun"
    processes: int
    config: str  # the config file (absolute)
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class LanguageSFTJob:
    method: str  # the method entry's key (label or name)
    method_name: str
    language: str
    data: DataRef
    hparams: dict[str, Any]
    train: dict[str, Any]
    max_length: int
    key: str
    launch: Launch | None = None  # not part of `key`


@dataclass(frozen=True)
class TranslatorJob:
    """NLLB converted to CTranslate2; `tiny:` builds a random NLLB for `codes` from `corpus`."""

    model: str
    quantization: str
    codes: tuple[str, ...]
    corpus: tuple[tuple[str, DataRef], ...]  # (NLLB code, text) for a tiny model
    key: str


@dataclass(frozen=True)
class MTAdaptJob:
    """Adapt the translator to a target NLLB lacks, with parallel text (translation.adapt)."""

    source: str  # our language codes
    target: str
    src_code: str  # NLLB code of the source; the target's code is added by the adaptation
    init_from: str  # the language whose code embedding initialises the new code
    pairs: tuple[DataRef, DataRef]  # sentence-aligned source and target text
    method: str
    hparams: dict[str, Any]
    train: dict[str, Any]
    quantization: str
    translator_key: str  # the base translator being adapted
    key: str


@dataclass(frozen=True)
class TranslationJob:
    source: str  # our language codes
    target: str
    src_code: str  # NLLB codes
    tgt_code: str
    data: DataRef
    options: dict[str, Any]
    translator_key: str
    key: str


@dataclass(frozen=True)
class PartJob:
    """One training source of a task SFT, resolved to data and keys."""

    name: str
    kind: str
    language: str
    data: DataRef | None  # task or few-shot data (None for translations)
    translation_key: str | None
    few_shot: dict[str, Any] | None  # {k, strategy, seed}
    upsample: float
    language_sft_key: str | None


@dataclass(frozen=True)
class TaskSFTJob:
    method: str
    method_name: str
    scenario: str
    target: str | None
    parts: tuple[PartJob, ...]
    hparams: dict[str, Any]
    train: dict[str, Any]
    max_length: int
    task: dict[str, Any]  # name, type, labels
    validation: DataRef | None
    key: str
    launch: Launch | None = None  # not part of `key`

    @property
    def name(self) -> str:
        single = f":{self.target}" if self.target else ""
        return f"{self.method}/{self.scenario}{single}"

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({p.language for p in self.parts}))


@dataclass(frozen=True)
class EvalJob:
    method: str
    scenario: str
    target: str
    sources: tuple[str, ...]  # languages the task SFT was trained on
    task_sft_key: str
    language_sft_key: str | None
    data: DataRef
    task: dict[str, Any]
    metrics: tuple[str, ...]
    split: str
    batch_size: int
    max_length: int
    seed: int
    key: str


@dataclass
class Plan:
    """Every job of a run, plus the notes a person should read (skipped scenarios/targets)
    and the config's target codes (what `restrict_to_targets` may keep)."""

    base: BaseModelJob
    base_identity: str | None
    language_sfts: list[LanguageSFTJob] = field(default_factory=list)
    translator: TranslatorJob | None = None
    mt_adaptations: list[MTAdaptJob] = field(default_factory=list)
    translations: list[TranslationJob] = field(default_factory=list)
    task_sfts: list[TaskSFTJob] = field(default_factory=list)
    evaluations: list[EvalJob] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)

    def jobs(self) -> int:
        return (
            len(self.language_sfts)
            + (self.translator is not None)
            + len(self.mt_adaptations)
            + len(self.translations)
            + len(self.task_sfts)
            + len(self.evaluations)
        )


def _key(kind: str, **parts: Any) -> str:
    return hash_json({"recipe": RECIPE_VERSION, "kind": kind, **parts})


# ---- the base model ----------------------------------------------------------------------


def plan_base(config: PipelineConfig) -> BaseModelJob:
    """The base-model job; its key names the reference (and, for local folders, the bytes)."""
    ref = config.base_model.name_or_path
    quantization = (
        None if config.base_model.quantization == "none" else config.base_model.quantization
    )
    identity: dict[str, Any] = {"dtype": config.base_model.dtype, "quantization": quantization}
    tiny, corpus = None, ()
    if ref.startswith(TINY_PREFIX):
        tiny = parse_tiny_spec(ref)
        corpus = tuple(
            data_ref(lang.unlabelled, language=lang.code, split=UNLABELLED, task_type="text")
            for lang in config.languages
            if lang.unlabelled is not None
        )
        identity |= {"tiny": tiny, "corpus": [c.key for c in corpus]}
    else:
        identity |= reference_identity(ref)
    return BaseModelJob(
        ref,
        config.base_model.dtype,
        quantization,
        config.base_model.max_length,
        tiny,
        corpus,
        _key("base-model", **identity),
        config.base_model.dropout,
    )


def parse_tiny_spec(ref: str) -> dict[str, Any]:
    """`tiny:hidden=64,layers=2` → {"hidden": 64, "layers": 2}; `tiny:` → {}."""
    spec = ref[len(TINY_PREFIX) :]
    out: dict[str, Any] = {}
    for item in filter(None, spec.split(",")):
        name, _, value = item.partition("=")
        out[name] = int(value) if value.lstrip("-").isdigit() else value
    return out


def reference_identity(ref: str) -> dict[str, Any]:
    """What keys a model reference: a local folder (`pkg:` included) by its content hash alone,
    so the same bytes keep their key wherever they live; a hub id by its name (all there is to
    hash offline)."""
    content = _local_content(ref)
    return {"ref": ref, "content": None} if content is None else {"content": content}


def _local_content(ref: str) -> str | None:
    """Content hash of a local model folder (pkg: models included); None for hub ids."""
    from pathlib import Path

    if ref.startswith(PKG_PREFIX):
        from sparsexlt.config import resolve_pkg_model

        return content_hash(resolve_pkg_model(ref))
    return content_hash(ref) if Path(ref).exists() else None


def base_identity(base: BaseModelJob, fingerprint: str) -> str:
    """What downstream keys use: the reference's key plus the loaded weights' fingerprint (and
    the dropout override, when there is one)."""
    parts = [base.key, fingerprint]
    if base.dropout is not None:
        parts.append(f"dropout={base.dropout!r}")
    return combine(parts)


def launch_spec(config: PipelineConfig) -> Launch | None:
    """How training steps start (`execution.launcher`), or None: in the calling process."""
    execution = config.execution
    if execution.launcher == "none":
        return None
    if config.source_path is None:
        from sparsexlt.errors import ConfigError

        raise ConfigError(
            config.name,
            ["execution.launcher: a launched training reloads the config from its file; load "
             "it with load_config(path) (this one was built in memory)"],
        )  # fmt: skip
    return Launch(
        execution.launcher, execution.processes, str(config.source_path), config.overrides
    )


# ---- the whole plan ----------------------------------------------------------------------


def build_plan(
    config: PipelineConfig,
    base: BaseModelJob | None = None,
    fingerprint: str | None = None,
    *,
    methods: list[str] | None = None,
    scenarios: list[str] | None = None,
) -> Plan:
    """Every job of `config` (optionally only some methods/scenarios, by key/name).

    Without `fingerprint` (a dry run that loads no model) keys use the base reference only.
    """
    base = base or plan_base(config)
    identity = base_identity(base, fingerprint) if fingerprint else base.key
    plan = Plan(base, identity if fingerprint else None, targets=[t.code for t in config.targets])
    chosen_methods = _choose_methods(config, methods)
    chosen_scenarios = _choose_scenarios(config, scenarios)
    translatable, adaptable, notes = translatable_targets(config)
    plan.notes += notes
    needs_translation = bool(set(chosen_scenarios) & TRANSLATE_TRAIN_SCENARIOS)
    if needs_translation and (translatable or adaptable):
        plan.translator = plan_translator(config, translatable)
        plan.mt_adaptations = plan_mt_adaptations(config, plan.translator, adaptable)
        plan.translations = plan_translations(
            config, plan.translator, translatable, plan.mt_adaptations
        )
        translatable = {**translatable, **adaptable}
    translations = {(t.source, t.target): t.key for t in plan.translations}
    targets = [
        TargetInfo(t.code, t.few_shot is not None, (t.code in translatable) and needs_translation)
        for t in config.targets
    ]
    mix = plan_scenarios(chosen_scenarios, [s.code for s in config.sources], targets)
    for scenario, target, why in mix.skipped:
        plan.notes.append(f"{scenario}: {target} — {why}")
    for method in chosen_methods:
        lang_sfts = plan_language_sfts(config, method, identity)
        plan.language_sfts += lang_sfts
        lang_keys = {j.language: j.key for j in lang_sfts}
        for spec in mix.sfts:
            job = plan_task_sft(config, method, spec, identity, lang_keys, translations)
            plan.task_sfts.append(job)
            plan.evaluations += plan_evaluations(config, job, spec, lang_keys)
    return plan


def _choose_methods(config: PipelineConfig, keys: list[str] | None) -> list[MethodConfig]:
    if not keys:
        return list(config.methods)
    return [config.method(k) for k in keys]


def _choose_scenarios(config: PipelineConfig, names: list[str] | None) -> list[str]:
    if not names:
        return list(config.scenarios)
    unknown = [n for n in names if n not in config.scenarios]
    if unknown:
        raise KeyError(f"scenario(s) {', '.join(unknown)} not in the config's scenarios")
    return [s for s in config.scenarios if s in names]


# ---- language SFTs -----------------------------------------------------------------------


def plan_language_sfts(
    config: PipelineConfig, method: MethodConfig, identity: str
) -> list[LanguageSFTJob]:
    if not hp.has_language_components(method):
        return []
    jobs = []
    for lang in config.languages:
        if lang.unlabelled is None:
            continue
        data = data_ref(lang.unlabelled, language=lang.code, split=UNLABELLED, task_type="text")
        hparams, train, length = hp.step_settings(
            method,
            "language",
            seed=config.seed,
            default_length=config.base_model.max_length,
            language=lang.code,
        )
        key = _key(
            "language-sft",
            base=identity,
            method=method.name,
            hparams=hparams,
            train=hp.weight_settings(train),
            max_length=length,
            data=data.key,
        )
        jobs.append(
            LanguageSFTJob(
                method.key,
                method.name,
                lang.code,
                data,
                hparams,
                train,
                length,
                key,
                launch_spec(config),
            )
        )
    return jobs


# ---- translation -------------------------------------------------------------------------


def nllb_code(lang: Language) -> str | None:
    """The NLLB-200 code of a language, or None when NLLB lacks it (config or code table)."""
    from sparsexlt.errors import UnknownLanguageError, UnsupportedLanguageError
    from sparsexlt.translation.languages import resolve_language

    if lang.nllb is None:
        return None
    if lang.nllb != "auto":
        return lang.nllb
    try:
        return resolve_language(lang.code)
    except (UnsupportedLanguageError, UnknownLanguageError):
        return None


def translatable_targets(
    config: PipelineConfig,
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """({target: NLLB code} NLLB translates into, {target: code an adaptation adds} for targets
    NLLB lacks but `translation.adapt` has parallel data for, notes)."""
    if not config.translation.enabled:
        return {}, {}, []
    notes = []
    for src in config.sources:
        if nllb_code(src) is None:
            notes.append(f"translation: source {src.code} is not an NLLB language; no translation")
            return {}, {}, notes
    found, adaptable = {}, {}
    adapt = config.translation.adapt
    for target in config.targets:
        code = nllb_code(target)
        if code is not None:
            found[target.code] = code
        elif adapt is not None and target.code in adapt.data:
            adaptable[target.code] = new_language_code(target)
            notes.append(
                f"translation: {target.code} is not in NLLB-200; the translator is adapted to it "
                "with the parallel data of translation.adapt"
            )
        else:
            notes.append(f"translation: {target.code} is not in NLLB-200: translate-train skipped")
    return found, adaptable, notes


def new_language_code(lang: Language) -> str:
    """The NLLB-style code an adaptation adds for a language NLLB lacks (`mad` → `mad_Latn`)."""
    from sparsexlt.errors import UnknownLanguageError
    from sparsexlt.translation.languages import lookup_language

    try:
        return lookup_language(lang.code).code
    except UnknownLanguageError:
        return f"{lang.code}_Latn"


def plan_translator(config: PipelineConfig, targets: dict[str, str]) -> TranslatorJob:
    tr = config.translation
    codes = tuple(dict.fromkeys([*(nllb_code(s) for s in config.sources), *targets.values()]))
    corpus: tuple[tuple[str, DataRef], ...] = ()
    identity: dict[str, Any] = {"quantization": tr.quantization}
    if tr.model.startswith(TINY_PREFIX):
        coded = ((nllb_code(lang), lang) for lang in config.languages)
        corpus = tuple(
            (code, ref)
            for code, lang in coded
            if code in codes and (ref := _text_ref(lang)) is not None
        )
        identity |= {"tiny": parse_tiny_spec(tr.model), "codes": codes}
        identity["corpus"] = [(c, ref.key) for c, ref in corpus]
    else:
        identity |= reference_identity(tr.model)
    return TranslatorJob(tr.model, tr.quantization, codes, corpus, _key("translator", **identity))


def _text_ref(lang: Language) -> DataRef | None:
    if lang.unlabelled is not None:
        return data_ref(lang.unlabelled, language=lang.code, split=UNLABELLED, task_type="text")
    if "train" in lang.task_data:
        return data_ref(
            lang.task_data["train"], language=lang.code, split=UNLABELLED, task_type="text"
        )
    return None


def translation_options(config: PipelineConfig) -> dict[str, Any]:
    """`TranslationOptions` keyword arguments from the config."""
    tr = config.translation
    return {
        "beam_size": tr.beam_size,
        "max_batch_tokens": tr.batch_tokens,
        "max_input_tokens": tr.max_input_length,
        "max_output_tokens": tr.max_decoding_length,
        "device": tr.device,
        "threads": tr.threads,
    }


_DECODING = ("beam_size", "max_input_tokens", "max_output_tokens")


def plan_mt_adaptations(
    config: PipelineConfig, translator: TranslatorJob, adaptable: dict[str, str]
) -> list[MTAdaptJob]:
    """One adaptation per target NLLB lacks that `translation.adapt` gives parallel data for.

    The new language code is initialised from the (first) source language's code."""
    adapt = config.translation.adapt
    if adapt is None or not adaptable:
        return []
    src = config.sources[0]
    training = adapt.training
    method = MethodConfig(name=adapt.method, task=training, language=None)
    hparams = hp.method_hparams(method, "task", seed=config.seed)
    hparams.pop("task", None)
    train = hp.train_config_kwargs(method, "task", seed=config.seed)
    jobs = []
    for code in adaptable:
        pair = adapt.data[code]
        refs = (
            data_ref(pair.source, language=src.code, split=PARALLEL, task_type="text"),
            data_ref(pair.target, language=code, split=PARALLEL, task_type="text"),
        )
        key = _key(
            "mt-adapt",
            translator=translator.key,
            pairs=[r.key for r in refs],
            src=nllb_code(src),
            tgt=adaptable[code],
            method=adapt.method,
            hparams=hparams,
            train=hp.weight_settings(train),
        )
        jobs.append(
            MTAdaptJob(
                src.code,
                code,
                nllb_code(src),
                src.code,
                refs,
                adapt.method,
                hparams,
                train,
                translator.quantization,
                translator.key,
                key,
            )
        )
    return jobs


def plan_translations(
    config: PipelineConfig,
    translator: TranslatorJob,
    targets: dict[str, str],
    adaptations: list[MTAdaptJob] = (),
) -> list[TranslationJob]:
    """One job per (source, target); an adapted target is translated by its adapted model."""
    options = translation_options(config)
    decoding = {k: options[k] for k in _DECODING}
    models = {code: translator.key for code in targets}
    codes = dict(targets)
    for job in adaptations:
        models[job.target] = job.key
        codes[job.target] = new_language_code(config.language(job.target))
    jobs = []
    for src in config.sources:
        data = data_ref(
            src.task_data["train"], language=src.code, split="train", task_type=config.task.type
        )
        for code, tgt in codes.items():
            key = _key(
                "translation",
                translator=models[code],
                data=data.key,
                src=nllb_code(src),
                tgt=tgt,
                decoding=decoding,
            )
            jobs.append(
                TranslationJob(
                    src.code, code, nllb_code(src), tgt, data, options, models[code], key
                )
            )
    return jobs


# ---- task SFTs and evaluations -----------------------------------------------------------


def _task_info(config: PipelineConfig) -> dict[str, Any]:
    return {"name": config.task.name, "type": config.task.type, "labels": config.task.labels}


def plan_task_sft(
    config: PipelineConfig,
    method: MethodConfig,
    spec: TaskSFTSpec,
    identity: str,
    lang_keys: dict[str, str],
    translations: dict[tuple[str, str], str],
) -> TaskSFTJob:
    parts = tuple(_part_job(config, p, lang_keys, translations) for p in spec.parts)
    hparams, train, length = hp.step_settings(
        method,
        "task",
        seed=config.seed,
        default_length=config.base_model.max_length,
        task=config.task.name,
    )
    validation = None
    if train["eval_every"]:
        source = config.sources[0]
        if "validation" in source.task_data:
            validation = data_ref(
                source.task_data["validation"],
                language=source.code,
                split="validation",
                task_type=config.task.type,
            )
    task = _task_info(config)
    # `validation` only feeds the `eval_every` scores (operational, like eval_every itself): not
    # in the key, so switching in-training evaluation on or off retrains nothing.
    key = _key(
        "task-sft",
        base=identity,
        method=method.name,
        hparams=hparams,
        train=hp.weight_settings(train),
        max_length=length,
        task=task,
        parts=[_part_identity(p) for p in parts],
    )
    return TaskSFTJob(
        method.key,
        method.name,
        spec.scenario,
        spec.target,
        parts,
        hparams,
        train,
        length,
        task,
        validation,
        key,
        launch_spec(config),
    )


def _part_job(
    config: PipelineConfig,
    part: MixPart,
    lang_keys: dict[str, str],
    translations: dict[tuple[str, str], str],
) -> PartJob:
    lang = config.language(part.language)
    language_sft = lang_keys.get(part.language)
    task_type = config.task.type
    if part.kind == "translation":
        key = translations[(part.origin, part.language)]
        return PartJob(part.name, part.kind, part.language, None, key, None, 1.0, language_sft)
    if part.kind == "task":
        data = data_ref(
            lang.task_data["train"], language=lang.code, split="train", task_type=task_type
        )
        return PartJob(part.name, part.kind, part.language, data, None, None, 1.0, language_sft)
    fs: FewShot = lang.few_shot  # type: ignore[assignment]  (the scenario rules checked it)
    data = data_ref(
        lang.task_data[fs.split], language=lang.code, split=fs.split, task_type=task_type
    )
    few = {"k": fs.k, "strategy": fs.strategy, "seed": config.seed}
    upsample = fs.upsample if part.upsample else 1.0
    return PartJob(part.name, part.kind, part.language, data, None, few, upsample, language_sft)


def _part_identity(part: PartJob) -> dict[str, Any]:
    return {
        "name": part.name,
        "language": part.language,
        "data": None if part.data is None else part.data.key,
        "translation": part.translation_key,
        "few_shot": part.few_shot,
        "upsample": part.upsample,
        "language_sft": part.language_sft_key,
    }


def plan_evaluations(
    config: PipelineConfig, job: TaskSFTJob, spec: TaskSFTSpec, lang_keys: dict[str, str]
) -> list[EvalJob]:
    split = config.evaluation.split
    jobs = []
    for code in spec.evaluated_on:
        lang = config.language(code)
        data = data_ref(
            lang.task_data[split], language=code, split=split, task_type=config.task.type
        )
        language_sft = lang_keys.get(code)
        metrics = tuple(config.task.metrics)
        length = config.base_model.max_length
        key = _key(
            "evaluation",
            task_sft=job.key,
            language_sft=language_sft,
            data=data.key,
            metrics=metrics,
            max_length=length,
        )
        jobs.append(
            EvalJob(
                job.method,
                job.scenario,
                code,
                job.languages,
                job.key,
                language_sft,
                data,
                job.task,
                metrics,
                split,
                config.evaluation.batch_size,
                length,
                config.seed,
                key,
            )
        )
    return jobs


def restrict_to_targets(plan: Plan, targets: list[str]) -> Plan:
    """Only what evaluating on `targets` needs (onboarding a new language).

    Kept: the evaluations on those targets, the task SFTs they score (an "-all" SFT whose mix
    includes the language is retrained only because its key changed with the config; one that
    does not involve it is found finished), and the language SFTs and translations those use.
    Raises ConfigError for a code that is not one of the plan's targets (a typo would otherwise
    plan nothing and look like success).
    """
    check_targets(plan.targets, targets)
    evaluations = [e for e in plan.evaluations if e.target in targets]
    task_keys = {e.task_sft_key for e in evaluations}
    task_sfts = [j for j in plan.task_sfts if j.key in task_keys and j.target in (None, *targets)]
    lang_keys = {e.language_sft_key for e in evaluations} | {
        p.language_sft_key for j in task_sfts for p in j.parts
    }
    trans_keys = {p.translation_key for j in task_sfts for p in j.parts}
    translations = [t for t in plan.translations if t.key in trans_keys]
    model_keys = {t.translator_key for t in translations}
    return Plan(
        plan.base,
        plan.base_identity,
        [j for j in plan.language_sfts if j.key in lang_keys],
        plan.translator if translations else None,
        [a for a in plan.mt_adaptations if a.key in model_keys],
        translations,
        task_sfts,
        evaluations,
        [n for n in plan.notes if any(t in n for t in targets)],
        plan.targets,
    )


def check_selection(
    config: PipelineConfig,
    methods: list[str] | None = None,
    scenarios: list[str] | None = None,
    targets: list[str] | None = None,
) -> None:
    """Refuse a method, scenario or target the config lacks — before anything is planned or
    started (KeyError for methods and scenarios, as `build_plan` raises; ConfigError for
    targets, as `restrict_to_targets` raises)."""
    _choose_methods(config, methods)
    _choose_scenarios(config, scenarios)
    check_targets([t.code for t in config.targets], targets or [])


def check_targets(configured: list[str], wanted: list[str]) -> None:
    """Raise a ConfigError naming every code of `wanted` that is not a configured target."""
    unknown = [t for t in wanted if t not in configured]
    if unknown:
        from sparsexlt.errors import ConfigError

        raise ConfigError(
            "--target",
            [f"unknown target(s) {', '.join(unknown)}; the config's targets are "
             f"{', '.join(configured) or 'none'}"],
        )  # fmt: skip
