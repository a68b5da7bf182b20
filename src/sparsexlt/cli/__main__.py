"""`python -m sparsexlt.cli` (what `accelerate launch -m` and `torchrun -m` run)."""

from sparsexlt.cli import main

main()
