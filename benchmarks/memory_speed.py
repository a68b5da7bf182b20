"""Peak training memory and step time of full FT, LoRA, SpIEL (AG/MA), MAD-X and LT-SFT.

Same model, batch, sequence length and trainable count for every method; each method runs in
a fresh process (so peaks never mix) and prints one JSON line that the parent collects.

Memory is measured above the loaded model: on a CPU the process's peak RSS (VmHWM, reset after
loading through /proc/self/clear_refs) minus its RSS then; on a GPU
`torch.cuda.max_memory_allocated` minus `memory_allocated` after loading. The method's own set
up (LoRA weights, SpIEL's φ, optimizer state) is therefore part of its peak. Each row also says
how much of the peak is the method's state (`state_bytes`: what it keeps between steps, per
trainable entry in the table) and so how much is the rest (gradients, activations, selection
windows, the process) — what decides which ratios to LoRA are reachable at all.

Steps: `--warmup` untimed, then `--steps` timed. SpIEL reselects every `--reselection-interval`
steps, set so that one selection window (A = `--selection-window` steps) and the reselection
after it fall inside the timed steps. `step_s` is the median timed step; `mean_step_s` is the
mean step of a run with reselection every γ = `--gamma` steps (default 20):
(Σ measured window steps incl. the reselection + (γ − A) · median other step) / γ. The window
measured is the run's first (p = 1, K entries regrown): the most expensive one. SpIEL's "other"
steps are those after that reselection when the run has any (`--quick` has none: its median is
of steps on the random warm-start set), since before it the random set trains.

  python benchmarks/memory_speed.py --quick                       # CPU, < 3 min on 2 cores
  python benchmarks/memory_speed.py --device cuda --model llama-1b --json out.json
  python benchmarks/memory_speed.py --kernels                     # dense vs sampled dφ
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

LLAMA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
XLMR_LORA_REGEX = r"backbone\.encoder\.layer\.\d+\..*(query|key|value|dense)"
ALL_METHODS = ["full", "lora", "lora-dropout", "spiel-ag", "spiel-ma", "madx", "lt-sft"]
GPU_METHODS = ALL_METHODS
FOUR_BIT_METHODS = ["qlora", "qspiel-ag"]
MODES = ("dense", "sampled")


@dataclass(frozen=True)
class Shape:
    kind: str  # "encoder" (XLM-R, sequence classification) | "decoder" (Llama, causal LM)
    hidden: int
    layers: int
    heads: int
    inter: int
    vocab: int
    batch: int
    seq: int


MODELS = {
    "xlmr-base": Shape("encoder", 768, 12, 12, 3072, 250002, 8, 128),
    "llama-300m": Shape("decoder", 1024, 24, 16, 2816, 32000, 4, 128),
    "llama-tiny": Shape("decoder", 128, 2, 4, 352, 1000, 2, 32),  # smoke tests only
    "llama-1b": Shape("decoder", 2048, 16, 16, 5632, 32000, 8, 512),
    "llama-7b": Shape("decoder", 4096, 32, 32, 11008, 32000, 4, 512),
}
QUICK = {  # laptop sizes: same widths, fewer layers and tokens (the row's "params" says)
    "xlmr-base": Shape("encoder", 768, 4, 12, 3072, 250002, 4, 64),
    "llama-300m": Shape("decoder", 1024, 8, 16, 2816, 32000, 1, 64),
}


# ---- models -----------------------------------------------------------------------------------
def build_model(shape: Shape, device, dtype):
    """A random model wrapped as backbone + head (the TaskModel naming every method expects)."""
    import torch
    from torch import nn
    from transformers import LlamaConfig, LlamaModel, XLMRobertaConfig, XLMRobertaModel

    class Wrapped(nn.Module):
        """`head` (classifier) for an encoder; `lm_head` for a decoder, the name language
        methods look for (MAD-X inverts its invertible adapter before it)."""

        def __init__(self, backbone, head, kind):
            super().__init__()
            self.backbone, self.kind = backbone, kind
            self.head_name = "head" if kind == "encoder" else "lm_head"
            self.add_module(self.head_name, head)

        def forward(self, input_ids, labels, **_):
            hidden = self.backbone(input_ids=input_ids).last_hidden_state
            head = getattr(self, self.head_name)
            if self.kind == "encoder":
                logits = head(hidden[:, 0])
                loss = nn.functional.cross_entropy(logits.float(), labels)
            else:
                logits = head(hidden[:, :-1]).float()
                loss = nn.functional.cross_entropy(logits.flatten(0, 1), labels[:, 1:].flatten())
            return Output(loss)

    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            if shape.kind == "encoder":
                cfg = XLMRobertaConfig(
                    vocab_size=shape.vocab,
                    hidden_size=shape.hidden,
                    num_hidden_layers=shape.layers,
                    num_attention_heads=shape.heads,
                    intermediate_size=shape.inter,
                    max_position_embeddings=max(514, shape.seq + 2),
                )
                backbone = XLMRobertaModel(cfg, add_pooling_layer=False)
                head = nn.Linear(shape.hidden, 3)
            else:
                cfg = LlamaConfig(
                    vocab_size=shape.vocab,
                    hidden_size=shape.hidden,
                    num_hidden_layers=shape.layers,
                    num_attention_heads=shape.heads,
                    num_key_value_heads=shape.heads,
                    intermediate_size=shape.inter,
                    max_position_embeddings=max(2048, shape.seq),
                )
                backbone = LlamaModel(cfg)
                head = nn.Linear(shape.hidden, shape.vocab, bias=False)
    finally:
        torch.set_default_dtype(old)
    return Wrapped(backbone, head, shape.kind).train()


class Output:
    def __init__(self, loss):
        self.loss = loss


def quantize_linears(model, compute_dtype):
    """Replace every backbone Linear by a bitsandbytes NF4 Linear4bit (the head stays)."""
    import bitsandbytes as bnb
    from torch import nn

    for name, module in list(model.backbone.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.Linear):
                q = bnb.nn.Linear4bit(
                    child.in_features,
                    child.out_features,
                    bias=child.bias is not None,
                    compute_dtype=compute_dtype,
                    quant_type="nf4",
                )
                q.weight = bnb.nn.Params4bit(
                    child.weight.data, requires_grad=False, quant_type="nf4"
                )
                if child.bias is not None:
                    q.bias = nn.Parameter(child.bias.data, requires_grad=False)
                setattr(module, child_name, q.to(child.weight.device))
        del name
    return model


def lora_count(model, shape: Shape, rank: int) -> int:
    """Trainable entries of LoRA rank `rank` on the targeted Linears: Σ r·(in + out)."""
    total = 0
    for name, module in model.backbone.named_modules():
        if _is_target(name, shape) and hasattr(module, "in_features"):
            total += rank * (module.in_features + module.out_features)
    return total


def _is_target(name: str, shape: Shape) -> bool:
    if shape.kind == "decoder":
        return name.rsplit(".", 1)[-1] in LLAMA_TARGETS
    return re.fullmatch(r"encoder\.layer\.\d+\..*(query|key|value|dense)", name) is not None


def make_batch(shape: Shape, device, seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, shape.vocab, (shape.batch, shape.seq), generator=g)
    labels = torch.randint(0, 3, (shape.batch,), generator=g) if shape.kind == "encoder" else ids
    return {"input_ids": ids.to(device), "labels": labels.to(device)}


# ---- methods ----------------------------------------------------------------------------------
class Plain:
    """full / LoRA: an AdamW over whatever requires grad; no hooks."""

    def __init__(self, model, lr):
        import torch

        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=lr)

    def trainable(self) -> int:
        return sum(p.numel() for p in self.params)

    def after_backward(self):
        pass

    def after_step(self, step):
        pass


class Hooked:
    """A registered FineTuningMethod driven in the loop's order."""

    def __init__(self, method, model, lr):
        self.method = method
        method.attach(model)
        method.start_phase(0)
        self.optimizer = method.build_optimizer(lr)

    def trainable(self) -> int:
        return sum(p.numel() for p in self.method.trainable_tensors())

    def after_backward(self):
        self.method.after_backward()

    def after_step(self, step):
        self.method.after_optimizer_step(step)


def setup_method(name: str, model, shape: Shape, args, k: int):
    import torch

    if name == "full":
        for p in model.parameters():
            p.requires_grad_(True)
        return Plain(model, args.lr), model
    if name in ("lora", "lora-dropout", "qlora"):
        from peft import LoraConfig, get_peft_model

        for p in model.parameters():
            p.requires_grad_(False)
        config = LoraConfig(
            r=args.lora_rank,
            lora_alpha=2 * args.lora_rank,
            lora_dropout=0.1 if name == "lora-dropout" else 0.0,
            target_modules=LLAMA_TARGETS if shape.kind == "decoder" else XLMR_LORA_REGEX,
            modules_to_save=["head"] if shape.kind == "encoder" else None,
        )
        model = get_peft_model(model, config)
        return Plain(model, args.lr), model
    if name in ("spiel-ag", "spiel-ma", "qspiel-ag"):
        method = spiel_class("ma" if name == "spiel-ma" else "ag")(
            k=k,
            target_modules=LLAMA_TARGETS if shape.kind == "decoder" else None,
            dense_modules=[] if shape.kind == "decoder" else None,
            reselection_interval=args.reselection_interval,
            selection_window=args.selection_window,
            grad_mode=args.grad_mode,
        )
        return Hooked(method, model, args.lr), model
    try:
        from sparsexlt.adapters.registry import available_methods, get_method

        known = available_methods()
    except ImportError as e:  # e.g. the GPU machine without the data stack
        raise NotAvailable(f"{name}: not available ({e})") from None
    if name not in known:
        raise NotAvailable(f"{name}: not available")
    if name == "lt-sft":
        if shape.kind == "decoder":  # a language SFT: the LM head stays frozen, as for LoRA
            model.lm_head.requires_grad_(False)
        method = get_method("lt-sft")(k=k, language_sft=shape.kind == "decoder", embeddings=False)
    elif name == "madx":  # bottleneck adapters (down + up per layer) of the same count
        # A decoder trains a language adapter (frozen LM head, as LoRA and SpIEL leave it),
        # whose invertible adapter counts towards K
        language = shape.kind == "decoder"
        k -= madx_invertible_count(shape.hidden) if language else 0
        bottleneck = max(1, round(k / (2 * shape.hidden * shape.layers)))
        method = get_method("madx")(bottleneck=bottleneck, language_sft=language)
    else:
        method = get_method(name)()
    del torch
    try:
        return Hooked(method, model, args.lr), model
    except Exception as e:
        if type(e).__name__ == "IncompatibleModelError":  # e.g. MAD-X on a decoder
            raise NotAvailable(f"{name}: not available for {args.model} ({e})") from None
        raise


class NotAvailable(Exception):
    pass


def madx_invertible_count(hidden: int) -> int:
    from sparsexlt.adapters.madx import AdapterSet, MadxSettings

    return AdapterSet(hidden, 1, [], MadxSettings().invertible_size(hidden)).count()


def spiel_class(growth: str):
    """SpIEL without the registry: its import chain needs torch only (see GPU notes)."""
    from sparsexlt.adapters.spiel.method import SpielMethod

    return type(
        f"Spiel{growth.upper()}", (SpielMethod,), {"growth": growth, "name": f"spiel-{growth}"}
    )


# ---- one method in this process --------------------------------------------------------------
def rss_bytes(field: str = "VmRSS") -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", text).group(1)) * 1024


def worker(args) -> dict:
    import torch

    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype) if args.dtype else None
    dtype = dtype or (torch.bfloat16 if device.type == "cuda" else torch.float32)
    shape = (QUICK if args.quick else MODELS).get(args.model, MODELS[args.model])
    torch.manual_seed(0)
    model = build_model(shape, device, dtype)
    k = lora_count(model, shape, args.lora_rank)
    params = sum(p.numel() for p in model.parameters())
    if args.method.startswith("q"):
        model = quantize_linears(model, dtype).to(device)
    batch = make_batch(shape, device)
    _preload(args.method)
    gc.collect()
    loaded = {t.untyped_storage().data_ptr() for t in model.state_dict().values()}
    base = _reset_peak(device)
    runner, model = setup_method(args.method, model, shape, args, k)
    times, window = _run_steps(model, runner, batch, args, device)
    rows = [_row(args, shape, runner, times, window, _peak(device) - base, "")]
    rows[0].update(params=params, state_bytes=state_bytes(runner, loaded))
    if args.method == "lt-sft":  # phase 2: select, rewind, train the K entries
        rows[0]["method"] = "lt-sft:full"
        runner.method.start_phase(1)
        runner.optimizer = runner.method.build_optimizer(args.lr)
        _reset_peak(device)
        times, window = _run_steps(model, runner, batch, args, device)
        rows.append(_row(args, shape, runner, times, window, _peak(device) - base, ":sparse"))
        rows[1]["state_bytes"] = state_bytes(runner, loaded)
    return {"rows": rows}


def state_bytes(runner, loaded: set[int]) -> int:
    """Bytes a method keeps from one step to the next, above the loaded model: its trainable
    tensors, the optimizer state and, for SpIEL, the index and original-value buffers — each
    storage once, storages of the loaded model left out. Gradients (alive from the backward to
    the optimizer step) and activations are not state; the peak minus this is what they and the
    process's own overhead cost."""
    import torch

    method = getattr(runner, "method", None)
    tensors = list(runner.params if method is None else method.trainable_tensors())
    for state in runner.optimizer.state.values():
        tensors += [t for t in state.values() if torch.is_tensor(t)]
    store = getattr(method, "store", None)
    if store is not None:
        tensors += [store.indices, store.phi]
        tensors += [t for t in [store.base] + [sw.base for sw in store.weights] if t is not None]
    sizes = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in tensors}
    return sum(size for ptr, size in sizes.items() if ptr not in loaded)


def _preload(method: str) -> None:
    """Import what the method needs before the baseline, so module memory is not counted."""
    if "lora" in method:
        import peft  # noqa: F401
    import sparsexlt.adapters.spiel.method  # noqa: F401

    try:  # SpIEL's attach records the base fingerprint through these (datasets, …)
        import sparsexlt.adapters.methods  # noqa: F401
        import sparsexlt.adapters.sparse_delta  # noqa: F401
    except ImportError:
        pass


def _reset_peak(device) -> int:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        return torch.cuda.memory_allocated()
    Path("/proc/self/clear_refs").write_text("5")
    return rss_bytes()


def _peak(device) -> int:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated()
    return rss_bytes("VmHWM")


def _run_steps(model, runner, batch, args, device):
    """Per-step wall times of the timed steps, and which of them were selection steps.

    With `--profile` each step is also split (synchronised) into forward, backward, optimizer
    step and the method's after-step hook; `args.phases` collects them per step.
    """
    import torch

    def mark():
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter()

    times, window, args.phases = [], [], []
    gamma = args.reselection_interval
    a = 1 if "spiel-ma" in args.method else min(args.selection_window, gamma)
    for step in range(1, args.warmup + args.steps + 1):
        t = [mark()]
        loss = model(**batch).loss
        t += [mark()] if args.profile else []
        loss.backward()
        runner.after_backward()
        t += [mark()] if args.profile else []
        runner.optimizer.step()
        runner.optimizer.zero_grad(set_to_none=True)
        t += [mark()] if args.profile else []
        runner.after_step(step)
        t.append(mark())
        if step > args.warmup:
            times.append(t[-1] - t[0])
            window.append(gamma - a < step <= gamma)
            if args.profile:
                args.phases.append(
                    [round(1000 * (y - x), 2) for x, y in zip(t, t[1:], strict=False)]
                )
        if not math.isfinite(loss.item()):
            raise RuntimeError(f"non-finite loss at step {step}")
    return times, window


def _row(args, shape, runner, times, window, peak, suffix) -> dict:
    # SpIEL's ordinary step: after the first reselection when the run has such steps (before
    # it, the random warm-start set trains, and measured faster on the H200)
    in_window_at = [i for i, w in enumerate(window) if w]
    after = times[in_window_at[-1] + 1 :] if in_window_at else []
    other = after or [t for t, w in zip(times, window, strict=True) if not w] or times
    median = statistics.median(other if args.method.startswith(("spiel", "qspiel")) else times)
    in_window = [t for t, w in zip(times, window, strict=True) if w]
    a = len(in_window)
    if a and args.method.startswith(("spiel", "qspiel")):
        mean = (sum(in_window) + (args.gamma - a) * median) / args.gamma
    else:
        mean = statistics.mean(times)
    return {
        "model": args.model,
        "method": args.method + suffix,
        "trainable": runner.trainable(),
        "peak_bytes": int(peak),
        "step_s": median,
        "mean_step_s": mean,
        "mean_timed_s": statistics.mean(times),
        "window_steps": a,
        "tokens": shape.batch * shape.seq,
        "times": [round(t, 5) for t in times],
        **({"phases_ms": args.phases} if args.profile else {}),
    }


# ---- parent: one subprocess per method -------------------------------------------------------
def run_all(args) -> list[dict]:
    rows = []
    for model in args.models:
        methods = list(args.methods)
        if args.four_bit:
            methods += FOUR_BIT_METHODS
        for method in methods:
            rows.extend(_spawn(args, model, method))
    _add_ratios(rows)
    return rows


def _spawn(args, model: str, method: str) -> list[dict]:
    cmd = [sys.executable, __file__] + _worker_argv(args, model, method)
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "PYTHONWARNINGS": "ignore"}
    if args.device == "cpu":
        return _report(model, method, *_forked(_worker_argv(args, model, method), args.timeout))
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env)
    except subprocess.TimeoutExpired:
        return _report(model, method, None, f"timed out after {args.timeout} s")
    return _report(model, method, _result_line(done.stdout), done.stderr[-2000:])


def _worker_argv(args, model: str, method: str) -> list[str]:
    cmd = ["--worker", "--model", model, "--method", method]
    for flag in ("device", "steps", "warmup", "lora_rank", "reselection_interval"):
        cmd += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    cmd += ["--selection-window", str(args.selection_window), "--gamma", str(args.gamma)]
    cmd += ["--grad-mode", args.grad_mode, "--lr", str(args.lr)] + (
        ["--quick"] if args.quick else []
    )
    cmd += ["--dtype", args.dtype] if args.dtype else []
    cmd += ["--profile"] if args.profile else []
    return cmd


def _forked(argv: list[str], timeout: float) -> tuple[dict | None, str]:
    """Run one method in a forked child of this process (CPU only): a fresh process for the
    measurement, without paying torch's and transformers' import again (~6 s per method here).
    The child measures from its own baseline after building the model, as a spawned one does."""
    import select

    import peft  # noqa: F401  (imported once, before forking, like torch and transformers)
    import torch  # noqa: F401
    import transformers  # noqa: F401

    _malloc_like_spawned_workers()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, send one JSON line, leave without cleanup handlers
        os.close(read_end)
        import warnings

        warnings.simplefilter("ignore")
        code = 0
        try:
            result = worker(parse(argv))
        except NotAvailable as e:
            result = {"unavailable": str(e)}
        except BaseException as e:  # noqa: BLE001 — reported by the parent
            result, code = {"error": f"{type(e).__name__}: {e}"}, 1
        os.write(write_end, (json.dumps(result) + "\n").encode())
        os._exit(code)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + timeout
    with os.fdopen(read_end, "rb") as pipe:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([pipe], [], [], max(0.0, deadline - time.monotonic()))
            chunk = pipe.read1(1 << 16) if ready else b""
            if ready and not chunk:
                break
            chunks.append(chunk)
        else:
            os.kill(pid, 9)
    os.waitpid(pid, 0)
    text = b"".join(chunks).decode()
    if not text.strip():
        return None, f"timed out after {timeout} s or died without a result"
    result = json.loads(text)
    return (None, result["error"]) if "error" in result else (result, "")


def _malloc_like_spawned_workers() -> None:
    """glibc's mmap threshold fixed at 64 KiB, as MALLOC_MMAP_THRESHOLD_ gives spawned workers:
    large freed blocks go back to the system, so the peak RSS is the peak of live memory."""
    import ctypes

    m_mmap_threshold = -3
    ctypes.CDLL("libc.so.6").mallopt(m_mmap_threshold, 65536)


def _result_line(stdout: str) -> dict | None:
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return None


def _report(model: str, method: str, out: dict | None, problem: str) -> list[dict]:
    if out is None:
        print(f"{model} {method}: failed\n{problem}", flush=True)
        return []
    if "unavailable" in out:
        print(out["unavailable"], flush=True)
        return []
    for row in out["rows"]:
        print(_format(row), flush=True)
    return out["rows"]


def _add_ratios(rows: list[dict]) -> None:
    for row in rows:
        ref_name = "qlora" if row["method"].startswith("q") else "lora"
        ref = next(
            (r for r in rows if r["model"] == row["model"] and r["method"] == ref_name), None
        )
        row["peak_ratio_vs_lora"] = row["peak_bytes"] / ref["peak_bytes"] if ref else None
        row["time_ratio_vs_lora"] = row["step_s"] / ref["step_s"] if ref else None  # medians
        row["mean_ratio_vs_lora"] = row["mean_step_s"] / ref["mean_step_s"] if ref else None


def _format(row: dict) -> str:
    return (
        f"  {row['model']:<11} {row['method']:<14} trainable {row['trainable']:>11,}  "
        f"peak {row['peak_bytes'] / 2**20:9.1f} MiB  median {row['step_s']:.3f} s  "
        f"mean {row['mean_step_s']:.3f} s"
    )


def print_table(rows: list[dict], device: str) -> None:
    print(f"\nmemory and speed on {device} (ratios vs LoRA r=64-equivalent, dropout 0)")
    head = f"{'model':<11} {'method':<14} {'trainable':>11} {'peak MiB':>9} {'×lora':>6} "
    head += f"{'state B/entry':>13} {'rest MiB':>8} "
    print(head + f"{'median s':>9} {'×lora':>6} {'mean s':>8} {'×lora':>6}")
    for r in rows:
        ratio = lambda v: "  –  " if v is None else f"{v:6.2f}"  # noqa: E731
        state = r.get("state_bytes", 0)
        print(
            f"{r['model']:<11} {r['method']:<14} {r['trainable']:>11,} "
            f"{r['peak_bytes'] / 2**20:>9.1f} {ratio(r['peak_ratio_vs_lora'])} "
            f"{state / max(r['trainable'], 1):>13.1f} {(r['peak_bytes'] - state) / 2**20:>8.1f} "
            f"{r['step_s']:>9.3f} {ratio(r['time_ratio_vs_lora'])} "
            f"{r['mean_step_s']:>8.3f} {ratio(r['mean_ratio_vs_lora'])}"
        )
    print(
        "state: what a method keeps between steps above the loaded model (trainable tensors, "
        "optimizer state, SpIEL's indices and originals); rest = peak − state: gradients, "
        "activations, selection windows and the process's own overhead"
    )


# ---- dense vs sampled dφ ---------------------------------------------------------------------
def kernels(args) -> None:
    import torch

    from sparsexlt.adapters.spiel import grad_kernels as gk

    device = torch.device(args.device)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    shapes = [(768, 768), (3072, 768)] if device.type == "cpu" else [(2048, 2048), (5632, 2048)]
    tokens = 512 if device.type == "cpu" else 4096
    print(f"dφ kernels on {device}, {tokens} tokens, {dtype}: ms dense / sampled")
    for rows, cols in shapes:
        x = torch.randn(tokens, cols, device=device, dtype=dtype)
        dy = torch.randn(tokens, rows, device=device, dtype=dtype)
        for density in (0.001, 0.01, 0.05, 0.1, 0.2):
            k = int(density * rows * cols)
            idx = torch.sort(torch.randperm(rows * cols, device=device)[:k]).values
            ms = [_time(partial(gk.entry_grad, x, dy, idx, rows, cols, m), device) for m in MODES]
            print(f"  {rows}x{cols} density {density:<6} {ms[0]:8.2f} {ms[1]:8.2f}")


def _time(fn, device, n: int = 7) -> float:
    import torch

    fn()
    out = []
    for _ in range(n):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        out.append(time.perf_counter() - t0)
    return 1000 * statistics.median(out)


# ---- CLI --------------------------------------------------------------------------------------
def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--model", dest="models", action="append", choices=sorted(MODELS))
    p.add_argument(
        "--methods", default=None, help="comma-separated subset of " + ",".join(ALL_METHODS)
    )
    p.add_argument("--quick", action="store_true", help="laptop sizes (CPU)")
    p.add_argument("--four-bit", action="store_true", help="add qlora / qspiel-ag rows (NF4)")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--steps", type=int, default=None, help="timed steps")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps (2; 1 with --quick)")
    p.add_argument("--lora-rank", type=int, default=64)
    p.add_argument("--reselection-interval", type=int, default=None, help="γ used in the run")
    p.add_argument("--selection-window", type=int, default=None, help="A")
    p.add_argument("--gamma", type=int, default=20, help="γ of the real run mean_step_s models")
    p.add_argument("--grad-mode", default="auto", choices=["auto", "dense", "sampled"])
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--timeout", type=int, default=300, help="seconds per method")
    p.add_argument("--kernels", action="store_true", help="time dense vs sampled dφ and exit")
    p.add_argument("--profile", action="store_true", help="split steps into fwd/bwd/opt/after")
    p.add_argument("--dtype", default=None, help="model dtype (default: bf16 on cuda, fp32 on cpu)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--method", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    _defaults(args)
    return args


def _defaults(args) -> None:
    if args.worker:
        args.model = args.models[0]
        args.warmup = 2 if args.warmup is None else args.warmup
        return
    args.models = args.models or (
        ["xlmr-base", "llama-300m"] if args.device == "cpu" else ["llama-1b"]
    )
    args.methods = args.methods.split(",") if args.methods else ALL_METHODS
    if args.selection_window is None:
        args.selection_window = 2 if args.quick else 5
    if args.steps is None:
        args.steps = 4 if args.quick else 12
    if args.quick and args.warmup is None:
        args.warmup = 1
    args.warmup = 2 if args.warmup is None else args.warmup
    if args.reselection_interval is None:  # the window ends inside the timed steps
        args.reselection_interval = (
            args.warmup + 1 + args.selection_window + (1 if args.quick else 2)
        )


def main(argv=None) -> None:
    args = parse(argv)
    if args.kernels:
        kernels(args)
        return
    if args.worker:
        try:
            result = worker(args)
        except NotAvailable as e:
            result = {"unavailable": str(e)}
        print("RESULT " + json.dumps(result), flush=True)
        return
    started = time.perf_counter()
    rows = run_all(args)
    print_table(rows, args.device)
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if args.json:
        args.json.write_text(
            json.dumps({"device": _device_name(args.device), "rows": rows}, indent=2)
        )


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(0)
    return f"cpu ({os.cpu_count()} cores)"


if __name__ == "__main__":
    main()
