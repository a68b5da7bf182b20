"""Prefect settings a first-time user should not have to know about; set before Prefect loads.

Only defaults: a variable the user already set is never touched. Call `prefect_defaults()`
before the first `import prefect` of the process (settings are read when Prefect starts).
- `PREFECT_SERVER_ANALYTICS_ENABLED=false`: telemetry logs name-resolution errors offline.
- `PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120`: the temporary server needs ~15-19 s
  on a fresh database on a busy 2-core machine; the default 20 s is too tight.
- `PREFECT_HOME=<output_dir>/.prefect` unless the user has a Prefect setup (PREFECT_HOME or
  PREFECT_API_URL set, or a profiles file in ~/.prefect): the run then needs no setup, and its
  database and cached task results stay next to the artifacts they describe.
- quieter logs: Prefect's own internals at ERROR; `quiet=True` also the run logs at WARNING.
"""

from __future__ import annotations

import os
from pathlib import Path

STARTUP_TIMEOUT_S = "120"


def user_has_prefect_setup() -> bool:
    if os.environ.get("PREFECT_HOME") or os.environ.get("PREFECT_API_URL"):
        return True
    return (Path.home() / ".prefect" / "profiles.toml").is_file()


def prefect_defaults(
    output_dir: str | Path | None = None, *, quiet: bool = False
) -> dict[str, str]:
    """Set the defaults above in `os.environ`; returns what was set."""
    wanted = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": STARTUP_TIMEOUT_S,
        "PREFECT_LOGGING_INTERNAL_LEVEL": "ERROR",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    if quiet:
        wanted["PREFECT_LOGGING_LEVEL"] = "WARNING"
    if output_dir is not None and not user_has_prefect_setup():
        wanted["PREFECT_HOME"] = str(Path(output_dir).resolve() / ".prefect")
    applied = {}
    for name, value in wanted.items():
        if name not in os.environ:
            os.environ[name] = value
            applied[name] = value
    if "PREFECT_HOME" in applied:
        Path(applied["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)  # Prefect makes one level
    return applied
