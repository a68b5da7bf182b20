"""A pipeline artifact folder given where a component is expected (`sft info`, `evaluate`).

An artifact (`<output_dir>/artifacts/task-sft/<key>/`) keeps its component in `component/`
and says what it is in `artifact.json`; commands accept either folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def component_and_artifact(folder: Path) -> tuple[Path, Any]:
    """(component folder, the artifact's `ArtifactRef` or None for a bare component folder).

    Raises DeterministicError naming `artifact.json` when it cannot be read as a manifest."""
    from sparsexlt.adapters.registry import COMPONENT_DIR
    from sparsexlt.errors import DeterministicError
    from sparsexlt.recipe.artifacts import MANIFEST, read_ref

    if not (folder / COMPONENT_DIR).is_dir():
        return folder, None
    if not (folder / MANIFEST).is_file():
        return folder / COMPONENT_DIR, None
    try:
        ref = read_ref(folder)
    except (OSError, ValueError) as err:  # JSON and encoding errors are ValueErrors
        raise DeterministicError(
            f"{folder / MANIFEST}: not a readable artifact manifest ({err})"
        ) from err
    except (KeyError, TypeError) as err:
        raise DeterministicError(
            f"{folder / MANIFEST}: not an artifact manifest (expected an object with kind, key "
            f"and an `info` object; {type(err).__name__}: {err})"
        ) from err
    if not isinstance(ref.info, dict):
        raise DeterministicError(
            f"{folder / MANIFEST}: not an artifact manifest (`info` is no object)"
        )
    return folder / COMPONENT_DIR, ref
