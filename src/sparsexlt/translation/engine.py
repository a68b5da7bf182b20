"""Translate lists of sentences with a converted (CTranslate2) NLLB model.

An engine is anything with `key`, `language_codes` and `translate(texts, src, tgt)`: the dataset
translator depends on that interface only, so tests can count calls or inject a fake engine.

NLLB conventions (checked against `transformers` `generate`, token for token): the source is
`[src_code] pieces </s>`; decoding starts from `</s>` and is forced to emit the target code
first (CTranslate2: `target_prefix=[[tgt_code]]`), which is dropped before detokenising.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sparsexlt.errors import ConfigError
from sparsexlt.translation.manifest import TOKENIZER_DIR, TranslatorManifest
from sparsexlt.translation.options import TranslationOptions
from sparsexlt.util.hashing import combine


@dataclass(frozen=True)
class TranslatedBatch:
    """Translations of one call, in input order, and which inputs were truncated."""

    texts: list[str]
    truncated: list[bool]


class TranslationEngine(Protocol):
    """What `translate_dataset` needs from a translator."""

    key: str  # identifies model (full content hash) + decoding options: the cache key's model part
    fingerprint: str  # the source model's fingerprint (for reports)
    language_codes: frozenset[str]

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> TranslatedBatch: ...


def truncate_tokens(tokens: list[str], max_tokens: int) -> tuple[list[str], bool]:
    """Cut a `[code] pieces </s>` sequence to `max_tokens`, keeping the code and the final </s>."""
    if len(tokens) <= max_tokens:
        return tokens, False
    return tokens[: max_tokens - 1] + tokens[-1:], True


class CTranslate2Engine:
    """A converted NLLB model on CPU or GPU (see `TranslationOptions` for the knobs)."""

    def __init__(self, model_dir: str | Path, options: TranslationOptions | None = None):
        import ctranslate2
        from transformers import AutoTokenizer

        self.model_dir = Path(model_dir)
        self.options = options or TranslationOptions()
        manifest = TranslatorManifest.read(self.model_dir)
        limit = manifest.max_position_embeddings or source_positions(manifest.source)
        check_position_limits(self.options, limit, self.model_dir)
        self.fingerprint = manifest.fingerprint
        self.language_codes = frozenset(manifest.language_codes)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir / TOKENIZER_DIR))
        opts = self.options
        with _torch_threads_kept():
            self.translator = ctranslate2.Translator(
                str(self.model_dir),
                device=opts.device,
                device_index=opts.device_index,
                compute_type=opts.compute_type,
                inter_threads=1,
                intra_threads=opts.threads,
            )
        self.key = combine(
            [
                manifest.content_key,
                manifest.quantization,
                str(self.translator.compute_type),
                str(sorted(opts.decoding_key().items())),
            ]
        )

    def tokenize(self, texts: Sequence[str], src: str) -> tuple[list[list[str]], list[bool]]:
        """Source tokens (`[src] pieces </s>`), truncated to `max_input_tokens`."""
        self.tokenizer.src_lang = src
        ids = self.tokenizer(list(texts), add_special_tokens=True)["input_ids"]
        out, truncated = [], []
        for row in ids:
            tokens, cut = truncate_tokens(
                self.tokenizer.convert_ids_to_tokens(row), self.options.max_input_tokens
            )
            out.append(tokens)
            truncated.append(cut)
        return out, truncated

    def translate_tokens(self, batch: list[list[str]], tgt: str) -> list[list[str]]:
        """Output tokens (target code dropped) for tokenised sources."""
        opts = self.options
        results = self.translator.translate_batch(
            batch,
            target_prefix=[[tgt]] * len(batch),
            beam_size=opts.beam_size,
            max_batch_size=opts.max_batch_tokens,
            batch_type="tokens",
            max_input_length=0,  # we truncate ourselves, and count it
            max_decoding_length=opts.max_output_tokens + 1,  # the prefix counts
        )
        return [_drop_prefix(r.hypotheses[0], tgt) for r in results]

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> TranslatedBatch:
        if not texts:
            return TranslatedBatch([], [])
        batch, truncated = self.tokenize(texts, src)
        outputs = self.translate_tokens(batch, tgt)
        decoded = [self.detokenize(tokens) for tokens in outputs]
        return TranslatedBatch(decoded, truncated)

    def detokenize(self, tokens: list[str]) -> str:
        ids = self.tokenizer.convert_tokens_to_ids(tokens)
        return self.tokenizer.decode(ids, skip_special_tokens=True).strip()


# where users set each option: the command line and the pipeline config
_ALIASES = {
    "max_input_tokens": "--max-input-tokens, translation.max_input_length",
    "max_output_tokens": "--max-output-tokens, translation.max_decoding_length",
}


def source_positions(source: str) -> int | None:
    """`max_position_embeddings` from the config of the local folder a translator was converted
    from (for manifests written before it was recorded); None when that folder is gone or is a
    hub id (no download just for this)."""
    config = Path(source) / "config.json"
    try:
        value = json.loads(config.read_text()).get("max_position_embeddings")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def check_position_limits(
    options: TranslationOptions, max_positions: int | None, model_dir: str | Path
) -> None:
    """Refuse length options the model has no positions for, before any sentence is translated.

    Measured with CTranslate2 4.8 on a model with P positions: a source of `max_input_tokens`
    tokens (code and `</s>` included) needs `max_input_tokens <= P`; the decoder reads the start
    token, the target code and all but the last output token, so `max_output_tokens <= P - 1`.
    Past that CTranslate2 fails mid-job ("No position encodings are defined …"). `max_positions`
    None (an old manifest whose source folder is gone) skips the check.
    """
    if max_positions is None:
        return
    limits = {"max_input_tokens": max_positions, "max_output_tokens": max_positions - 1}
    problems = [
        f"{name} ({_ALIASES[name]}): {getattr(options, name)} is more than the model's limit "
        f"of {limit} ({model_dir} has {max_positions} positions); lower it to at most {limit}"
        for name, limit in limits.items()
        if getattr(options, name) > limit
    ]
    if problems:
        raise ConfigError("translation options", problems)


@contextmanager
def _torch_threads_kept() -> Iterator[None]:
    """Restore torch's thread count after CTranslate2 starts.

    Measured here: `Translator(intra_threads=0)` set the process-wide OpenMP thread count that
    torch reads (1 → 2), and a training run in the same process then took 4x longer on a busy
    2-core machine.
    """
    import torch

    before = torch.get_num_threads()
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def _drop_prefix(tokens: list[str], tgt: str) -> list[str]:
    return tokens[1:] if tokens and tokens[0] == tgt else list(tokens)


def load_engine(model_dir: str | Path, options: TranslationOptions | None = None) -> Any:
    """The engine for a converted translator folder."""
    return CTranslate2Engine(model_dir, options)
