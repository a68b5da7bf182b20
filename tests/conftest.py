"""Shared fixtures. Real data lives in ../shared/data; tests that need it skip when it is absent."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SPARSEXLT_SHARED_DATA", REPO.parent / "shared" / "data"))

os.environ.setdefault("SPARSEXLT_QUIET", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; skips the test with a reason when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real benchmark data not found at {SHARED_DATA} (set SPARSEXLT_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random XLM-R-style model folder (built once per session, well under a second).

    Read-only by convention: tests that modify weights load their own copy into memory.
    """
    from sparsexlt.models.tiny_encoder import build_tiny_encoder

    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-encoder") / "model", seed=0)


@pytest.fixture
def torch_one_thread():
    """Run torch on one thread for the test. Tiny models are fastest so, and on a busy 2-core
    machine two intra-op threads per test process made a 30-step training test 20x slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def benchmark_module(monkeypatch: pytest.MonkeyPatch):
    """`importlib.import_module`, with benchmarks/ (scripts, not a package) on sys.path for the
    test: `benchmark_module("memory_speed")` imports benchmarks/memory_speed.py."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    return importlib.import_module
