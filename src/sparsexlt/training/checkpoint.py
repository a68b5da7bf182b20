"""Checkpoints that let a killed run resume exactly where it stopped.

Layout: `<output_dir>/checkpoints/step-00000042/` holding `tensors.safetensors` and `state.json`,
written with `atomic_dir` (a kill -9 mid-write leaves only a hidden temporary sibling, never a
half checkpoint). The state is one nested dict (trainable tensors, method state, optimizer,
scheduler, sampler, collator and RNG states, step, phase, history) stored through `tree_codec`
as JSON + safetensors. The newest `keep` complete checkpoints are kept.

What goes in and the order it is restored in: `resume.py`.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file

from sparsexlt.training.tree_codec import pack, unpack
from sparsexlt.util.atomic import atomic_dir, is_complete

CHECKPOINTS = "checkpoints"
TENSORS = "tensors.safetensors"
STATE = "state.json"
_NAME = re.compile(r"^step-(\d+)$")


def checkpoint_root(output_dir: str | Path) -> Path:
    return Path(output_dir) / CHECKPOINTS


def save_checkpoint(output_dir: str | Path, step: int, state: dict[str, Any], keep: int) -> Path:
    """Write `state` as the checkpoint of `step` and drop all but the newest `keep`."""
    final = checkpoint_root(output_dir) / f"step-{step:08d}"
    tree, tensors = pack(state, "s")
    with atomic_dir(final, overwrite=True) as tmp:
        save_file(tensors, str(tmp / TENSORS))
        (tmp / STATE).write_text(json.dumps(tree, allow_nan=True))
    prune(output_dir, keep)
    return final


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    tree = json.loads((path / STATE).read_text())
    return unpack(tree, load_file(str(path / TENSORS)))


def list_checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoints, oldest first."""
    root = checkpoint_root(output_dir)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found) if is_complete(p)]


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    found = list_checkpoints(output_dir)
    return found[-1] if found else None


def prune(output_dir: str | Path, keep: int) -> None:
    """Remove all but the newest `keep` complete checkpoints and leftovers of killed writes."""
    for old in list_checkpoints(output_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    root = checkpoint_root(output_dir)
    for p in root.glob(".step-*.tmp-*"):
        shutil.rmtree(p, ignore_errors=True)
