"""A folder of one safetensors file + one JSON manifest: what the SFT and adapter formats share.

Both formats (`sft_format`, `adapter_format`) are a `TensorFolder`; they differ only in file
names, format name and what they validate. Writing is atomic (readers see the complete folder or
nothing); reading names the file at fault (`DataFormatError`). Never pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from sparsexlt.errors import DataFormatError
from sparsexlt.util.atomic import atomic_dir


@dataclass(frozen=True)
class TensorFolder:
    """One folder layout: file names, the format's name and version, and what it holds
    (`what`, for "not a saved <what> folder")."""

    tensors_file: str
    manifest_file: str
    format_name: str
    format_version: int
    what: str

    def write(
        self,
        directory: str | Path,
        manifest: dict[str, Any],
        tensors: dict[str, torch.Tensor],
        overwrite: bool = False,
    ) -> Path:
        """Write atomically: readers see the complete folder or nothing.

        The format's name and version go first into the manifest (and the name into the
        safetensors metadata); tensors are moved to CPU and made contiguous.
        """
        directory = Path(directory)
        header = {"format": self.format_name, "format_version": self.format_version}
        manifest = {**header, **manifest}
        tensors = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
        with atomic_dir(directory, overwrite=overwrite) as tmp:
            metadata = {"format": self.format_name}
            save_file(tensors, str(tmp / self.tensors_file), metadata=metadata)
            text = json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n"
            (tmp / self.manifest_file).write_text(text, encoding="utf-8")
        return directory

    def paths(self, directory: str | Path) -> tuple[Path, Path]:
        """(manifest path, tensors path) inside `directory`."""
        directory = Path(directory)
        return directory / self.manifest_file, directory / self.tensors_file

    def read_manifest(self, directory: str | Path) -> dict[str, Any]:
        """Check both files exist and parse the manifest."""
        manifest_path, tensors_path = self.paths(directory)
        for path in (manifest_path, tensors_path):
            if not path.is_file():
                raise DataFormatError(path, None, f"missing; not a saved {self.what} folder")
        try:
            return json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise DataFormatError(manifest_path, e.lineno, f"invalid JSON: {e.msg}") from None

    def read_tensors(self, directory: str | Path) -> dict[str, torch.Tensor]:
        """Load the safetensors file; any failure is a `DataFormatError` naming it."""
        _, tensors_path = self.paths(directory)
        try:
            return load_file(str(tensors_path))
        except Exception as e:  # safetensors raises its own error types
            raise DataFormatError(tensors_path, None, f"unreadable safetensors file: {e}") from None
