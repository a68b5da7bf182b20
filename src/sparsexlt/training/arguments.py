"""The training arguments that decide a run's result, and the check that guards resuming.

A run writes `<output_dir>/train_args.json` (the arguments and their hash). Starting again with a
checkpoint present resumes only when the new arguments hash the same; otherwise it refuses with a
`ConfigError` naming every field that differs (use another output_dir or delete the old one).
Operational fields (`config.OPERATIONAL_FIELDS`: eval/checkpoint/log cadence, device) are left
out, so they may change between attempts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import nn

from sparsexlt.adapters.base import FineTuningMethod
from sparsexlt.errors import ConfigError
from sparsexlt.training.config import TrainConfig
from sparsexlt.training.multi_source import Source
from sparsexlt.util.atomic import atomic_write_json
from sparsexlt.util.hashing import canonical_json, hash_json

ARGS_FILE = "train_args.json"


def describe_arguments(
    model: nn.Module, method: FineTuningMethod, sources: Sequence[Source], config: TrainConfig
) -> dict[str, Any]:
    """Everything that decides the trained result, as JSON (computed before `attach`)."""
    settings = config.resume_settings()
    hparams = json.loads(canonical_json(method.hparams))
    return {
        "config": settings,
        "method": {"name": method.name, "hparams": hparams, "phases": method.phases()},
        "sources": [s.describe() for s in sources],
        "model": model_identity(model),
    }


def model_identity(model: nn.Module) -> str:
    """Hash of every parameter's name, shape, dtype and 16 sampled values (head included).

    Computed on the model as passed in (before `attach`), so a restart with a model built the same
    way matches, while another base, head initialisation or pre-merged delta does not.
    """
    parts = []
    for name, p in model.named_parameters():
        flat = p.detach().reshape(-1)
        sample = flat[:: max(1, flat.numel() // 16)][:16].float().tolist()
        parts.append([name, list(p.shape), str(p.dtype), sample])
    return hash_json(parts)


def check_and_record(output_dir: Path, arguments: dict[str, Any], has_checkpoint: bool) -> str:
    """Refuse to resume a checkpoint trained with other arguments; record ours. Returns the hash."""
    digest = hash_json(arguments)
    path = output_dir / ARGS_FILE
    if has_checkpoint:
        if not path.is_file():
            raise ConfigError(path, ["missing: cannot tell which arguments the checkpoints used"])
        stored = json.loads(path.read_text())
        if stored["hash"] != digest:
            problems = [
                f"{field}: checkpoint has {old!r}, this run has {new!r}"
                for field, old, new in _differences(stored["arguments"], arguments)
            ]
            raise ConfigError(
                path,
                [
                    "checkpoints in this output_dir were trained with other arguments; "
                    "use another output_dir or delete it",
                    *problems,
                ],
            )
    return digest


def write_arguments(output_dir: Path, arguments: dict[str, Any], digest: str) -> None:
    atomic_write_json(output_dir / ARGS_FILE, {"hash": digest, "arguments": arguments})


def _differences(old: Any, new: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    old = json.loads(canonical_json(old))
    new = json.loads(canonical_json(new))
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            found += _differences(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            found += _differences(a, b, f"{path}[{i}]")
        return found
    return [] if old == new else [(path or "<arguments>", old, new)]
