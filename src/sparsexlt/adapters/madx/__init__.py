"""MAD-X (Pfeiffer et al., 2020), our own implementation: bottleneck adapters after each layer's
feed-forward block, an invertible adapter on the embeddings for language adapters, stacking
language → task. Hooks on BERT-style encoders and Llama-style decoders (`layouts`); no module
of the model is replaced."""

from sparsexlt.adapters.madx.component import (
    AdapterSet,
    MadxAdapter,
    active_components,
    load_madx,
)
from sparsexlt.adapters.madx.config import MadxSettings
from sparsexlt.adapters.madx.method import MadxMethod

__all__ = [
    "AdapterSet",
    "MadxAdapter",
    "MadxMethod",
    "MadxSettings",
    "active_components",
    "load_madx",
]
