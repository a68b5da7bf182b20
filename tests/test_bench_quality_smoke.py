"""The NusaX quality benchmark runs end to end, so it cannot silently rot.

Its core (`run_benchmark`, through the CLI `main`) runs on a tiny local encoder and a handful of
NusaX-format examples, 2 steps per phase for every registered method, and must produce a row per
(method, budget) with the planned trainable counts, an export that re-scores the same on valid,
the majority baseline and the documented JSON.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

LABELS = ["negative", "neutral", "positive"]
WORDS = {
    "negative": "bad awful slow broken",
    "neutral": "the shop opens at nine",
    "positive": "great lovely fast friendly",
}
SIZES = {"train": 12, "valid": 6, "test": 9}


@pytest.fixture
def bench(benchmark_module):
    return benchmark_module("quality_nusax")


def write_nusax(root: Path) -> Path:
    """A NusaX-Senti-shaped English folder: `id,text,label`, labels cycling (test: 4/3/2)."""
    folder = root / "nusax" / "sentiment" / "english"
    folder.mkdir(parents=True)
    for split, n in SIZES.items():
        labels = (
            LABELS * n if split != "test" else ["negative"] * 4 + ["neutral"] * 3 + ["positive"] * 2
        )
        with (folder / f"{split}.csv").open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "text", "label"])
            for i, label in enumerate(labels[:n]):
                writer.writerow([f"{split}-{i}", f"{WORDS[label]} number {i}", label])
    return root


def test_every_registered_method_runs_and_reports(
    bench, benchmark_module, tiny_encoder_dir: Path, tmp_path: Path, torch_one_thread
) -> None:
    from sparsexlt.adapters.registry import available_methods

    data = write_nusax(tmp_path / "data")
    out = tmp_path / "report.json"
    argv = ["--model", str(tiny_encoder_dir), "--data-dir", str(data), "--steps", "2"]
    argv += ["--fractions", "0.05"]  # one budget keeps it fast; the planner loops over them
    argv += ["--batch-size", "4", "--max-length", "32", "--threads", "1", "--check-export"]
    argv += ["--json", str(out)]
    bench.main(argv)

    report = json.loads(out.read_text())
    assert report["failures"] == []
    assert report["majority_label"] == "negative"  # 4/4/4 in train: ties go alphabetically
    assert report["majority_accuracy"] == pytest.approx(4 / 9)

    rows = {(r["method"], r["budget"]): r for r in report["rows"]}
    expected = {("full", "all")} | {(m, "5%") for m in available_methods() if m != "full"}
    assert set(rows) == expected
    for row in report["rows"]:
        assert {"method", "k", "accuracy", "macro_f1"} <= set(row)
        assert 0.0 <= row["accuracy"] <= 1.0 and 0.0 <= row["macro_f1"] <= 1.0
        assert row["trainable_head"] > 0

    # Equal budgets: the sparse methods spend exactly K; LoRA within half a rank-1 matrix.
    for (method, budget), row in rows.items():
        if method in ("lt-sft", "spiel-ag", "spiel-ma"):
            assert row["k"] == row["k_target"], (method, budget)
        if method == "lora":
            assert abs(row["k"] - row["k_target"]) <= 64, budget  # tiny encoder: in+out ≤ 128
    assert rows[("full", "all")]["k"] > rows[("lt-sft", "5%")]["k"] > 0
    plan = benchmark_module("quality_plan")
    settings = plan.QualitySettings(model=str(tiny_encoder_dir))
    model = benchmark_module("quality_run").fresh_model(settings, 0)
    madx = rows[("madx", "5%")]  # the adapter count of the nearest reduction factor, as trained
    assert madx["k"] == plan.madx_reduction_factor(model, madx["k_target"])[1]

    # The tested model is the saved best export applied to a fresh base: it re-scores the same.
    for run in report["runs"]:
        assert run["export_check"]["macro_f1"] == pytest.approx(run["valid"]["macro_f1"]), run[
            "method"
        ]
        assert run["steps"] == (4 if run["method"] == "lt-sft" else 2)
        assert run["test"]["n_examples"] == SIZES["test"]


def test_madx_budget_is_the_nearest_reduction_factor(
    bench, benchmark_module, tiny_encoder_dir: Path
) -> None:
    plan = benchmark_module("quality_plan")
    from sparsexlt.adapters.madx.component import AdapterSet

    settings = plan.QualitySettings(model=str(tiny_encoder_dir))
    model = benchmark_module("quality_run").fresh_model(settings, 0)
    target = 700
    factor, count = plan.madx_reduction_factor(model, target)
    hidden = model.backbone.config.hidden_size
    layers = list(range(model.backbone.config.num_hidden_layers))
    assert AdapterSet(hidden, max(1, hidden // factor), layers).count() == count
    for other in range(1, hidden + 1):
        other_count = AdapterSet(hidden, max(1, hidden // other), layers).count()
        assert abs(count - target) <= abs(other_count - target)


def test_unregistered_method_is_skipped_with_a_note(
    bench, benchmark_module, tiny_encoder_dir: Path, tmp_path: Path, torch_one_thread, capsys
) -> None:
    plan = benchmark_module("quality_plan")
    settings = plan.QualitySettings(
        model=str(tiny_encoder_dir),
        data_dir=write_nusax(tmp_path / "data"),
        methods=["full", "no-such-method"],
        steps=1,
        batch_size=4,
        max_length=32,
    )
    report = bench.run_benchmark(settings, tmp_path)
    assert [r["method"] for r in report["rows"]] == ["full"]
    assert any("no-such-method" in n for n in report["notes"])
    assert "note: no-such-method: not registered" in capsys.readouterr().out


def test_a_crash_is_reported_with_file_and_line(bench) -> None:
    def broken() -> None:
        raise ValueError("boom")

    try:
        broken()
    except ValueError as err:
        failure = bench.describe_failure("lora", "1%", 0, err)
    assert failure["error"] == "ValueError: boom"
    line = broken.__code__.co_firstlineno + 1
    assert failure["where"] == f"{__file__}:{line}"
    assert "boom" in failure["traceback"]


def test_lr_overrides_per_method_and_budget(bench, benchmark_module) -> None:
    plan = benchmark_module("quality_plan")

    def lrs(*argv: str) -> dict[str, float]:
        settings = bench.settings_from(bench.parse_args(list(argv)))
        return {b: plan.lr_for(settings.lr, "lora", b) for b in ("1%", "5%")}

    assert lrs() == {"1%": plan.DEFAULT_LR["lora"], "5%": plan.DEFAULT_LR["lora@5%"]}
    assert lrs("--lr", "lora=1e-3") == {"1%": 1e-3, "5%": 1e-3}
    assert lrs("--lr", "lora@5%=2e-3") == {"1%": plan.DEFAULT_LR["lora"], "5%": 2e-3}
    with pytest.raises(SystemExit, match="no-such"):
        lrs("--lr", "no-such=1e-3")
