"""Plain text → masked-LM inputs, and the masking collator (BERT's 15 % with 80/10/10).

Packing concatenates the tokenised texts (an end-of-sequence token between texts) and cuts them
into blocks of `max_length` including special tokens, so short lines waste no compute. The
collator draws from its own seeded `torch.Generator`: the same seed and the same batches give
the same masks, and `state_dict()` lets a resumed run continue the same sequence.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import torch
from datasets import Dataset
from transformers import PreTrainedTokenizerBase

from sparsexlt.models.encoding import collate, effective_max_length, quiet_datasets
from sparsexlt.models.heads.base import IGNORE_INDEX
from sparsexlt.models.task_types import MASKED_LM
from sparsexlt.models.tokenizer_key import tokenizer_key
from sparsexlt.util.hashing import combine


def special_token_frame(tokenizer: PreTrainedTokenizerBase) -> tuple[list[int], list[int]]:
    """The ids a tokenizer puts before and after one text (e.g. `<s>` … `</s>`).

    Found by probing, because transformers 5 tokenizers lost `build_inputs_with_special_tokens`.
    """
    framed = tokenizer("a")["input_ids"]
    plain = tokenizer("a", add_special_tokens=False)["input_ids"]
    for start in range(len(framed) - len(plain) + 1):
        if framed[start : start + len(plain)] == plain:
            return framed[:start], framed[start + len(plain) :]
    raise ValueError("cannot locate the text inside the tokenizer's special-token frame")


def _pack(batch: dict[str, list], *, tokenizer: PreTrainedTokenizerBase, block: int) -> dict:
    separator = (
        tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    )
    stream: list[int] = []
    for ids in tokenizer(batch["text"], add_special_tokens=False)["input_ids"]:
        if ids:
            stream.extend(ids + ([separator] if separator is not None else []))
    blocks = [stream[i : i + block] for i in range(0, len(stream), block)]
    prefix, suffix = special_token_frame(tokenizer)
    input_ids = [prefix + b + suffix for b in blocks]
    return {"input_ids": input_ids, "attention_mask": [[1] * len(x) for x in input_ids]}


def _truncate(batch: dict[str, list], *, tokenizer: PreTrainedTokenizerBase, max_length: int):
    enc = tokenizer(batch["text"], truncation=True, max_length=max_length)
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def encode_text_for_mlm(
    dataset: Dataset,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int = 256,
    *,
    pack: bool = True,
) -> Dataset:
    """`text` column → `input_ids`, `attention_mask` (packed blocks, or one row per text)."""
    max_length = effective_max_length(tokenizer, max_length)
    if pack:
        prefix, suffix = special_token_frame(tokenizer)
        block = max_length - len(prefix) - len(suffix)
        fn: Any = partial(_pack, tokenizer=tokenizer, block=block)
    else:
        fn = partial(_truncate, tokenizer=tokenizer, max_length=max_length)
    key = combine(
        [dataset._fingerprint, "mlm", str(pack), str(max_length), tokenizer_key(tokenizer)]
    )
    with quiet_datasets():
        return dataset.map(
            fn, batched=True, remove_columns=dataset.column_names, new_fingerprint=key[:32]
        )


class MLMCollator:
    """Pads a batch and masks `mlm_probability` of the non-special tokens.

    Of the chosen tokens 80 % become the mask token, 10 % a random non-special token, 10 % stay;
    `labels` hold the original ids there and -100 elsewhere. At least one token per batch is
    chosen, so the loss is never empty.
    """

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, *, mlm_probability: float = 0.15, seed: int = 0
    ):
        if tokenizer.mask_token_id is None:
            raise ValueError("tokenizer has no mask token: cannot train a masked LM")
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.mask_id = tokenizer.mask_token_id
        self.probability = mlm_probability
        self.special = torch.tensor(sorted(set(tokenizer.all_special_ids)), dtype=torch.long)
        vocab = torch.arange(len(tokenizer))
        self.random_ids = vocab[~torch.isin(vocab, self.special)]
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        batch = collate(features, MASKED_LM, self.pad_id)
        batch["input_ids"], batch["labels"] = self.mask(batch["input_ids"], batch["attention_mask"])
        return batch

    def mask(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        g = self.generator
        maskable = attention_mask.bool() & ~torch.isin(input_ids, self.special)
        chosen = torch.bernoulli(maskable.float() * self.probability, generator=g).bool()
        if not chosen.any() and maskable.any():
            candidates = maskable.flatten().nonzero().flatten()
            pick = candidates[torch.randint(len(candidates), (1,), generator=g)]
            chosen.view(-1)[pick] = True
        labels = input_ids.masked_fill(~chosen, IGNORE_INDEX)
        to_mask = torch.bernoulli(torch.full(input_ids.shape, 0.8), generator=g).bool() & chosen
        to_random = (
            torch.bernoulli(torch.full(input_ids.shape, 0.5), generator=g).bool()
            & chosen
            & ~to_mask
        )
        random_ids = self.random_ids[
            torch.randint(len(self.random_ids), input_ids.shape, generator=g)
        ]
        masked = input_ids.masked_fill(to_mask, self.mask_id)
        masked = torch.where(to_random, random_ids, masked)
        return masked, labels

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.generator.set_state(state["generator"])
