"""What a converted translator folder records about itself (`sparsexlt_translator.json`).

Kept apart from `convert` so that reading a translator (the engine, the CLI) does not import
the conversion machinery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sparsexlt.errors import IncompatibleModelError
from sparsexlt.util.atomic import is_complete

MANIFEST = "sparsexlt_translator.json"
TOKENIZER_DIR = "tokenizer"
FORMAT = "sparsexlt-ct2-translator/1"


@dataclass(frozen=True)
class TranslatorManifest:
    """What `sparsexlt_translator.json` records about a converted model."""

    source: str
    fingerprint: str  # sampled base-model fingerprint (`sparsexlt.models.fingerprint`)
    quantization: str
    language_codes: tuple[str, ...]
    model_type: str
    # sha256 of every weight and the tokenizer (`content_hash`); None in manifests written
    # before it was recorded
    weights_sha256: str | None = None
    # the model's position limit (source + `</s>`, or start token + output); None when unknown
    max_position_embeddings: int | None = None

    @property
    def content_key(self) -> str:
        """What identifies the converted weights: the full content hash, or for manifests
        written before it existed, the sampled fingerprint (so old conversions still load)."""
        return self.weights_sha256 or self.fingerprint

    @classmethod
    def read(cls, model_dir: str | Path) -> TranslatorManifest:
        path = Path(model_dir) / MANIFEST
        if not path.is_file():
            raise IncompatibleModelError(
                f"{model_dir}: not a converted translator (no {MANIFEST}); convert it with "
                "`sparsexlt translate convert MODEL OUT`"
            )
        data = json.loads(path.read_text())
        return cls(
            source=data["source"],
            fingerprint=data["fingerprint"],
            quantization=data["quantization"],
            language_codes=tuple(data["language_codes"]),
            model_type=data["model_type"],
            weights_sha256=data.get("weights_sha256"),
            max_position_embeddings=data.get("max_position_embeddings"),
        )


def converted_manifest(ref: str | Path) -> TranslatorManifest | None:
    """The manifest of `ref` when it is a finished converted translator folder, else None
    (a hub id, a Hugging Face folder, or a conversion that never finished)."""
    path = Path(ref)
    if not (path / MANIFEST).is_file() or not is_complete(path):
        return None
    return TranslatorManifest.read(path)
