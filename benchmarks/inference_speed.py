"""Forward latency at inference: base model vs merged SFTs vs unmerged LoRA (vs a MAD-X stack).

SFTs add nothing at inference: a task SFT and a language SFT merged into the weights leave the
architecture as it was, while unmerged LoRA and MAD-X adapters add layers to every forward.
XLM-R-base shape (random weights), batch 32 × 128 tokens by default, `torch.no_grad`, eval mode;
the median of `--runs` (≥ 20) timed forwards after `--warmup` untimed ones, and its ratio to the
base model's. All variants are built first and timed in turn, run after run, so a change of load
on a shared machine hits every variant alike.

  python benchmarks/inference_speed.py --quick --json out.json     # CPU, a few minutes
  python benchmarks/inference_speed.py --device cuda
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memory_speed import MODELS, XLMR_LORA_REGEX, NotAvailable, build_model  # noqa: E402

VARIANTS = ("base", "sft-merged", "lora-unmerged", "madx-stack")
DENSITY = 0.01  # of each SFT, over the backbone's Linear weights


def main(argv=None) -> None:
    args = parse(argv)
    import torch

    torch.manual_seed(0)
    device = torch.device(args.device)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    shape = replace(MODELS["xlmr-base"], batch=32, seq=128)  # the training shape has batch 8
    if args.quick:
        shape = replace(shape, layers=4, batch=8)
    shape = replace(shape, batch=args.batch or shape.batch, seq=args.seq or shape.seq)
    ids = torch.randint(5, shape.vocab, (shape.batch, shape.seq), device=device)
    models = {}
    for variant in VARIANTS:
        try:
            models[variant] = prepare(variant, build_model(shape, device, dtype).eval(), device)
        except NotAvailable as e:
            print(e)
    latencies = measure_interleaved(models, ids, args.warmup, args.runs, device)
    rows = [{"model": "xlmr-base", "variant": v, "latency_s": t} for v, t in latencies.items()]
    base = rows[0]["latency_s"]
    for row in rows:
        row["ratio_vs_base"] = row["latency_s"] / base
    print(f"\nforward latency, {shape.batch} × {shape.seq} tokens, {args.device}")
    for row in rows:
        print(
            f"{row['variant']:<14} {row['latency_s'] * 1000:9.1f} ms  ×{row['ratio_vs_base']:.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"device": args.device, "rows": rows}, indent=2))


def prepare(variant: str, model, device):
    import torch

    if variant == "sft-merged":  # a task SFT and a language SFT, composed and merged
        merge_random_sfts(model, seeds=(1, 2))
    elif variant == "lora-unmerged":
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(r=64, lora_alpha=128, target_modules=XLMR_LORA_REGEX)
        model = get_peft_model(model, config)
        with torch.no_grad():  # B = 0 at init; make the adapters do real work
            for name, p in model.named_parameters():
                if "lora_B" in name:
                    p.normal_(0, 0.01)
    elif variant == "madx-stack":
        model = stack_madx(model, device)
    return model


def merge_random_sfts(model, seeds: tuple[int, ...]) -> None:
    """Merge len(seeds) random SFTs (DENSITY of every backbone Linear weight each)."""
    import torch

    weights = {n: p for n, p in model.named_parameters() if n.startswith("backbone.encoder")}
    weights = {n: p for n, p in weights.items() if p.dim() == 2}
    deltas = []
    for seed in seeds:
        g = torch.Generator().manual_seed(seed)
        sparse = {}
        for name, p in weights.items():
            idx = torch.randperm(p.numel(), generator=g)[: int(DENSITY * p.numel())]
            sparse[name] = (idx, torch.randn(idx.numel(), generator=g) * 1e-3)
        deltas.append(sparse)
    try:
        from sparsexlt.adapters.merge import compose
        from sparsexlt.adapters.sparse_delta import SparseDelta
    except ImportError:  # without the data stack: add in place, the same result
        with torch.no_grad():
            for sparse in deltas:
                for name, (idx, values) in sparse.items():
                    flat = weights[name].data.view(-1)
                    flat[idx.to(flat.device)] += values.to(flat.device, flat.dtype)
        return
    shapes = {n: tuple(p.shape) for n, p in weights.items()}
    combined = compose(*(SparseDelta(s, shapes=shapes) for s in deltas))
    combined.apply(model, check_fingerprint=False)


def stack_madx(model, device):
    """A MAD-X language adapter under a task adapter, both active (untrained, random init)."""
    try:
        from sparsexlt.adapters.registry import available_methods, get_method
    except ImportError as e:
        raise NotAvailable(f"madx: not available ({e})") from None
    if "madx" not in available_methods():
        raise NotAvailable("madx: not available")
    language = get_method("madx")(language_sft=True)
    language.attach(model)
    component = language.export().to(device)
    language.detach()
    get_method("madx")().attach(model)  # the task adapter …
    component.apply(model, check_fingerprint=False)  # … with the language adapter under it
    return model


def measure_interleaved(models: dict, ids, warmup: int, runs: int, device) -> dict[str, float]:
    """Median forward latency per variant, the variants timed in turn (round-robin) so that a
    change of machine load or clock during the run affects all of them alike."""
    times: dict[str, list[float]] = {v: [] for v in models}
    for i in range(warmup + runs):
        for variant, model in models.items():
            t = forward_seconds(model, ids, device)
            if i >= warmup:
                times[variant].append(t)
        if i >= warmup:
            print(f"  run {i - warmup + 1}/{runs}", flush=True)
    return {v: statistics.median(ts) for v, ts in times.items()}


def forward_seconds(model, ids, device) -> float:
    import torch

    with torch.no_grad():
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        model.backbone(input_ids=ids) if hasattr(model, "backbone") else model(input_ids=ids)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--quick", action="store_true", help="4 layers, batch 8 × 128 (CPU)")
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--seq", type=int, default=None)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    if args.runs < 20:
        p.error("--runs: at least 20")
    return args


if __name__ == "__main__":
    main()
