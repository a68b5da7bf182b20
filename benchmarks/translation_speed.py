"""Translation speed: CTranslate2 int8 versus `transformers` `generate` in float32.

    python benchmarks/translation_speed.py [--quick] [--json FILE] [--device cpu|cuda]
                                           [--model NLLB_FOLDER] [--sentences N]

The same NLLB-architecture model translates the same sentences — the first N (default 2,000)
SMSA train texts, Indonesian → Javanese — with beam 4 on both engines:
  - `tiny`: the test-size random model (d=32, 2 layers);
  - `random-6L-512`: a random NLLB-shaped model with 6+6 layers, d=512, 8 heads, FFN 2048
    (vocabulary trained on SMSA + NusaX Javanese);
  - `--model`: a real NLLB-200 folder, when given.
Random models rarely emit </s>, so output length decides the cost: both engines stop at the same
cap (`--max-output-tokens`, default 64, after the language code), and the mean output length of
each is reported so the comparison can be checked for fairness. Both engines use the same number
of CPU threads; batches are length-sorted on both (CTranslate2 by `--ct2-batch-tokens` source
tokens, `transformers` by `--hf-batch-size` sentences; on CPU about 27 and 32 sentences). One warm-up batch per engine is not timed. The times include
tokenisation and detokenisation on both sides. The 1-minute load average at start and end is
recorded, and rates are also given per CPU-second (process time, all threads): on a shared
machine the wall-clock rates of the two engines may be taken under different loads, while CPU
time measures the work itself (exact with `--threads 1`; extra threads that spin-wait inflate
it). On a shared machine use `--threads 1`: there multi-threaded runs of both engines slowed
down several-fold.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMSA = Path(os.environ.get("SPARSEXLT_SHARED_DATA", REPO.parent / "shared" / "data")) / "smsa"
NUSAX_JAV = SMSA.parent / "nusax" / "sentiment" / "javanese" / "train.csv"
SRC, TGT = "ind_Latn", "jav_Latn"
BIG = {"vocab_size": 8000, "d_model": 512, "layers": 6, "heads": 8, "ffn_dim": 2048}


def ensure_importable() -> None:
    """Let the benchmark run from a bare checkout (e.g. a GPU box without `pip install -e`)."""
    try:
        import sparsexlt  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(REPO / "src"))


def read_smsa(n: int) -> list[str]:
    with open(SMSA / "train_preprocess.tsv", encoding="utf-8") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row[0] for _, row in zip(range(n), rows, strict=False)]


def vocab_corpus() -> dict[str, list[str]]:
    with open(NUSAX_JAV, encoding="utf-8") as f:
        jav = [row["text"] for row in csv.DictReader(f)]
    return {SRC: read_smsa(5000), TGT: jav}


def build_models(work: Path, real_model: str | None) -> dict[str, Path]:
    """HF folders to compare: tiny, the 6-layer d=512 random model, and `--model` if given."""
    from sparsexlt.models.tiny_translator import build_tiny_translator

    corpus = vocab_corpus()
    models = {
        "tiny": build_tiny_translator(work / "tiny", corpus, seed=0),
        "random-6L-512": build_tiny_translator(work / "random-6L-512", corpus, seed=0, **BIG),
    }
    if real_model:
        models[Path(real_model).name or real_model] = Path(real_model)
    return models


def run_ct2(ct2_dir: Path, texts: list[str], args: argparse.Namespace) -> dict[str, float]:
    from sparsexlt.translation import CTranslate2Engine, TranslationOptions

    options = TranslationOptions(
        beam_size=args.beam,
        max_output_tokens=args.max_output_tokens,
        max_batch_tokens=args.ct2_batch_tokens,
        device=args.device,
        threads=args.threads if args.device == "cpu" else 0,
    )
    engine = CTranslate2Engine(ct2_dir, options)

    def translate(batch: list[str]) -> list[list[str]]:
        tokens, _ = engine.tokenize(batch, SRC)
        out = engine.translate_tokens(tokens, TGT)
        [engine.detokenize(o) for o in out]
        return out

    translate(texts[:2])  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    outputs = translate(texts)
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu,
        "mean_out_tokens": sum(map(len, outputs)) / len(outputs),
        "compute_type": str(engine.translator.compute_type),
    }


def run_hf(model_dir: Path, texts: list[str], args: argparse.Namespace) -> dict[str, float]:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    tok.src_lang = SRC
    model = AutoModelForSeq2SeqLM.from_pretrained(str(model_dir), dtype=torch.float32)
    model = model.to(args.device).eval()
    forced = tok.convert_tokens_to_ids(TGT)
    special = {tok.pad_token_id, tok.eos_token_id, forced}

    def translate(batch: list[str]) -> list[int]:
        enc = tok(batch, return_tensors="pt", padding=True).to(args.device)
        with torch.inference_mode():
            out = model.generate(
                **enc,
                forced_bos_token_id=forced,
                num_beams=args.beam,
                do_sample=False,
                max_new_tokens=args.max_output_tokens + 1,  # the forced code counts
            )
        tok.batch_decode(out, skip_special_tokens=True)
        return [sum(1 for t in row[1:] if t not in special) for row in out.tolist()]

    ordered = sorted(texts, key=len)
    translate(ordered[:2])  # warm-up
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    start, cpu = time.perf_counter(), time.process_time()
    lengths: list[int] = []
    for i in range(0, len(ordered), args.hf_batch_size):
        lengths += translate(ordered[i : i + args.hf_batch_size])
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu,
        "mean_out_tokens": sum(lengths) / len(lengths),
    }


def benchmark(args: argparse.Namespace) -> dict:
    import torch

    from sparsexlt.translation import convert_cached

    if args.device == "cpu":
        torch.set_num_threads(args.threads)
    load_start = round(os.getloadavg()[0], 2)
    texts = read_smsa(args.sentences)
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="translation-speed-"))
    rows = []
    for name, hf_dir in build_models(work, args.model).items():
        ct2_dir = convert_cached(hf_dir, work / "ct2", quantization="int8")
        ct2 = run_ct2(ct2_dir, texts, args)
        hf = run_hf(hf_dir, texts, args)
        row = {
            "model": name,
            "sentences": len(texts),
            "beam": args.beam,
            "max_output_tokens": args.max_output_tokens,
            "ct2_sents_per_s": round(len(texts) / ct2["seconds"], 2),
            "hf_sents_per_s": round(len(texts) / hf["seconds"], 2),
            "speedup": round(hf["seconds"] / ct2["seconds"], 2),
            "ct2_sents_per_cpu_s": round(len(texts) / ct2["cpu_seconds"], 2),
            "hf_sents_per_cpu_s": round(len(texts) / hf["cpu_seconds"], 2),
            "speedup_cpu_time": round(hf["cpu_seconds"] / ct2["cpu_seconds"], 2),
            "ct2_mean_out_tokens": round(ct2["mean_out_tokens"], 2),
            "hf_mean_out_tokens": round(hf["mean_out_tokens"], 2),
            "ct2_compute_type": ct2["compute_type"],
            "hf_dtype": "float32",
            "ct2_batch_tokens": args.ct2_batch_tokens,
            "hf_batch_sentences": args.hf_batch_size,
        }
        rows.append(row)
        print_row(row)
    return {
        "benchmark": "translation_speed",
        "load_avg_1min_start_end": [load_start, round(os.getloadavg()[0], 2)],
        "device": args.device,
        "threads": args.threads if args.device == "cpu" else None,
        "quick": args.quick,
        "source": f"first {len(texts)} SMSA train texts, {SRC} → {TGT}",
        "rows": rows,
    }


def print_row(row: dict) -> None:
    print(
        f"{row['model']:>16}  {row['sentences']:>5} sents  beam {row['beam']}  "
        f"CT2 {row['ct2_compute_type']} {row['ct2_sents_per_s']:>8.1f} sent/s "
        f"(mean out {row['ct2_mean_out_tokens']:.1f} tok)  "
        f"HF fp32 {row['hf_sents_per_s']:>7.1f} sent/s (mean out {row['hf_mean_out_tokens']:.1f} tok)"
        f"  speedup {row['speedup']:.2f}x (by CPU time {row['speedup_cpu_time']:.2f}x)",
        flush=True,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="40 sentences (≤ 2 min on 2 cores)")
    p.add_argument("--sentences", type=int, default=None, help="default 2000 (quick: 40)")
    p.add_argument("--model", default=None, help="a real NLLB-200 folder to add as a row")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--max-output-tokens", type=int, default=64)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="CPU threads, both")
    p.add_argument("--hf-batch-size", type=int, default=None, help="default 32 (cuda: 64)")
    p.add_argument("--ct2-batch-tokens", type=int, default=None, help="default 1024 (cuda: 4096)")
    p.add_argument("--work-dir", default=None, help="keep built models here (default: temp)")
    p.add_argument("--json", default=None, help="write the results here")
    args = p.parse_args(argv)
    if args.sentences is None:
        args.sentences = 40 if args.quick else 2000
    if args.ct2_batch_tokens is None:
        args.ct2_batch_tokens = 4096 if args.device.startswith("cuda") else 1024
    if args.hf_batch_size is None:
        args.hf_batch_size = 64 if args.device.startswith("cuda") else 32
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("SPARSEXLT_QUIET", "1")
    ensure_importable()
    if args.quick:
        print(f"--quick: {args.sentences} sentences instead of 2000; figures are indicative")
    result = benchmark(args)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
