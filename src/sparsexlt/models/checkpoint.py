"""Read tensors straight from a checkpoint's safetensors files, without building a model.

Two users: the fingerprint of a 4-bit load (the in-memory weights are quantised, the checkpoint
is not) and the masked-LM head (its weights sit next to the encoder's in the checkpoint, which
`AutoModel` drops). Tensors are found under the backbone's names, with or without the
architecture's prefix (`roberta.`, `bert.`, `model.`, …).
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import safe_open

from sparsexlt.errors import IncompatibleModelError
from sparsexlt.models.fingerprint import Sampler, backbone_of, hash_entries


def safetensors_files(source: str) -> list[Path]:
    """The safetensors files of a local folder or of a (cached or reachable) hub id."""
    folder = Path(source).expanduser()
    if not folder.is_dir():
        from huggingface_hub import snapshot_download

        folder = Path(snapshot_download(repo_id=source, allow_patterns=["*.safetensors"]))
    return sorted(folder.glob("*.safetensors"))


class CheckpointReader:
    """Index of tensor names → file over all safetensors files of a checkpoint."""

    def __init__(self, source: str):
        self.source = source
        self._file_of: dict[str, Path] = {}
        for path in safetensors_files(source):
            with safe_open(str(path), framework="pt") as f:
                for key in f.keys():  # noqa: SIM118 - safe_open is not a mapping
                    self._file_of[key] = path

    def __bool__(self) -> bool:
        return bool(self._file_of)

    def keys(self) -> list[str]:
        return sorted(self._file_of)

    def find(self, name: str, prefixes: tuple[str, ...] = ()) -> str | None:
        """The checkpoint key of `name`, trying `name` then `<prefix>.<name>` for each prefix."""
        for key in (name, *(f"{p}.{name}" for p in prefixes if p)):
            if key in self._file_of:
                return key
        return None

    def shape(self, key: str) -> tuple[int, ...]:
        with safe_open(str(self._file_of[key]), framework="pt") as f:
            return tuple(f.get_slice(key).get_shape())

    def tensor(self, key: str) -> torch.Tensor:
        with safe_open(str(self._file_of[key]), framework="pt") as f:
            return f.get_tensor(key)

    def sampler(self, key: str) -> Sampler:
        """Reads only the rows that hold the requested flat indices (cheap on huge matrices)."""

        def sample(indices: list[int]) -> torch.Tensor:
            with safe_open(str(self._file_of[key]), framework="pt") as f:
                sl = f.get_slice(key)
                shape = sl.get_shape()
                if len(shape) <= 1:
                    flat = sl[:].reshape(-1)
                    return flat[torch.tensor(indices, dtype=torch.long)]
                row = 1
                for d in shape[1:]:
                    row *= d
                rows: dict[int, torch.Tensor] = {}
                out = []
                for i in indices:
                    r = i // row
                    if r not in rows:
                        rows[r] = sl[r : r + 1].reshape(-1)
                    out.append(rows[r][i % row])
                return torch.stack(out)

        return sample


def _original_shape(param: torch.Tensor) -> tuple[int, ...]:
    state = getattr(param, "quant_state", None)
    return tuple(state.shape) if state is not None else tuple(param.shape)


def checkpoint_fingerprint(model: torch.nn.Module, source: str) -> str:
    """The fingerprint a float load of `source` would have, for a (4-bit) `model` loaded from it.

    Names and shapes come from the model (original shapes for quantised weights); values come
    from the checkpoint files. A parameter absent from the checkpoint (newly initialised at load
    time) is hashed from memory when it is not quantised, else by name and shape only.
    """
    backbone = backbone_of(model)
    reader = CheckpointReader(source)
    if not reader:
        raise IncompatibleModelError(
            f"{source}: no *.safetensors checkpoint found; a 4-bit load computes the base "
            "fingerprint from the unquantised safetensors weights (convert the checkpoint with "
            "save_pretrained first)"
        )
    prefixes = (getattr(backbone, "base_model_prefix", ""), "model")
    entries = []
    for name, param in backbone.named_parameters():
        shape = _original_shape(param)
        key = reader.find(name, prefixes)
        if key is not None and reader.shape(key) == shape:
            entries.append((name, shape, reader.sampler(key)))
        elif getattr(param, "quant_state", None) is None:
            flat = param.detach().reshape(-1)
            entries.append((name, shape, lambda idx, flat=flat: flat[torch.tensor(idx)]))
        else:
            entries.append((name, shape, None))
    return hash_entries(entries)
