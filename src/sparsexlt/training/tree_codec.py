"""Nested state (optimizer, scheduler, method, RNG) as JSON plus named tensors — never pickle.

`pack(obj, prefix)` walks dicts, lists and tuples: tensors go to a flat name → tensor dict (saved
with safetensors), numpy arrays become tensors, everything else must be JSON. Markers keep what
JSON alone loses: {"__tensor__": name}, {"__ndarray__": name}, {"__tuple__": [...]}, and
{"__dict__": [[key, value], ...]} for dicts whose keys are not all strings (optimizer state is
keyed by int). `unpack` reverses it exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

_MARKERS = ("__tensor__", "__ndarray__", "__tuple__", "__dict__")


def pack(obj: Any, prefix: str) -> tuple[Any, dict[str, torch.Tensor]]:
    """(JSON-able tree, tensors by name); names start with `prefix`."""
    tensors: dict[str, torch.Tensor] = {}
    tree = _pack(obj, prefix, tensors)
    return tree, tensors


def unpack(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(tree, list):
        return [unpack(v, tensors) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if "__tensor__" in tree:
        return tensors[tree["__tensor__"]]
    if "__ndarray__" in tree:
        return tensors[tree["__ndarray__"]].numpy()
    if "__tuple__" in tree:
        return tuple(unpack(v, tensors) for v in tree["__tuple__"])
    if "__dict__" in tree:
        return {unpack(k, tensors): unpack(v, tensors) for k, v in tree["__dict__"]}
    return {k: unpack(v, tensors) for k, v in tree.items()}


def _pack(obj: Any, name: str, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, torch.Tensor):
        tensors[name] = obj.detach().to("cpu", copy=True).contiguous()
        return {"__tensor__": name}
    if isinstance(obj, np.ndarray):
        tensors[name] = torch.from_numpy(np.ascontiguousarray(obj).copy())
        return {"__ndarray__": name}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return {"__tuple__": [_pack(v, f"{name}.{i}", tensors) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_pack(v, f"{name}.{i}", tensors) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and not any(m in obj for m in _MARKERS):
            return {k: _pack(v, f"{name}.{k}", tensors) for k, v in obj.items()}
        items = [
            [_pack(k, f"{name}.k{i}", tensors), _pack(v, f"{name}.{i}", tensors)]
            for i, (k, v) in enumerate(obj.items())
        ]
        return {"__dict__": items}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"{name}: cannot store a {type(obj).__name__} in a checkpoint (JSON/tensors)")
