"""The CLI's entry point loads typer and the standard library only: `sparsexlt --help` and the
light commands must not pay for torch, duckdb, pydantic, prefect or transformers."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "duckdb", "pydantic", "prefect", "transformers", "datasets", "ctranslate2")


def test_importing_the_cli_loads_no_heavy_library():
    code = (
        "import json, sys; import sparsexlt.cli; "
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
