"""Step 0: the base model every component is a delta of, and its fingerprint.

A hub id or local folder is used as is; `tiny:` builds the tiny XLM-R-style encoder once, as an
artifact keyed by its spec and the texts its tokenizer is trained on (the config's unlabelled
data plus the built-in tiny corpus), so the demo's tokenizer knows the demo languages' words.
The returned ref carries `info.fingerprint` (of the weights as loaded) and `info.identity`
(reference key + fingerprint [+ dropout override]), which every downstream artifact key
includes. `load_base` applies `base_model.dropout` to every model loaded for training.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

from sparsexlt.recipe import artifacts
from sparsexlt.recipe.artifacts import ArtifactRef
from sparsexlt.recipe.inputs import load
from sparsexlt.recipe.plan import BaseModelJob, base_identity
from sparsexlt.util.atomic import atomic_write_json

MODEL_DIR = "model"
TINY_OPTIONS = ("seed", "vocab_size", "hidden", "layers", "heads", "intermediate", "max_position")


def prepare_base_model(job: BaseModelJob, output_dir: str | Path) -> ArtifactRef:
    """Resolve (or build) the base model and fingerprint it."""
    from sparsexlt.models import load_backbone, resolve_model_path

    content_hash = None  # the base model is ours to record only when we built it
    if job.tiny is not None:
        built = artifacts.produce(
            output_dir, "base-model", job.key, lambda tmp: _build_tiny(job, tmp)
        )
        path, content_hash = str(Path(built.path) / MODEL_DIR), built.content_hash
    else:
        path = resolve_model_path(job.name_or_path)
    with artifacts.exclusive():  # loading reseeds torch's global generator
        model = load_backbone(path, dtype=job.dtype, quantization=job.quantization)
    fingerprint = model.sparsexlt_fingerprint
    info = {
        "fingerprint": fingerprint,
        "identity": base_identity(job, fingerprint),
        "dtype": job.dtype,
        "quantization": job.quantization,
        "dropout": job.dropout,
    }
    ref = ArtifactRef("base-model", job.key, path, content_hash, info=info)
    atomic_write_json(_remembered(output_dir, job), asdict(ref))
    return ref


def known_base(job: BaseModelJob, output_dir: str | Path) -> ArtifactRef | None:
    """The base model as an earlier run under `output_dir` resolved it (no model is loaded), or
    None: lets a dry run show the same artifact keys a real run would use.

    The file is shared by every dropout (it is named by `job.key`, which leaves dropout out), so
    the dropout and the identity built on it are taken from `job`, never from the file."""
    path = _remembered(output_dir, job)
    if not path.is_file():
        return None
    ref = ArtifactRef(**json.loads(path.read_text()))
    identity = base_identity(job, ref.info["fingerprint"])
    return replace(ref, info={**ref.info, "dropout": job.dropout, "identity": identity})


def _remembered(output_dir: str | Path, job: BaseModelJob) -> Path:
    return Path(output_dir) / "cache" / "base-model" / f"{job.key}.json"


def load_base(base: ArtifactRef):
    """A fresh copy of the base encoder as the base-model step resolved it (with its dropout
    override applied, which heads built on it then take over)."""
    from sparsexlt.models import load_backbone

    model = load_backbone(
        base.path, dtype=base.info.get("dtype"), quantization=base.info.get("quantization")
    )
    dropout = base.info.get("dropout")
    if dropout is not None:
        set_dropout(model, dropout)
    return model


DROPOUT_CONFIG_FIELDS = (
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "classifier_dropout",
    "dropout",
    "attention_dropout",
    "activation_dropout",
)


def set_dropout(model, p: float) -> None:
    """Every dropout module of `model` to probability `p`, and its config's dropout fields too
    (heads read their dropout from the config when they are built)."""
    from torch import nn

    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = p
    config = getattr(model, "config", None)
    for name in DROPOUT_CONFIG_FIELDS:
        if config is not None and hasattr(config, name):
            setattr(config, name, p)


def _build_tiny(job: BaseModelJob, tmp: Path) -> dict:
    from sparsexlt.models import build_tiny_encoder, default_tiny_texts
    from sparsexlt.recipe.validate import check_tiny_spec

    check_tiny_spec("base_model.name_or_path", job.name_or_path, TINY_OPTIONS)
    texts = default_tiny_texts()
    for ref in job.corpus:
        texts += list(load(ref)["text"])
    options = {"max_position": job.max_length + 2, **(job.tiny or {})}
    build_tiny_encoder(tmp / MODEL_DIR, texts, **options)
    return {"tiny": options, "corpus_sentences": len(texts)}
