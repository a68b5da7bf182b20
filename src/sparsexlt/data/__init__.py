"""Data readers: every supported file format -> a `datasets.Dataset` of one task schema.

    from sparsexlt.data import read_dataset
    train = read_dataset("smsa/train_preprocess.tsv", "smsa-tsv",
                         dedup_against=["nusax/sentiment/indonesian/test.csv"])

Schemas: `sparsexlt.data.schema`; formats and their options: `available_formats()`;
skipped/dropped counts: `read_with_report`; few-shot subsets: `few_shot`.
"""

from sparsexlt.data.dedup import DedupResult, dedup_against, normalize
from sparsexlt.data.few_shot import few_shot
from sparsexlt.data.registry import (
    available_formats,
    get_reader,
    read_dataset,
    read_with_report,
    register_reader,
)
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import FEATURES, TASK_TYPES

__all__ = [
    "FEATURES",
    "TASK_TYPES",
    "DedupResult",
    "ReadReport",
    "available_formats",
    "dedup_against",
    "few_shot",
    "get_reader",
    "normalize",
    "read_dataset",
    "read_with_report",
    "register_reader",
]
