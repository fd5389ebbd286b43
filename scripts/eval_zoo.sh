#!/usr/bin/env bash
# Evaluate the fine-tuned zoo (runs/zoo/*/model.pt by default) on Kodak with classical baselines:
# per-image JSON, BD-rate table (anchor: the scalar curve) and an RD plot.
#
#   scripts/eval_zoo.sh [ZOO_ROOT] [IMAGES] [OUT_PREFIX]
#   defaults: runs/zoo  ../shared/data/kodak  runs/eval/kodak   → OUT_PREFIX.json, OUT_PREFIX.png
# Environment: BASELINES (jpeg,webp,avif), DEVICE (auto), PYTHON (.venv/bin/python), THREADS (1).
set -euo pipefail
cd "$(dirname "$0")/.."
ZOO=${1:-runs/zoo}
IMAGES=${2:-../shared/data/kodak}
OUT=${3:-runs/eval/kodak}
PYTHON=${PYTHON:-.venv/bin/python}
mkdir -p "$(dirname "$OUT")"
shopt -s nullglob
models=("$ZOO"/*/model.pt)
[ ${#models[@]} -gt 0 ] || { echo "no models under $ZOO/*/model.pt" >&2; exit 2; }
OMP_NUM_THREADS=${THREADS:-1} "$PYTHON" -c "import sys; from lvqac_core.cli import main; sys.exit(main(sys.argv[1:]))" eval "$IMAGES" --model "${models[@]}" \
  --baselines "${BASELINES:-jpeg,webp,avif}" --bdrate --anchor "${ANCHOR:-minnen2018-ckbd scalar}" \
  --plot "$OUT.png" -o "$OUT.json" --device "${DEVICE:-auto}"
