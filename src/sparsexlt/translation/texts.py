"""Translate a list of texts through the cache: each distinct text once, each chunk saved at once.

This is the resumable core under `translate_dataset`: texts already in the cache are not sent
to the engine; the rest go in chunks of `chunk_size` (shortest first, so batches pad little),
and every chunk is written to the cache before the next starts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sparsexlt.translation.cache import TranslationCache
from sparsexlt.translation.engine import TranslationEngine
from sparsexlt.util.hashing import hash_text
from sparsexlt.util.progress import progress_bar


@dataclass
class TextStats:
    """Counts of one `translate_texts` call (over distinct non-empty texts)."""

    unique: int = 0
    empty: int = 0
    cache_hits: int = 0
    translated: int = 0
    truncated: int = 0
    seconds: float = 0.0

    @property
    def sentences_per_s(self) -> float:
        return self.translated / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "sentences_per_s": round(self.sentences_per_s, 2)}


def translate_texts(
    texts: Sequence[str],
    *,
    engine: TranslationEngine,
    cache: TranslationCache,
    src: str,
    tgt: str,
    chunk_size: int,
) -> tuple[dict[str, str], TextStats]:
    """{source text: translation} for every text, and the counts. Empty texts map to ""."""
    stats = TextStats()
    distinct = list(dict.fromkeys(texts))
    result: dict[str, str] = {t: "" for t in distinct if not t.strip()}
    stats.empty = len(result)
    todo = [t for t in distinct if t.strip()]
    stats.unique = len(todo)
    hashes = {t: hash_text(t) for t in todo}
    cached = cache.get_many(engine.key, src, tgt, list(hashes.values()))
    missing = []
    for text in todo:
        hit = cached.get(hashes[text])
        if hit is None:
            missing.append(text)
            continue
        result[text] = hit[0]
        stats.truncated += hit[1]
    stats.cache_hits = len(todo) - len(missing)
    missing.sort(key=len)
    _translate_missing(missing, hashes, result, stats, engine, cache, src, tgt, chunk_size)
    return result, stats


def _translate_missing(
    missing: list[str],
    hashes: dict[str, str],
    result: dict[str, str],
    stats: TextStats,
    engine: TranslationEngine,
    cache: TranslationCache,
    src: str,
    tgt: str,
    chunk_size: int,
) -> None:
    start = time.perf_counter()
    name = f"translate {src}→{tgt}"
    with progress_bar(name, total=len(missing)) as bar:
        task = bar.task_ids[0]
        for i in range(0, len(missing), chunk_size):
            chunk = missing[i : i + chunk_size]
            out = engine.translate(chunk, src, tgt)
            rows = list(zip(chunk, out.texts, out.truncated, strict=True))
            cache.put_many(engine.key, src, tgt, [(hashes[t], o, cut) for t, o, cut in rows])
            for text, translation, cut in rows:
                result[text] = translation
                stats.truncated += cut
            stats.translated += len(chunk)
            stats.seconds = time.perf_counter() - start
            rate = f"{stats.sentences_per_s:.1f} sent/s"
            bar.update(task, advance=len(chunk), description=f"{name} {rate}")
