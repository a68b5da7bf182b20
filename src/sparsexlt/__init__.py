"""sparsexlt: composable sparse fine-tuning for cross-lingual transfer.

The library layers (adapters, models, data, training, translation, evaluation) are plain
PyTorch / Python and never import Prefect; orchestration lives in tasks/, flows/, deployments/.
"""

__version__ = "0.1.0"
