"""Masked-LM head for language SFTs: transform (dense → activation → LayerNorm) → decoder.

The decoder (output embeddings and bias) is UNTIED from the input embeddings and FROZEN: a
sparse delta learned on the input embeddings must not move the output layer, and the output
layer is discarded after language training anyway. The transform stays trainable.

Initialisation, in order of preference: the checkpoint's own MLM head (RoBERTa/XLM-R `lm_head.*`,
BERT `cls.predictions.*`, DistilBERT `vocab_*`), read from its safetensors files; a decoder
missing there (tied checkpoints save it once) is a copy of the input embeddings; a checkpoint
with no MLM head at all (e.g. all-MiniLM-L6-v2) gets a seeded random transform and a decoder
copied from the input embeddings, with a note in the log. `reset_parameters` restores that
initial state (the trainable part; the frozen decoder never changes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers.activations import ACT2FN

from sparsexlt.models.checkpoint import CheckpointReader
from sparsexlt.models.heads.base import IGNORE_INDEX, Head, masked_cross_entropy
from sparsexlt.models.heads.registry import register_head
from sparsexlt.models.outputs import TaskOutput
from sparsexlt.models.task_types import MASKED_LM
from sparsexlt.util.progress import log

# our parameter name → candidate checkpoint keys, one layout per architecture family
HEAD_LAYOUTS: tuple[dict[str, tuple[str, ...]], ...] = (
    {
        "dense.weight": ("lm_head.dense.weight",),
        "dense.bias": ("lm_head.dense.bias",),
        "layer_norm.weight": ("lm_head.layer_norm.weight",),
        "layer_norm.bias": ("lm_head.layer_norm.bias",),
        "decoder_weight": ("lm_head.decoder.weight",),
        "decoder_bias": ("lm_head.bias", "lm_head.decoder.bias"),
    },
    {
        "dense.weight": ("cls.predictions.transform.dense.weight",),
        "dense.bias": ("cls.predictions.transform.dense.bias",),
        "layer_norm.weight": ("cls.predictions.transform.LayerNorm.weight",),
        "layer_norm.bias": ("cls.predictions.transform.LayerNorm.bias",),
        "decoder_weight": ("cls.predictions.decoder.weight",),
        "decoder_bias": ("cls.predictions.bias", "cls.predictions.decoder.bias"),
    },
    {
        "dense.weight": ("vocab_transform.weight",),
        "dense.bias": ("vocab_transform.bias",),
        "layer_norm.weight": ("vocab_layer_norm.weight",),
        "layer_norm.bias": ("vocab_layer_norm.bias",),
        "decoder_weight": ("vocab_projector.weight",),
        "decoder_bias": ("vocab_projector.bias",),
    },
)


@register_head(MASKED_LM)
class MaskedLMHead(Head):
    """`num_labels` is the vocabulary size."""

    def __init__(self, config: PretrainedConfig, num_labels: int):
        super().__init__(config, num_labels)
        h = self.hidden_size
        self.dense = nn.Linear(h, h)
        act = getattr(config, "hidden_act", "gelu")
        self.activation = ACT2FN[act] if isinstance(act, str) else act
        self.layer_norm = nn.LayerNorm(h, eps=float(getattr(config, "layer_norm_eps", 1e-12)))
        self.decoder_weight = nn.Parameter(torch.zeros(num_labels, h), requires_grad=False)
        self.decoder_bias = nn.Parameter(torch.zeros(num_labels), requires_grad=False)
        self._initial: dict[str, torch.Tensor] | None = None
        self.initialised_from: str = "random"

    @classmethod
    def create(
        cls, backbone: PreTrainedModel, num_labels: int | None = None, **kwargs: Any
    ) -> Head:
        embeddings = backbone.get_input_embeddings().weight
        head = cls(backbone.config, num_labels or embeddings.shape[0], **kwargs)
        head.init_from_checkpoint(backbone)
        return head

    def init_from_checkpoint(self, backbone: PreTrainedModel) -> None:
        """Fill from the checkpoint `backbone` was loaded from; remember it as initial state."""
        embeddings = backbone.get_input_embeddings().weight.detach()
        values = _checkpoint_head(getattr(backbone, "sparsexlt_source", None))
        with torch.no_grad():
            params = dict(self.named_parameters())
            if values:
                for name, tensor in values.items():
                    if name != "decoder_weight":
                        params[name].copy_(tensor)
            else:
                self.reset_parameters(torch.Generator().manual_seed(0))
            decoder = values.get("decoder_weight", embeddings)
            if tuple(decoder.shape) != tuple(self.decoder_weight.shape):
                raise ValueError(
                    f"masked-LM decoder {tuple(decoder.shape)} does not match vocabulary "
                    f"{tuple(self.decoder_weight.shape)}"
                )
            self.decoder_weight.copy_(decoder)
        self.initialised_from = "checkpoint" if values else "random transform, decoder=embeddings"
        if not values:
            log("masked-LM head: checkpoint has none; random transform, decoder = input embeddings")
        self._initial = {
            n: p.detach().to("cpu", copy=True)
            for n, p in self.named_parameters()
            if p.requires_grad
        }

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Back to the initial (checkpoint) state when known; else seeded random."""
        if self._initial is not None:
            with torch.no_grad():
                for name, param in self.named_parameters():
                    if name in self._initial:
                        param.copy_(self._initial[name])
            return
        super().reset_parameters(generator)

    def forward(self, hidden: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> TaskOutput:
        labels = batch.get("labels")
        if labels is None:
            return TaskOutput(loss=None, logits=self._logits(hidden))
        selected = labels != IGNORE_INDEX  # score only the masked positions: V is large
        logits = self._logits(hidden[selected])
        return TaskOutput(loss=masked_cross_entropy(logits, labels[selected]), logits=logits)

    def _logits(self, hidden: torch.Tensor) -> torch.Tensor:
        x = self.layer_norm(self.activation(self.dense(hidden)))
        return nn.functional.linear(x, self.decoder_weight, self.decoder_bias)

    def decode(self, output: TaskOutput, batch: Mapping[str, torch.Tensor]) -> dict:
        return {"labels": output.logits.argmax(-1)}


def _checkpoint_head(source: str | None) -> dict[str, torch.Tensor]:
    """Our-name → tensor for the first layout whose dense weight the checkpoint has."""
    if source is None:
        return {}
    try:
        reader = CheckpointReader(source)
    except (OSError, ValueError):  # no readable safetensors: fall back to random init
        return {}
    for layout in HEAD_LAYOUTS:
        if reader.find(layout["dense.weight"][0]) is None:
            continue
        values = {}
        for ours, keys in layout.items():
            key = next((k for k in keys if reader.find(k) is not None), None)
            if key is not None:
                values[ours] = reader.tensor(key).float()
        return values
    return {}
