"""Task heads, one module per head, registered by task type on import."""

from sparsexlt.models.heads import (  # noqa: F401 - imported to register the heads
    classification,
    dependency_parsing,
    masked_lm,
    token_classification,
)
from sparsexlt.models.heads.base import Head
from sparsexlt.models.heads.registry import available_task_types, get_head, register_head

__all__ = ["Head", "available_task_types", "get_head", "register_head"]
