"""A Prefect test server for the whole session, isolated from the user's and other sessions'.

Each session gets its own PREFECT_HOME and results folder (FIELD-NOTES: cached task results
leak across sessions otherwise, and a test would then "pass" on another session's cache).
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory) -> dict[str, str]:
    """Yield the environment a child process needs to use the session's test server."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    storage = home / "storage"
    updates = {
        PREFECT_HOME: home,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH: storage,
        PREFECT_SERVER_ANALYTICS_ENABLED: False,
    }
    with temporary_settings(updates=updates), prefect_test_harness(server_startup_timeout=60):
        yield {
            "PREFECT_API_URL": PREFECT_API_URL.value(),
            "PREFECT_HOME": str(home),
            "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(storage),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }


@pytest.fixture
def child_env(prefect_server) -> dict[str, str]:
    """os.environ plus the test server's settings, for subprocesses."""
    return {**os.environ, **prefect_server, "SPARSEXLT_QUIET": "1"}
