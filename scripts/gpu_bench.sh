#!/usr/bin/env bash
# Training throughput on one GPU (prepared for an H200, < 8 minutes): the `make bench` table for
# plain loop, Lightning and packed K = 1, 16, 64, 256, 1024, with achieved TFLOP/s, the fraction
# of the bf16 matmul rate measured in the same run, and projected GPU-days of the full study;
# once with every speed switch off, once with bf16 autocast + fused Adam
# (COMPILE=1 adds torch.compile). First it checks that the device renderer draws the numpy
# renderer's pixels on this device. Tables go to results/bench/train_<device>*.{txt,json}.
#   scripts/gpu_bench.sh                      # on the GPU machine
#   scripts/gpu_bench.sh --device cpu --quick # dry run on a CPU: K = 1, 4, a few steps
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DEVICE=cuda
QUICK=()
PACKS=(1 16 64 256 1024)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --device) DEVICE=$2; shift 2 ;;
    --quick) QUICK=(--quick); PACKS=(1 4); shift ;;
    *) echo "usage: $0 [--device cpu|cuda] [--quick]" >&2; exit 2 ;;
  esac
done
SPEED=(bf16 fused_adam)
[[ "${COMPILE:-0}" == 1 ]] && SPEED+=(compile)

"$PY" - "$DEVICE" <<'PYEOF'
import sys, numpy as np, torch
from vae_study.data.dsprites import DSprites, SpriteRenderer
from vae_study.data.torch_render import TorchSpriteRenderer
factors = DSprites().sample_factors(100_000, np.random.default_rng(0))
host = SpriteRenderer().masks(factors)
device = TorchSpriteRenderer(sys.argv[1]).masks(torch.from_numpy(factors)).cpu().numpy()
print(f"# device renderer vs numpy on {sys.argv[1]}: {(host != device).sum()} of {host.size} pixels differ")
PYEOF
"$PY" benchmarks/bench_train.py --device "$DEVICE" --packs "${PACKS[@]}" "${QUICK[@]}" \
  --out "results/bench/train_${DEVICE}.json"
"$PY" benchmarks/bench_train.py --device "$DEVICE" --packs "${PACKS[@]}" "${QUICK[@]}" \
  --speed "${SPEED[@]}" --out "results/bench/train_${DEVICE}_speed.json"
