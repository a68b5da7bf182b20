"""Built-in methods; importing this package registers each of them by name."""

from sparsexlt.adapters.methods import full, lora, lt_sft, madx, spiel  # noqa: F401
