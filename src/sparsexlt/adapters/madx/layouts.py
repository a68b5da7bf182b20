"""Where MAD-X adapters go in the supported models.

The Pfeiffer adapter sits after each layer's feed-forward block. Two layer shapes are supported:

- **post-norm** (BERT family): the block ends as `LayerNorm(h + x)`, with h the feed-forward
  output (after its dropout) and x the attention block's output. The layout names the module
  whose output is h (the `residual`) and that LayerNorm (the `norm`).
- **pre-norm** (Llama family decoders): the block is `r + m` with m = `mlp(norm(r))`; no norm
  follows it. The layout names the module whose output is m (the `residual`) and no norm.
  (Gemma2 and OLMo2 also normalise m before adding it, `post_feedforward_layernorm`: there the
  adapters run on the mlp's output, before that norm.)

A `Layout` also names the layer list and the embedding module whose output the invertible
adapter transforms. Hooks on those modules (see `stack`) insert the adapters without replacing
any module, so parameter names and values stay the base model's.

Supported (hidden size = embedding size): BERT, RoBERTa, XLM-R, CamemBERT, MiniLM and other
BERT-architecture models (`encoder.layer.N.output`), DistilBERT (`transformer.layer.N`), and
Llama, Mistral, Qwen2 and other decoders laid out as `layers.N.mlp` with `embed_tokens`.
Anything else is an IncompatibleModelError naming what was looked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from sparsexlt.errors import IncompatibleModelError


@dataclass(frozen=True)
class Layout:
    family: str
    layers: str  # the ModuleList of transformer layers
    residual: str  # in a layer: the module whose output is the feed-forward output
    norm: str | None  # in a layer: the LayerNorm applied to h + x (None: pre-norm)
    embeddings: str  # the module whose output the invertible adapter transforms

    @property
    def pre_norm(self) -> bool:
        return self.norm is None

    def describe(self) -> str:
        inside = self.residual if self.pre_norm else f"{{{self.residual}, {self.norm}}}"
        return f"{self.family}: {self.layers}.N.{inside} + {self.embeddings}"


LAYOUTS = (
    Layout("bert", "encoder.layer", "output.dropout", "output.LayerNorm", "embeddings"),
    Layout("distilbert", "transformer.layer", "ffn", "output_layer_norm", "embeddings"),
    Layout("llama", "layers", "mlp", None, "embed_tokens"),
)


@dataclass
class Sites:
    """The modules of one model that MAD-X hooks into (`norms` is empty for pre-norm)."""

    layout: Layout
    residuals: list[nn.Module]
    norms: list[nn.LayerNorm]
    embeddings: nn.Module
    hidden_size: int

    @property
    def num_layers(self) -> int:
        return len(self.residuals)

    @property
    def device(self) -> torch.device:
        return next(self.embeddings.parameters()).device


def find_sites(encoder: nn.Module) -> Sites:
    """The hook sites of `encoder` under the first layout that fits it."""
    for layout in LAYOUTS:
        sites = _try_layout(encoder, layout)
        if sites is not None:
            return sites
    wanted = "; ".join(layout.describe() for layout in LAYOUTS)
    raise IncompatibleModelError(
        f"madx: unsupported encoder {type(encoder).__name__}; MAD-X adapters need one of these "
        f"layer layouts ({wanted}) with hidden size = embedding size (post-norm layouts: "
        "nn.LayerNorm norms)"
    )


def _try_layout(encoder: nn.Module, layout: Layout) -> Sites | None:
    layers = _get(encoder, layout.layers)
    embeddings = _get(encoder, layout.embeddings)
    if not isinstance(layers, nn.ModuleList) or not len(layers) or embeddings is None:
        return None
    residuals = [_get(layer, layout.residual) for layer in layers]
    if any(r is None for r in residuals) or next(embeddings.parameters(), None) is None:
        return None
    norms = [] if layout.pre_norm else [_get(layer, layout.norm) for layer in layers]
    if not all(isinstance(n, nn.LayerNorm) for n in norms):
        return None
    hidden = _hidden_size(encoder, embeddings, norms)
    if hidden is None:
        return None
    return Sites(layout, residuals, norms, embeddings, hidden)


def _hidden_size(encoder: nn.Module, embeddings: nn.Module, norms: list) -> int | None:
    """The width the adapters read; None when the embeddings are narrower or wider."""
    config = getattr(encoder, "config", None)
    if norms:
        hidden = int(norms[0].normalized_shape[-1])
    else:
        hidden = getattr(config, "hidden_size", None) or getattr(embeddings, "embedding_dim", None)
    embedding_size = getattr(config, "embedding_size", None)
    if embedding_size is None and isinstance(embeddings, nn.Embedding):
        embedding_size = embeddings.embedding_dim
    return None if embedding_size not in (None, hidden) else hidden


def _get(module: nn.Module, path: str) -> nn.Module | None:
    try:
        return module.get_submodule(path)
    except AttributeError:
        return None
