"""The memory/speed benchmark's worker runs on a tiny Llama, so the script cannot silently rot,
and its state accounting is exact: SpIEL-AG keeps 22 B per entry (int32 index, float32 φ,
float32 original, two float32 moments, int16 age); LoRA 12 B per parameter (weight and two
moments; gradients are not state)."""

from __future__ import annotations

import pytest


@pytest.fixture
def bench(benchmark_module):
    return benchmark_module("memory_speed")


def _rows(bench, method: str) -> list[dict]:
    argv = ["--worker", "--model", "llama-tiny", "--method", method, "--lora-rank", "4"]
    argv += ["--steps", "4", "--warmup", "1", "--reselection-interval", "3"]
    argv += ["--selection-window", "2"]
    return bench.worker(bench.parse(argv))["rows"]


def _run(bench, method: str) -> dict:
    (row,) = _rows(bench, method)
    return row


def test_worker_rows_carry_counts_times_and_exact_state(bench):
    lora, spiel = _run(bench, "lora"), _run(bench, "spiel-ag")
    assert spiel["trainable"] == lora["trainable"] > 0  # equal counts, by construction
    assert spiel["state_bytes"] == 22 * spiel["trainable"]
    scalars = 4 * 2 * 7 * 2  # one float32 step count per LoRA tensor: 2 per module, 7 × 2 layers
    assert lora["state_bytes"] == 12 * lora["trainable"] + scalars
    for row in (lora, spiel):  # a tiny model in a warm test process may not grow RSS at all
        assert row["peak_bytes"] >= 0 and row["step_s"] > 0 and len(row["times"]) == 4
    assert spiel["window_steps"] == 2  # steps 2 and 3 are the window before reselection at 3


def test_table_prints_state_per_entry(bench, capsys):
    rows = [
        {"model": "m", "method": "lora", "trainable": 10, "peak_bytes": 2**20, "state_bytes": 120,
         "step_s": 1.0, "mean_step_s": 1.0},
        {"model": "m", "method": "spiel-ag", "trainable": 10, "peak_bytes": 2**21,
         "state_bytes": 220, "step_s": 2.0, "mean_step_s": 3.0},
    ]  # fmt: skip
    bench._add_ratios(rows)
    bench.print_table(rows, "cpu")
    line = next(
        x for x in capsys.readouterr().out.splitlines() if x.startswith("m  ") and "spiel" in x
    )
    assert line.split()[3:8] == ["2.0", "2.00", "22.0", "2.0", "2.000"]


def test_madx_on_a_decoder_is_a_language_adapter_of_lora_s_count(bench):
    lora, madx = _run(bench, "lora"), _run(bench, "madx")
    assert abs(madx["trainable"] - lora["trainable"]) <= 0.02 * lora["trainable"]
    tensors = 2 * 4 + 2 * 4  # down/up weight and bias in 2 layers; F and G of the invertible one
    assert madx["state_bytes"] == 12 * madx["trainable"] + 4 * tensors  # + a step count each
    assert madx["step_s"] > 0 and len(madx["times"]) == 4


def test_madx_on_a_decoder_inverts_its_invertible_adapter_before_the_lm_head(bench):
    import torch

    args = bench.parse(["--worker", "--model", "llama-tiny", "--method", "madx"])
    shape = bench.MODELS["llama-tiny"]
    model = bench.build_model(shape, torch.device("cpu"), torch.float32)
    runner, model = bench.setup_method("madx", model, shape, args, 20_000)
    assert runner.method.component.role == "language"
    assert len(model.lm_head._forward_pre_hooks) == 1  # the inverse


def test_lt_sft_on_a_decoder_trains_k_entries_and_no_head(bench):
    full, sparse = _rows(bench, "lt-sft")
    lora = _run(bench, "lora")
    assert [full["method"], sparse["method"]] == ["lt-sft:full", "lt-sft:sparse"]
    assert sparse["trainable"] == lora["trainable"]  # K, the LM head frozen as for LoRA
    assert full["trainable"] < full["params"]  # the backbone's matrices; head and embeddings out
