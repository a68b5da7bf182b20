"""Adapt NLLB to a target language with parallel data, so it serves translate-train like any other.

Steps of `adapt_translator` (each result kept under `out_dir`, so a re-run resumes):
1. load the base (`sparsexlt.models.load_seq2seq`); when the target language has no code in
   it, add one (`new_language.add_language_code`, embedding copied from `init_from`'s code)
   and save that *extended base* to `extended-base/` — it is the base the delta is trained on;
2. convert the base (or extended base) to CTranslate2 and score it on the held-out pairs
   (chrF, BLEU: the "before");
3. fine-tune with a registered method that trains a seq2seq model (`SEQ2SEQ_METHODS`: `spiel-ag`,
   `spiel-ma`, `lora`, `full`; LT-SFT needs a TaskModel, MAD-X an encoder layout) through the one training
   loop (`sparsexlt.training.train`, checkpoints and resume in `train/`); its SFT is saved in
   `train/component/`;
4. merge: the SFT applied to the base, saved as a normal Hugging Face folder in `merged/`;
5. convert `merged/` to CTranslate2 in `translator/` and score it again (the "after");
6. write `report.json` (languages, code added, method, steps, scores before/after, folders).

Every result under `out_dir` belongs to one *adaptation key*: the hash of the `AdaptConfig`, the
base model's identity (the bytes of its folder's files; a hub id by name) and the train and eval
pairs. It is stamped in `out_dir/adapt_key.json`, in `report.json` and in the step folders
written here (`extended-base/`, `merged/`). A call whose key differs from the stamp — another
target, method, step count, base or data — removes the old steps and rebuilds from scratch (and
logs so); it never returns a result computed for another configuration. Conversions are keyed by
their content hash (`convert`), so they can never be mixed up either.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from sparsexlt.adapters.registry import COMPONENT_DIR
from sparsexlt.errors import ConfigError
from sparsexlt.models.loading import (
    load_seq2seq,
    load_tokenizer,
    quiet_transformers,
    resolve_model_path,
)
from sparsexlt.models.sentencepiece_model import copy_sentencepiece
from sparsexlt.translation.convert import convert_cached, convert_model
from sparsexlt.translation.engine import CTranslate2Engine
from sparsexlt.translation.languages import (
    language_codes_in_vocab,
    lookup_language,
    resolve_language,
)
from sparsexlt.translation.mt_eval import evaluate_engine
from sparsexlt.translation.new_language import add_language_code
from sparsexlt.translation.options import TranslationOptions
from sparsexlt.translation.parallel import Pair, Seq2SeqCollator, encode_pairs
from sparsexlt.util.atomic import atomic_dir, atomic_write_json, is_complete
from sparsexlt.util.hashing import hash_json, sha256_tree, short
from sparsexlt.util.progress import log

REPORT_FILE = "report.json"
KEY_FILE = "adapt_key.json"
SEQ2SEQ_METHODS = ("spiel-ag", "spiel-ma", "lora", "full")  # what can train NLLB (M2M100)
STEP_DIRS = ("extended-base", "base-ct2", "train", "merged", "translator")


@dataclass(frozen=True)
class AdaptConfig:
    """How to adapt.

    src_lang / tgt_lang: language codes as users write them (`ind`, `madurese`).
    init_from: language whose code initialises a new target code; required when the base has
        no code for the target (e.g. `jav` for Madurese).
    method / method_options: a registered fine-tuning method and its hyperparameters.
    steps, batch_size, lr, warmup_ratio, seed, device: the training loop's settings.
    max_length: source and target token cap for training.
    quantization: of the converted models (`convert_model`).
    eval_beam, eval_max_output_tokens: decoding for the before/after scores.
    """

    src_lang: str
    tgt_lang: str
    init_from: str | None = None
    method: str = "spiel-ag"
    method_options: dict[str, Any] = field(default_factory=dict)
    steps: int = 500
    batch_size: int = 8
    lr: float = 1e-4
    warmup_ratio: float = 0.05
    max_length: int = 128
    seed: int = 0
    device: str = "auto"
    quantization: str = "int8"
    eval_beam: int = 4
    eval_max_output_tokens: int = 128

    def __post_init__(self) -> None:
        problem = method_problem(self.method)  # refused before any step loads the model
        if problem is not None:
            raise ConfigError("method", [problem])


def method_problem(method: str) -> str | None:
    """Why `method` cannot adapt a translation model, or None when it can."""
    if method in SEQ2SEQ_METHODS:
        return None
    return (
        f"{method!r} cannot adapt a translation model; choose one of {', '.join(SEQ2SEQ_METHODS)}"
    )


@dataclass
class AdaptResult:
    translator_dir: Path  # CTranslate2 folder of the adapted model
    merged_dir: Path  # Hugging Face folder of the adapted model
    component_dir: Path  # the trained SFT / delta
    report: dict[str, Any]


def adapt_translator(
    base_model: str | Path,
    train_pairs: Sequence[Pair],
    eval_pairs: Sequence[Pair],
    config: AdaptConfig,
    out_dir: str | Path,
) -> AdaptResult:
    """Adapt `base_model` from `config.src_lang` to `config.tgt_lang` (see module docstring)."""
    out_dir = Path(out_dir)
    key = adaptation_key(base_model, train_pairs, eval_pairs, config)
    _claim(out_dir, key, base_model, config)
    if (out_dir / REPORT_FILE).is_file():
        report = json.loads((out_dir / REPORT_FILE).read_text())
        log(f"adapted translator already at {out_dir}")
        return _result(out_dir, report)
    model, tokenizer, base_dir, src, tgt, added = _prepare_base(base_model, config, out_dir, key)
    options = TranslationOptions(
        beam_size=config.eval_beam, max_output_tokens=config.eval_max_output_tokens
    )
    before_dir = convert_cached(base_dir, out_dir / "base-ct2", quantization=config.quantization)
    before = evaluate_engine(CTranslate2Engine(before_dir, options), eval_pairs, src, tgt)
    log(f"before adaptation {src}→{tgt}: chrF {before['chrf']:.2f} BLEU {before['bleu']:.2f}")
    component, steps = _train(model, tokenizer, train_pairs, src, tgt, config, out_dir)
    merged = _merge(model, tokenizer, component, base_dir, out_dir / "merged", key)
    translator = convert_model(merged, out_dir / "translator", quantization=config.quantization)
    after = evaluate_engine(CTranslate2Engine(translator, options), eval_pairs, src, tgt)
    log(f"after adaptation {src}→{tgt}: chrF {after['chrf']:.2f} BLEU {after['bleu']:.2f}")
    report = {
        "key": key,
        "base_model": str(base_model),
        "src_lang": config.src_lang,
        "tgt_lang": config.tgt_lang,
        "src_code": src,
        "tgt_code": tgt,
        "code_added": added,
        "init_from": config.init_from if added else None,
        "train_pairs": len(train_pairs),
        "steps": steps,
        "before": before,
        "after": after,
        "config": asdict(config),
    }
    atomic_write_json(out_dir / REPORT_FILE, report)
    return _result(out_dir, report)


def adaptation_key(
    base_model: str | Path,
    train_pairs: Sequence[Pair],
    eval_pairs: Sequence[Pair],
    config: AdaptConfig,
) -> str:
    """What an adaptation's results depend on: config, base model identity and the pairs."""
    return hash_json(
        {
            "config": asdict(config),
            "base": _base_content(base_model),
            "train": [list(p) for p in train_pairs],
            "eval": [list(p) for p in eval_pairs],
        }
    )


def _base_content(base_model: str | Path) -> dict[str, Any]:
    """A local model folder by its content (not its path: a moved folder is the same base, a
    rewritten one is not); a hub id by its name."""
    folder = Path(resolve_model_path(base_model))
    if not folder.is_dir():
        return {"hub_id": str(base_model)}
    return {"content": sha256_tree(folder)}


def _claim(out_dir: Path, key: str, base_model: str | Path, config: AdaptConfig) -> None:
    """Make `out_dir` hold only results of `key`: other keys' steps are removed first."""
    stamp = out_dir / KEY_FILE
    old = json.loads(stamp.read_text()).get("key") if stamp.is_file() else None
    if old == key:
        return
    leftovers = [out_dir / name for name in (*STEP_DIRS, REPORT_FILE) if (out_dir / name).exists()]
    if leftovers:
        was = f"key {short(old)}" if old else "no adaptation key"
        log(
            f"{out_dir} holds an adaptation of another config, base or data ({was}, now "
            f"{short(key)}): rebuilding from scratch"
        )
        for path in leftovers:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    atomic_write_json(stamp, {"key": key, "base_model": str(base_model), "config": asdict(config)})


def _stamped(folder: Path, key: str) -> bool:
    """True when `folder` is a finished step of the adaptation `key`."""
    stamp = folder / KEY_FILE
    return is_complete(folder) and stamp.is_file() and json.loads(stamp.read_text())["key"] == key


def _result(out_dir: Path, report: dict[str, Any]) -> AdaptResult:
    return AdaptResult(
        out_dir / "translator", out_dir / "merged", out_dir / "train" / COMPONENT_DIR, report
    )


def _prepare_base(
    base_model: str | Path, config: AdaptConfig, out_dir: Path, key: str
) -> tuple[Any, Any, Path, str, str, bool]:
    """(model, tokenizer, base folder, src code, tgt code, code added?) — step 1."""
    tokenizer = load_tokenizer(base_model)
    codes = language_codes_in_vocab(tokenizer.get_vocab())
    src = resolve_language(config.src_lang, codes)
    target = lookup_language(config.tgt_lang)
    base_dir = Path(resolve_model_path(base_model))
    if target.code in codes:
        model = load_seq2seq(base_model, dtype=torch.float32)
        return model, tokenizer, base_dir, src, target.code, False
    if config.init_from is None:
        raise ConfigError(
            "adapt",
            [
                f"init_from: the base model has no code {target.code} for {config.tgt_lang!r}; "
                "name a related language whose code initialises the new one"
            ],
        )
    extended = out_dir / "extended-base"
    if not _stamped(extended, key):
        model = load_seq2seq(base_model, dtype=torch.float32)
        add_language_code(model, tokenizer, target.code, resolve_language(config.init_from, codes))
        _save_hf(model, tokenizer, base_dir, extended, key)
    model = load_seq2seq(extended, dtype=torch.float32)
    return model, load_tokenizer(extended), extended, src, target.code, True


def _train(
    model: Any,
    tokenizer: Any,
    pairs: Sequence[Pair],
    src: str,
    tgt: str,
    config: AdaptConfig,
    out_dir: Path,
) -> tuple[Any, int]:
    """Step 3: the method's delta, trained on `pairs`; the model is left as the base again."""
    from sparsexlt.adapters.registry import get_method
    from sparsexlt.training import Source, TrainConfig, train

    examples = encode_pairs(tokenizer, pairs, src, tgt, config.max_length)
    source = Source(
        name=f"{src}-{tgt}",
        language=tgt,
        dataset=examples,
        collate=Seq2SeqCollator(tokenizer.pad_token_id),
        fingerprint=hash_json([list(p) for p in pairs] + [src, tgt, config.max_length]),
    )
    train_config = TrainConfig(
        steps=config.steps,
        batch_size=config.batch_size,
        lr=config.lr,
        warmup_ratio=config.warmup_ratio,
        seed=config.seed,
        device=config.device,
        checkpoint_every=max(50, config.steps // 4),
    )
    method = get_method(config.method)(**config.method_options)
    result = train(model, method, [source], train_config, output_dir=out_dir / "train")
    method.detach()
    model.to("cpu")
    return result.component, result.steps


def _merge(model: Any, tokenizer: Any, component: Any, base_dir: Path, out: Path, key: str) -> Path:
    """Step 4: base + delta, saved as a Hugging Face folder (the model stays merged)."""
    if not _stamped(out, key):
        component.apply(model)
        _save_hf(model, tokenizer, base_dir, out, key)
    return out


def _save_hf(model: Any, tokenizer: Any, source_dir: Path, out: Path, key: str) -> None:
    with atomic_dir(out, overwrite=True) as tmp, quiet_transformers():
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        copy_sentencepiece(source_dir, tmp)
        atomic_write_json(tmp / KEY_FILE, {"key": key})
