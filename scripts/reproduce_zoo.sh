#!/usr/bin/env bash
# The whole recipe behind resources/models/, start to finish, with the exact settings used:
#   1. a scalar base (minnen2018-ckbd, N=48, M=64, λ=0.0075) trained from scratch;
#   2. 18 fine-tunes from that base (6 λ × scalar/LVQ/LVQAC), the same steps for every one;
#   3. installation into resources/models/ (fp16) with the manifest;
#   4. evaluation on Kodak (models + JPEG/WebP/AVIF/JPEG 2000), recorded into the manifest.
#
#   scripts/reproduce_zoo.sh            (re-running resumes; its run time: docs/evaluation.md)
#
# Environment: BASE_STEPS (14000), BASE_MINUTES (47: wall-time cap of the
# base; 0 = no cap), FT_STEPS (1000), JOBS (2), DATA (../shared/data/train), KODAK.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
DATA=${DATA:-../shared/data/train}
KODAK=${KODAK:-../shared/data/kodak}
BASE_STEPS=${BASE_STEPS:-14000}
BASE_MINUTES=${BASE_MINUTES:-47}
FT_STEPS=${FT_STEPS:-1000}
export ARCH=minnen2018-ckbd N=48 M=64 CROP=128 BATCH=8

mkdir -p runs/base
if [ ! -f runs/base/model.pt ]; then
  OMP_NUM_THREADS=2 "$PY" -m lvqac_core.training --data "$DATA" --out runs/base --resume \
    --architecture "$ARCH" -N "$N" -M "$M" --quantizer scalar --lambda 0.0075 \
    --steps "$BASE_STEPS" --decay-step 12500 --lr 3e-4 --crop "$CROP" --batch-size "$BATCH" \
    --threads 2 --device cpu --checkpoint-minutes 5 --max-minutes "$BASE_MINUTES" --log-every 100 \
    --no-progress --json > runs/base/stdout.txt
fi
JOBS=${JOBS:-2} THREADS=1 LR=2e-4 DEVICE=cpu DATA="$DATA" scripts/train_zoo.sh runs/base/model.pt "$FT_STEPS" runs/zoo
"$PY" -m scripts.build_zoo install --runs runs/zoo
scripts/eval_kodak.sh "$KODAK"
