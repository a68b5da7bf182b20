"""Constants the pipeline tests share (a module, not conftest: child processes import it too)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"

# The demo with a few steps per training: exercises every step in seconds.
FAST = [
    "methods.spiel-ag.language.steps=2",
    "methods.spiel-ag.task.steps=4",
    "methods.lt-sft.language.phase1_steps=1",
    "methods.lt-sft.language.phase2_steps=1",
    "methods.lt-sft.task.phase1_steps=2",
    "methods.lt-sft.task.phase2_steps=2",
]
