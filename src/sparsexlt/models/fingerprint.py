"""Base-model fingerprint: a cheap identity for "the weights an SFT was trained against".

An SFT stores the fingerprint of its base model; applying it to a model with another fingerprint
is an error. The hash covers every backbone parameter's name, shape and a fixed sample of
`SAMPLES_PER_TENSOR` evenly strided values, so it is fast on a 7B model (it never reads all
values) yet changes when a checkpoint differs.

Robustness rules (the contract):
- names are relative to the backbone (the AutoModel encoder): a `TaskModel` (which has a
  `.backbone`) and its backbone give the same value; a Hugging Face model with a task head
  (`...ForMaskedLM`) is hashed through its `base_model`;
- sampled values are rounded to bfloat16 before hashing, so float32 and bfloat16 loads of one
  checkpoint match (rounding fp32→bf16 is the same whether done at load time or here). A float16
  load of a float32 checkpoint rounds twice and may differ;
- 4-bit parameters cannot be hashed from memory: `load_backbone` computes their fingerprint from
  the unquantised checkpoint files (`checkpoint_fingerprint`) and stores it on the model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

import torch
from torch import nn

SAMPLES_PER_TENSOR = 64
FINGERPRINT_ATTR = "sparsexlt_fingerprint"

# A sampler returns the flat values at the given flat indices of one tensor.
Sampler = Callable[[list[int]], torch.Tensor]


def sample_indices(numel: int, n: int = SAMPLES_PER_TENSOR) -> list[int]:
    """`n` evenly strided flat indices in [0, numel), first and last included (integer maths)."""
    if numel <= n:
        return list(range(numel))
    return [(i * (numel - 1)) // (n - 1) for i in range(n)]


def backbone_of(module: nn.Module) -> nn.Module:
    """The encoder whose parameter names the fingerprint uses."""
    inner = getattr(module, "backbone", None)
    if isinstance(inner, nn.Module):
        return inner
    base = getattr(module, "base_model", None)
    if isinstance(base, nn.Module) and base is not module:
        return base
    return module


def hash_entries(entries: Iterable[tuple[str, tuple[int, ...], Sampler | None]]) -> str:
    """sha256 over (name, shape, bf16 sample) of each entry, in sorted name order.

    An entry without a sampler contributes its name and shape only (used for parameters that
    exist in the model but not in the checkpoint a 4-bit fingerprint is read from).
    """
    h = hashlib.sha256(b"sparsexlt-fingerprint-v1")
    for name, shape, sampler in sorted(entries, key=lambda e: e[0]):
        h.update(f"{name}|{','.join(map(str, shape))}|".encode())
        if sampler is None:
            h.update(b"no-values")
            continue
        numel = 1
        for d in shape:
            numel *= d
        values = sampler(sample_indices(numel)).detach().to("cpu", torch.bfloat16)
        h.update(values.view(torch.int16).numpy().tobytes())
    return h.hexdigest()


def _param_sampler(param: torch.Tensor) -> Sampler:
    def sample(indices: list[int]) -> torch.Tensor:
        flat = param.detach().reshape(-1)  # a view for contiguous parameters
        return flat[torch.tensor(indices, dtype=torch.long, device=flat.device)]

    return sample


def fingerprint(module: nn.Module) -> str:
    """Fingerprint of the backbone weights as they are now in memory."""
    entries = []
    for name, param in backbone_of(module).named_parameters():
        if param.device.type == "meta":
            raise ValueError(f"parameter {name} is on the meta device: nothing to fingerprint")
        if getattr(param, "quant_state", None) is not None or type(param).__name__ == "Params4bit":
            raise ValueError(
                f"parameter {name} is 4-bit quantised: its fingerprint comes from the unquantised "
                "checkpoint; load the model with sparsexlt.models.load_backbone and use "
                "base_fingerprint(model)"
            )
        entries.append((name, tuple(param.shape), _param_sampler(param)))
    return hash_entries(entries)


def base_fingerprint(model: nn.Module) -> str:
    """The fingerprint stored at load time (before any delta was merged), else computed now."""
    inner = backbone_of(model)
    for candidate in (model, inner):
        stored = getattr(candidate, FINGERPRINT_ATTR, None)
        if isinstance(stored, str):
            return stored
    return fingerprint(inner)
