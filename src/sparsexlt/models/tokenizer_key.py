"""What identifies a tokenizer by content, for caches keyed on how text becomes ids.

Why not its path: a folder rebuilt in place, or the same folder loaded with other options
(`do_lower_case=False`), splits text differently under the same `name_or_path`, and a cache
keyed on the path (the `datasets` map cache of an encoding) would hand back ids made by the
other tokenizer.

Contract: `tokenizer_bytes` is the tokenizer's class, special tokens and full serialised form
(vocabulary, merges, normaliser, pre-tokeniser: `backend_tokenizer.to_str()` for a fast
tokenizer, less the truncation and padding settings that each call sets; the vocabulary and
init options for a slow one). `tokenizer_key` is its sha256,
memoised on the tokenizer object for as long as its length is unchanged (adding tokens
recomputes it); serialising XLM-R's 250k-piece vocabulary takes a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import suppress
from typing import Any

from sparsexlt.util.hashing import canonical_json

_MEMO = "_sparsexlt_tokenizer_key"
USE_STATE = ("truncation", "padding")


def tokenizer_bytes(tokenizer: Any) -> bytes:
    """What defines how `tokenizer` splits text (see the module contract)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        serialised = json.loads(backend.to_str())
        for per_call in USE_STATE:  # set by each call (truncation=True, padding=…), not content
            serialised.pop(per_call, None)
        body = canonical_json(serialised)
    else:
        options = getattr(tokenizer, "init_kwargs", {})
        body = canonical_json([tokenizer.get_vocab(), sorted(map(str, options.items()))])
    special = canonical_json(sorted(getattr(tokenizer, "all_special_tokens", [])))
    return f"{type(tokenizer).__name__}|{special}|{body}".encode()


def tokenizer_key(tokenizer: Any) -> str:
    """Hex sha256 of `tokenizer_bytes`, memoised while `len(tokenizer)` stays the same."""
    memo = getattr(tokenizer, _MEMO, None)
    if memo is not None and memo[0] == len(tokenizer):
        return memo[1]
    key = hashlib.sha256(tokenizer_bytes(tokenizer)).hexdigest()
    with suppress(AttributeError):  # one that refuses new attributes: recomputed next time
        setattr(tokenizer, _MEMO, (len(tokenizer), key))
    return key
