"""Decoding and batching options of a translation job, validated once.

Only the options that change what a translation *is* (beam size, input truncation, output cap)
enter the cache key (`decoding_key`); the ones that change how fast it runs (batch size,
threads, device) do not, so a resumed job may use another machine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sparsexlt.errors import ConfigError

DEVICES = ("cpu", "cuda", "auto")


@dataclass(frozen=True)
class TranslationOptions:
    """How to translate.

    beam_size: beam width (1 = greedy).
    max_batch_tokens: CTranslate2 `max_batch_size` with `batch_type="tokens"`: batches are
        formed by length so that each holds at most this many source tokens. 1024 suits CPUs
        (measured with beam 4: 4096 was ~35% slower per sentence, the beams' caches outgrow
        the CPU caches); on a GPU larger batches (4096+) pay off.
    max_input_tokens: source segments longer than this (language code and </s> included) are
        truncated; the report counts them.
    max_output_tokens: cap on generated tokens after the target language code.
    chunk_size: sentences per call to the engine; the cache is flushed after each chunk, so a
        killed job loses at most one chunk.
    device: "cpu", "cuda" or "auto"; device_index picks the GPU.
    threads: CTranslate2 intra-op threads on CPU (0 = its default).
    compute_type: CTranslate2 compute type ("default" = the type the model was converted to,
        or the nearest the device supports).
    """

    beam_size: int = 4
    max_batch_tokens: int = 1024
    max_input_tokens: int = 256
    max_output_tokens: int = 256
    chunk_size: int = 256
    device: str = "cpu"
    device_index: int = 0
    threads: int = 0
    compute_type: str = "default"

    def __post_init__(self) -> None:
        problems = []
        for name in ("beam_size", "max_batch_tokens", "max_output_tokens", "chunk_size"):
            if getattr(self, name) < 1:
                problems.append(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.max_input_tokens < 3:
            problems.append(f"max_input_tokens: must be >= 3, got {self.max_input_tokens}")
        if self.device not in DEVICES:
            problems.append(f"device: one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.threads < 0 or self.device_index < 0:
            problems.append("threads and device_index: must be >= 0")
        if problems:
            raise ConfigError("translation options", problems)

    def decoding_key(self) -> dict[str, int]:
        """The options that change the output, for cache keys."""
        return {
            "beam_size": self.beam_size,
            "max_input_tokens": self.max_input_tokens,
            "max_output_tokens": self.max_output_tokens,
        }

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
