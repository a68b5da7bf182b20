"""Built-in methods; importing this package registers each of them by name."""

from sparsexlt.adapters.methods import full, lt_sft, spiel  # noqa: F401
from sparsexlt.adapters.methods import lora  # noqa: F401
from sparsexlt.adapters.methods import madx  # noqa: F401
