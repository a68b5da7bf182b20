#!/usr/bin/env bash
# Exactly what runs on the GPU machine (one H100/H200, ≤ 8 min wall in all); JSON lands in $OUT.
#   1. dφ kernels: dense per-layer dW vs sampled (SDDMM) at SpIEL densities       (~20 s)
#   2. Llama-1B shape (hidden 2048, 16 layers, batch 8 × 512), every method       (~3–4 min)
#   3. Llama-7B shape (hidden 4096, 32 layers, batch 4 × 512): LoRA, SpIEL-AG/MA (~2–3 min)
# Random-init bf16 weights built on the GPU; LoRA r=64 α=128 dropout 0 on q,k,v,o,gate,up,down;
# SpIEL K = that LoRA count; each method in a fresh process. Needs torch, transformers, peft.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-runs/gpu}"
mkdir -p "$OUT"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python}"
BENCH=benchmarks/memory_speed.py

nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$OUT/gpu.txt" || true
"$PY" -c "import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__)" \
  | tee "$OUT/versions.txt"
timeout 60 "$PY" $BENCH --kernels --device cuda 2>&1 | tee "$OUT/kernels.txt"
timeout 290 "$PY" $BENCH --device cuda --model llama-1b --timeout 100 \
  --methods full,lora,lora-dropout,spiel-ag,spiel-ma,lt-sft,madx \
  --json "$OUT/llama-1b.json" 2>&1 | tee "$OUT/llama-1b.txt"
timeout 200 "$PY" $BENCH --device cuda --model llama-7b --timeout 90 --gamma 10 \
  --methods lora,spiel-ag,spiel-ma --json "$OUT/llama-7b.json" 2>&1 | tee "$OUT/llama-7b.txt"
