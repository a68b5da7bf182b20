"""Give an NLLB model a language code it lacks (e.g. `mad_Latn` for Madurese).

The code becomes a special token of the tokenizer; its embedding row (and output row, when the
output layer is not tied to the embeddings) starts as a copy of a related language's code, so
the untrained model already behaves as if asked for that language — a far better start than a
random vector. NLLB checkpoints have spare embedding rows beyond the tokenizer's vocabulary;
the matrices only grow when the new id does not fit.
"""

from __future__ import annotations

from typing import Any

import torch
from tokenizers import AddedToken

from sparsexlt.errors import UnsupportedLanguageError


def add_language_code(model: Any, tokenizer: Any, code: str, init_from: str) -> int:
    """Add `code` to `tokenizer` and `model`, initialised from `init_from`; return its id."""
    vocab = tokenizer.get_vocab()
    if code in vocab:
        return vocab[code]
    if init_from not in vocab:
        raise UnsupportedLanguageError(
            f"cannot initialise {code} from {init_from}: the model has no such language code"
        )
    tokenizer.add_tokens([AddedToken(code, special=True, normalized=False)], special_tokens=True)
    new_id = tokenizer.convert_tokens_to_ids(code)
    if new_id >= model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(new_id + 1, mean_resizing=False)
    source_id = vocab[init_from]
    with torch.no_grad():
        embeddings = model.get_input_embeddings().weight
        embeddings[new_id] = embeddings[source_id]
        output = model.get_output_embeddings()
        if output is not None and output.weight is not embeddings:
            output.weight[new_id] = output.weight[source_id]
    return new_id
