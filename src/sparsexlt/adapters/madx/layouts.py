"""Where MAD-X adapters go in the supported encoders.

The Pfeiffer adapter sits after each layer's feed-forward block. In every supported encoder that
block ends as `LayerNorm(h + x)`, with h the feed-forward output (after its dropout) and x the
attention block's output. A `Layout` names, inside the encoder, the layer list, the module whose
output is h (the `residual`) and that LayerNorm (the `norm`), plus the embedding module whose
output the invertible adapter transforms. Hooks on those modules (see `stack`) insert the
adapters without replacing any module, so parameter names and values stay the base model's.

Supported (hidden size = embedding size): BERT, RoBERTa, XLM-R, CamemBERT, MiniLM and other
BERT-architecture models (`encoder.layer.N.output`), and DistilBERT (`transformer.layer.N`).
Anything else is an IncompatibleModelError naming what was looked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from sparsexlt.errors import IncompatibleModelError


@dataclass(frozen=True)
class Layout:
    family: str
    layers: str  # the ModuleList of transformer layers
    residual: str  # in a layer: the module whose output is the feed-forward output h
    norm: str  # in a layer: the LayerNorm applied to h + x
    embeddings: str  # the module whose output the invertible adapter transforms


LAYOUTS = (
    Layout("bert", "encoder.layer", "output.dropout", "output.LayerNorm", "embeddings"),
    Layout("distilbert", "transformer.layer", "ffn", "output_layer_norm", "embeddings"),
)


@dataclass
class Sites:
    """The modules of one encoder that MAD-X hooks into."""

    layout: Layout
    residuals: list[nn.Module]
    norms: list[nn.LayerNorm]
    embeddings: nn.Module

    @property
    def num_layers(self) -> int:
        return len(self.norms)

    @property
    def hidden_size(self) -> int:
        return int(self.norms[0].normalized_shape[-1])


def find_sites(encoder: nn.Module) -> Sites:
    """The hook sites of `encoder` under the first layout that fits it."""
    for layout in LAYOUTS:
        sites = _try_layout(encoder, layout)
        if sites is not None:
            return sites
    wanted = "; ".join(
        f"{lay.family}: {lay.layers}.N.{{{lay.residual}, {lay.norm}}}" for lay in LAYOUTS
    )
    raise IncompatibleModelError(
        f"madx: unsupported encoder {type(encoder).__name__}; MAD-X adapters need a BERT-style "
        f"layer layout ({wanted}) with nn.LayerNorm norms and hidden size = embedding size"
    )


def _try_layout(encoder: nn.Module, layout: Layout) -> Sites | None:
    layers = _get(encoder, layout.layers)
    embeddings = _get(encoder, layout.embeddings)
    if not isinstance(layers, nn.ModuleList) or not len(layers) or embeddings is None:
        return None
    residuals = [_get(layer, layout.residual) for layer in layers]
    norms = [_get(layer, layout.norm) for layer in layers]
    if any(r is None for r in residuals) or not all(isinstance(n, nn.LayerNorm) for n in norms):
        return None
    sites = Sites(layout, residuals, norms, embeddings)
    embedding_size = getattr(getattr(encoder, "config", None), "embedding_size", None)
    if embedding_size not in (None, sites.hidden_size):
        return None
    return sites


def _get(module: nn.Module, path: str) -> nn.Module | None:
    try:
        return module.get_submodule(path)
    except AttributeError:
        return None
