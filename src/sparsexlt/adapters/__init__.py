"""Fine-tuning methods and what they produce.

    from sparsexlt.adapters import SparseDelta, compose
    compose(SparseDelta.load("sft/task"), SparseDelta.load("sft/lang")).apply(model)

SparseDelta (φ) is the value every sparse method produces; methods are looked up by name in
`registry` (`get_method`, `load_component`). Names are imported on first use.
"""

from __future__ import annotations

from sparsexlt.util.lazy import lazy_exports

_EXPORTS = {
    "SparseDelta": "sparse_delta",
    "compose": "merge",
    "apply_all": "merge",
    "merge_into_folder": "merge",
    "FineTuningMethod": "base",
    "Component": "base",
    "available_methods": "registry",
    "get_method": "registry",
    "load_component": "registry",
    "register_method": "registry",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
