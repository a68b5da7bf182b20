"""Run onboarding deployments in this process with Prefect's embedded runner (`flow.serve`).

No work pool or worker is needed: the process polls the API (the temporary local server when
none is configured) and runs scheduled or triggered flow runs itself until stopped.
"""

from __future__ import annotations

from pathlib import Path

from sparsexlt.deployments.language import onboarding_deployment


def serve_deployments(
    config_path: str | Path,
    languages: list[str],
    *,
    cron: str | None = None,
    overrides: list[str] | None = None,
) -> None:
    """Serve one onboarding deployment per language (blocks until interrupted)."""
    from prefect import serve

    deployments = [
        onboarding_deployment(config_path, code, cron=cron, overrides=overrides)
        for code in languages
    ]
    serve(*deployments)
