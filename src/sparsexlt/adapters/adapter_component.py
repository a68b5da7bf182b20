"""What every adapter component (LoRA, MAD-X) shares: its head, its descriptive manifest fields,
where it is applied, its identity and its folder (`adapter_format`).

A subclass sets its own structure, then calls `_init_shared` (the repr it builds may use that
structure), and says how it is stored with `manifest()` and `tensors()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from sparsexlt.adapters import adapter_format
from sparsexlt.adapters.applications import Applications
from sparsexlt.adapters.attachment import content_hash


class AdapterComponent:
    """Base of `LoraComponent` and `MadxAdapter`: `new_parameters` (absolute head), `info`."""

    method: str
    new_parameters: dict[str, torch.Tensor]
    info: dict[str, Any]

    def _init_shared(
        self, new_parameters: dict[str, torch.Tensor] | None, info: dict[str, Any] | None
    ) -> None:
        self.new_parameters = {n: t.detach() for n, t in (new_parameters or {}).items()}
        self.info = dict(info or {})
        self._applied = Applications(repr(self))

    @property
    def base_fingerprint(self) -> str | None:
        return self.info.get("base_fingerprint")

    def is_applied(self, model: nn.Module) -> bool:
        return self._applied.is_applied(model)

    def manifest(self) -> dict[str, Any]:
        raise NotImplementedError

    def tensors(self) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def content_hash(self) -> str:
        return content_hash(self.manifest(), self.tensors())

    def save(self, directory: str | Path, overwrite: bool = False) -> Path:
        """Write `adapter.safetensors` + `adapter.json` atomically; returns the folder."""
        return adapter_format.write_adapter(
            directory, self.manifest(), self.tensors(), overwrite=overwrite
        )


def loaded_info(
    manifest: dict[str, Any], tensors: dict[str, torch.Tensor], derived: frozenset[str]
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(info, new parameters) of a read adapter: the manifest less the `derived` fields that
    `manifest()` recomputes on save, and the head's absolute values."""
    info = {k: v for k, v in manifest.items() if k not in derived}
    return info, adapter_format.new_parameter_tensors(manifest, tensors)
