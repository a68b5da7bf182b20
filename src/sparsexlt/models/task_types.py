"""Names of the task types, shared by heads, encoding, prediction and metrics."""

from __future__ import annotations

SEQUENCE_CLASSIFICATION = "sequence-classification"
PAIR_CLASSIFICATION = "pair-classification"
TOKEN_CLASSIFICATION = "token-classification"
DEPENDENCY_PARSING = "dependency-parsing"
MASKED_LM = "masked-lm"

CLASSIFICATION_TYPES = (SEQUENCE_CLASSIFICATION, PAIR_CLASSIFICATION)
TASK_TYPES = (
    SEQUENCE_CLASSIFICATION,
    PAIR_CLASSIFICATION,
    TOKEN_CLASSIFICATION,
    DEPENDENCY_PARSING,
    MASKED_LM,
)
