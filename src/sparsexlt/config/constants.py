"""The closed vocabularies of a pipeline config, shared with the layers that act on them.

Readers (`sparsexlt.data`), metrics (`sparsexlt.evaluation`) and the pipeline look these names up,
so each list lives here once. Adding a data format means adding its name here and a reader there.
"""

from __future__ import annotations

from typing import Literal, get_args

DataFormat = Literal[
    "nusax-csv",  # NusaX-Senti CSV: header id,text,label
    "smsa-tsv",  # SmSA TSV: no header, text<TAB>label
    "pair-tsv",  # premise<TAB>hypothesis<TAB>label (XNLI/AmericasNLI)
    "conll-ner",  # token<SPACE>tag lines, blank line between sentences (MasakhaNER)
    "conllu",  # CoNLL-U read for dependency parsing (heads, deprels)
    "conllu-pos",  # CoNLL-U read for UPOS tagging
    "text",  # plain text, one example per line
    "csv-column",  # one named column of a CSV file (options.column)
    "jsonl",  # one JSON object per line, already in the task's schema
    "hf",  # a Hugging Face dataset id or saved dataset folder
    "demo",  # synthetic data generated on the spot for the offline demo
]
DATA_FORMATS: tuple[str, ...] = get_args(DataFormat)

TaskType = Literal[
    "sequence-classification", "pair-classification", "token-classification", "dependency-parsing"
]
TASK_TYPES: tuple[str, ...] = get_args(TaskType)

Metric = Literal["accuracy", "macro_f1", "seqeval_f1", "upos_accuracy", "uas", "las"]
METRICS: tuple[str, ...] = get_args(Metric)

MethodName = Literal["lt-sft", "spiel-ag", "spiel-ma", "lora", "madx", "full"]
METHOD_NAMES: tuple[str, ...] = get_args(MethodName)
SPARSE_METHODS: frozenset[str] = frozenset({"lt-sft", "spiel-ag", "spiel-ma"})
PHASED_METHODS: frozenset[str] = frozenset({"lt-sft"})

Scenario = Literal[
    "zs", "fs-single", "fs-no-upsample", "fs-all", "ttrain-single", "ttrain-all", "fs+ttrain-all"
]
SCENARIOS: tuple[str, ...] = get_args(Scenario)
FEW_SHOT_SCENARIOS: frozenset[str] = frozenset(
    {"fs-single", "fs-no-upsample", "fs-all", "fs+ttrain-all"}
)
TRANSLATE_TRAIN_SCENARIOS: frozenset[str] = frozenset(
    {"ttrain-single", "ttrain-all", "fs+ttrain-all"}
)

Split = Literal["train", "validation", "test"]
SPLITS: tuple[str, ...] = get_args(Split)

# Which metrics make sense for which task type (the first is the usual primary metric).
METRICS_BY_TASK: dict[str, tuple[str, ...]] = {
    "sequence-classification": ("macro_f1", "accuracy"),
    "pair-classification": ("accuracy", "macro_f1"),
    "token-classification": ("seqeval_f1", "upos_accuracy", "accuracy"),
    "dependency-parsing": ("las", "uas"),
}

# Formats whose readers yield labelled examples of each task type. `text` and `csv-column` yield
# plain text only, so they may feed language SFTs (`unlabelled`) but never `task_data`.
FORMATS_BY_TASK: dict[str, frozenset[str]] = {
    "sequence-classification": frozenset({"nusax-csv", "smsa-tsv", "jsonl", "hf", "demo"}),
    "pair-classification": frozenset({"pair-tsv", "jsonl", "hf", "demo"}),
    "token-classification": frozenset({"conll-ner", "conllu-pos", "jsonl", "hf", "demo"}),
    "dependency-parsing": frozenset({"conllu", "jsonl", "hf", "demo"}),
}

# Formats whose readers honour `options.dedup_against` (drop examples whose text occurs in the
# listed files): SmSA overlaps the NusaX test set (see FIELD-NOTES).
DEDUP_FORMATS: frozenset[str] = frozenset({"smsa-tsv"})

# Formats that need no file (generated) or may name a remote dataset instead of a local path.
PATHLESS_FORMATS: frozenset[str] = frozenset({"demo"})
REMOTE_FORMATS: frozenset[str] = frozenset({"hf"})

# Translate-train needs labels that survive translation: whole-example labels do; token tags
# (NER, POS) are carried by marker-based span projection (sparsexlt.translation); dependency
# trees are not projected, so parsing has no translate-train scenarios.
TRANSLATABLE_TASKS: frozenset[str] = frozenset(
    {"sequence-classification", "pair-classification", "token-classification"}
)

NLLB_CODE_PATTERN = r"^[a-z]{3}_[A-Z][a-z]{3}$"
LANGUAGE_CODE_PATTERN = r"^[a-z][a-z0-9_-]{1,15}$"
SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
