"""Bytes all-reduced per optimizer step, and step time, under data-parallel training.

Runs the real training loop (`sparsexlt.training.train`) on N processes (default 2, gloo on
CPU) for `full`, `lora`, `spiel-ag` and `lt-sft` (its sparse phase only: the dense phase is
given 0 steps, so selection picks K entries of an untrained model — what is measured is the
traffic of training K entries). Model: an XLM-R-base-shaped encoder (12 layers, 768 wide,
250 002-token vocabulary; random weights) with a 3-class head; a short sequence and a small
global batch so it runs on 2 cores in a few minutes. `--quick`: 2 layers, 30 000 tokens.

Per step, every byte counted by `sparsexlt.training.distributed` (gradients, the two loss
numbers per micro-batch, SpIEL's candidate broadcast, window statistics and index agreement) is
summed; the once-per-run setup (rank 0's model broadcast) is left out. `bytes_per_step` is the
mean over the run's steps: `--steps` + 1 for most methods, and for spiel-ag one whole
reselection cycle with its default schedule (γ = 20 steps, a window of A = 5, then the first
reselection, the most expensive one: p = 1, K candidates). `step_s` is the median step after the
first, `mean_step_s` their mean (for SpIEL including the window and the reselection).
The ratio bytes(spiel-ag) / bytes(full) should be close to the density K / |θ| (a little above:
both also send the dense head, SpIEL also its selection traffic).

  python benchmarks/distributed_comm.py --quick
  python benchmarks/distributed_comm.py --json comm.json
  python benchmarks/distributed_comm.py --backend nccl --processes 4   # one GPU per process
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

METHODS = ["full", "lora", "spiel-ag", "lt-sft"]
HPARAMS = {
    "full": {},
    "lora": {"r": 8},
    "spiel-ag": {"k": 0.01, "reselection_interval": 20, "selection_window": 5},
    "lt-sft": {"k": 0.01},
}
FULL = {"layers": 12, "vocab": 250_002, "seq": 16, "batch": 4, "steps": 3}
QUICK = {"layers": 2, "vocab": 30_000, "seq": 8, "batch": 4, "steps": 2}


class _Stop(Exception):
    """Ends a measured run after its last timed step (no phase-end checkpoint, no export)."""


def build_model(layers: int, vocab: int, seed: int = 0):
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    from sparsexlt.models import build_task_model

    torch.manual_seed(seed)
    config = XLMRobertaConfig(
        vocab_size=vocab,
        hidden_size=768,
        num_hidden_layers=layers,
        num_attention_heads=12,
        intermediate_size=3072,
        max_position_embeddings=514,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    return build_task_model(
        XLMRobertaModel(config, add_pooling_layer=False), "sequence-classification", 3, seed=seed
    )


def dataset(n: int, seq: int, vocab: int) -> list[dict]:
    import torch

    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, vocab, (n, seq), generator=g)
    ids[:, 0] = 0
    mask = torch.ones(seq, dtype=torch.long)
    return [
        {"input_ids": ids[i], "attention_mask": mask, "labels": ids[i, 1] % 3} for i in range(n)
    ]


def measure(name: str, opts: dict, device: str, workdir: Path) -> dict:
    """One method's run; returns per-step bytes (by kind) and times on this rank."""
    from sparsexlt.adapters.registry import get_method
    from sparsexlt.training import Callback, Source, TrainConfig, train
    from sparsexlt.training import distributed as dd

    class Meter(Callback):
        """Bytes and seconds of every step; the set-up before step 1 is not counted."""

        def __init__(self, last: int):
            self.last, self.times, self.bytes = last, [], []
            self._t, self._b = 0.0, {}

        def on_micro_batch(self, batch) -> None:
            if batch.step == 1 and batch.micro_step == 0:
                self._t, self._b = time.perf_counter(), dd.communication_bytes()

        def on_step_end(self, step: int, record: dict) -> None:
            now, counted = time.perf_counter(), dd.communication_bytes()
            self.times.append(now - self._t)
            self.bytes.append({k: v - self._b.get(k, 0) for k, v in counted.items()})
            self._t, self._b = now, counted
            if step == self.last:
                raise _Stop

    model = build_model(opts["layers"], opts["vocab"])
    backbone = sum(p.numel() for p in model.backbone.parameters())
    method = get_method(name)(**HPARAMS[name])
    cycle = HPARAMS[name].get("reselection_interval")
    steps = cycle if name == "spiel-ag" else opts["steps"] + 1
    config = TrainConfig(
        steps=[0, steps] if name == "lt-sft" else steps,
        batch_size=opts["batch"],
        lr=1e-4,
        checkpoint_every=0,
        log_every=1000,
        device=device,
    )
    source = Source("random", None, dataset(opts["batch"] * steps, opts["seq"], opts["vocab"]))
    meter = Meter(steps)
    dd.reset_bytes_reduced()
    with contextlib.suppress(_Stop):
        train(model, method, [source], config, output_dir=workdir / name, callbacks=[meter])
    trainable = sum(t.numel() for t in method.trainable_tensors())
    head = sum(p.numel() for p in model.head.parameters())
    totals = [sum(b.values()) for b in meter.bytes]
    kinds = sorted({k for b in meter.bytes for k in b})
    return {
        "method": name,
        "processes": dd.world_size(),
        "bytes_per_step": statistics.mean(totals),
        "gradient_bytes_per_step": statistics.mean(b.get(dd.GRADIENTS, 0) for b in meter.bytes),
        "bytes_by_kind": {k: statistics.mean(b.get(k, 0) for b in meter.bytes) for k in kinds},
        "steps": len(meter.times),
        "step_s": statistics.median(meter.times[1:]),
        "mean_step_s": statistics.mean(meter.times[1:]),
        "trainable": trainable,
        "k": trainable - head if name in ("spiel-ag", "lt-sft") else None,
        "backbone_params": backbone,
        "head_params": head,
    }


def worker(rank: int, world: int, port: int, backend: str, opts: dict, out: str) -> None:
    import torch

    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
        SPARSEXLT_QUIET="1",
    )
    torch.set_num_threads(opts["threads"])
    from sparsexlt.training import distributed as dd

    dd.init_from_environment(backend)
    device = "cuda" if backend == "nccl" else "cpu"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in opts["methods"]:
            rows.append(measure(name, opts, device, Path(tmp)))
            dd.barrier()
    if rank == 0:
        Path(out).write_text(json.dumps(rows))


def summarise(rows: list[dict]) -> dict:
    by = {r["method"]: r for r in rows}
    result: dict = {"rows": rows}
    if "full" in by and "spiel-ag" in by:
        spiel = by["spiel-ag"]
        result["ratio_spiel_over_full"] = spiel["bytes_per_step"] / by["full"]["bytes_per_step"]
        result["density"] = spiel["k"] / spiel["backbone_params"]
        result["expected_ratio"] = spiel["trainable"] / by["full"]["trainable"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 layers, 30k vocabulary")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--backend", choices=["gloo", "nccl"], default="gloo")
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--steps", type=int, help="timed steps after the first (not spiel-ag)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    import torch.multiprocessing as mp

    from sparsexlt.training.launch import free_port

    opts = dict(QUICK if args.quick else FULL, methods=args.methods, threads=args.threads)
    if args.steps:
        opts["steps"] = args.steps
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        started = time.perf_counter()
        mp.spawn(
            worker,
            args=(args.processes, free_port(), args.backend, opts, str(out)),
            nprocs=args.processes,
        )
        result = summarise(json.loads(out.read_text()))
    result.update(backend=args.backend, shape=opts, wall_s=time.perf_counter() - started)
    print(
        f"{'method':10} {'procs':>5} {'bytes/step':>14} {'grad bytes':>14} {'step_s':>8} "
        f"{'mean_s':>8} {'trainable':>12}"
    )
    for r in result["rows"]:
        print(
            f"{r['method']:10} {r['processes']:>5} {r['bytes_per_step']:>14,.0f} "
            f"{r['gradient_bytes_per_step']:>14,.0f} {r['step_s']:>8.3f} {r['mean_step_s']:>8.3f} "
            f"{r['trainable']:>12,}"
        )
    if "ratio_spiel_over_full" in result:
        print(
            f"bytes(spiel-ag)/bytes(full) = {result['ratio_spiel_over_full']:.4f}; "
            f"density K/|θ| = {result['density']:.4f}; "
            f"(K + head)/(|θ| + head) = {result['expected_ratio']:.4f}"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
