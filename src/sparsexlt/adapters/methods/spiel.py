"""Register SpIEL under its two growth criteria (the implementation: `adapters.spiel`)."""

from __future__ import annotations

from sparsexlt.adapters.registry import register_method
from sparsexlt.adapters.sparse_delta import load_sparse_delta
from sparsexlt.adapters.spiel.method import SpielMethod


@register_method("spiel-ag", loader=load_sparse_delta)
class SpielAG(SpielMethod):
    """SpIEL-AG: growth by gradients accumulated over a window of A steps; AdamW."""

    growth = "ag"


@register_method("spiel-ma", loader=load_sparse_delta)
class SpielMA(SpielMethod):
    """SpIEL-MA: growth by the outer product of SM3's row and column accumulators; SM3."""

    growth = "ma"
