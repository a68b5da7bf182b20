"""Peak host memory of LT-SFT's top-K selection versus the size of θ.

    python benchmarks/lt_sft_memory.py [--quick] [--json FILE] [--k-proportion P]

Builds a random XLM-R-base-shaped encoder (≈278M parameters; `--quick`: ≈30M), keeps θ0 as a
CPU copy (what LT-SFT keeps), perturbs every entry to get θ1, then runs the same call LT-SFT's
phase switch makes (`selection.top_k_changed`) and measures the resident-memory high-water
mark *above the baseline at the start of selection* (θ0 and θ1 already exist then):
  - the kernel's own peak counter: VmHWM in /proc/self/status, reset to the current RSS just
    before selection by writing 5 to /proc/self/clear_refs (Linux ≥ 4.0);
  - cross-check: a thread sampling RSS every 0.5 ms.
Freed heap is returned to the OS (malloc_trim) before the baseline, so reused free memory does
not hide allocations. The extra bytes include the K selected indices themselves (8 bytes each).
The budget is ≤ 8 bytes per parameter.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import threading
import time
from pathlib import Path

import psutil
import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

from sparsexlt.adapters.selection import top_k_changed

BUDGET_BYTES_PER_PARAM = 8.0


def build_model(quick: bool) -> XLMRobertaModel:
    if quick:
        config = XLMRobertaConfig(
            vocab_size=50_000, hidden_size=384, num_hidden_layers=6, num_attention_heads=6,
            intermediate_size=1536, max_position_embeddings=514, type_vocab_size=1,
        )  # fmt: skip
    else:  # xlm-roberta-base
        config = XLMRobertaConfig(
            vocab_size=250_002, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
            intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1,
            layer_norm_eps=1e-5,
        )  # fmt: skip
    torch.manual_seed(0)
    return XLMRobertaModel(config, add_pooling_layer=False)


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def trim_heap() -> None:
    gc.collect()
    with contextlib.suppress(OSError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class RssSampler(threading.Thread):
    def __init__(self, interval: float = 0.0005):
        super().__init__(daemon=True)
        self.interval, self.peak, self._stop_flag = interval, 0, threading.Event()
        self._proc = psutil.Process()

    def run(self) -> None:
        while not self._stop_flag.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(self.interval)

    def stop(self) -> int:
        self._stop_flag.set()
        self.join()
        return self.peak


def measure(quick: bool, k_proportion: float) -> dict:
    t0 = time.perf_counter()
    model = build_model(quick)
    params = {n: p for n, p in model.named_parameters()}
    n_params = sum(p.numel() for p in params.values())
    theta0 = {n: p.detach().clone() for n, p in params.items()}
    with torch.no_grad():  # θ1: every entry moved a little, as after full fine-tuning
        g = torch.Generator().manual_seed(1)
        for p in params.values():
            p.add_(torch.randn(p.shape, generator=g), alpha=1e-3)
    build_s = time.perf_counter() - t0
    k = round(k_proportion * n_params)

    trim_heap()
    baseline = psutil.Process().memory_info().rss
    kernel_peak = reset_peak()
    sampler = RssSampler()
    sampler.start()
    start = time.perf_counter()
    selected = top_k_changed(k, params, theta0)
    seconds = time.perf_counter() - start
    sampled_peak = sampler.stop()
    hwm = status_kib("VmHWM") * 1024 if kernel_peak else 0
    peak = max(hwm, sampled_peak)
    extra = max(peak - baseline, 0)
    n_selected = sum(int(v.numel()) for v in selected.values())
    return {
        "params": n_params,
        "k": k,
        "selected": n_selected,
        "selection_seconds": round(seconds, 3),
        "selection_extra_bytes": extra,
        "selection_extra_bytes_per_param": extra / n_params,
        "output_index_bytes": n_selected * 8,
        "budget_bytes_per_param": BUDGET_BYTES_PER_PARAM,
        "within_budget": extra / n_params <= BUDGET_BYTES_PER_PARAM,
        "baseline_rss_bytes": baseline,
        "theta_bytes": 4 * n_params,
        "peak_source": "VmHWM after clear_refs + 0.5 ms RSS sampler"
        if kernel_peak
        else "0.5 ms RSS sampler",
        "build_seconds": round(build_s, 1),
        "torch_threads": torch.get_num_threads(),
        "quick": quick,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="≈30M parameters, under a minute")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--k-proportion", type=float, default=0.05, help="K as a share of θ")
    args = parser.parse_args()
    result = measure(args.quick, args.k_proportion)
    width = max(len(k) for k in result)
    for key, value in result.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{key:<{width}}  {shown}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if not result["within_budget"]:
        raise SystemExit("selection used more than 8 bytes per parameter")


if __name__ == "__main__":
    main()
