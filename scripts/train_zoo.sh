#!/usr/bin/env bash
# Fine-tune the model zoo from one scalar base checkpoint: 6 λ × {scalar, lvq, lvqac} = 18 models,
# every one with the same number of steps (fair comparison: same base, same budget).
#
#   scripts/train_zoo.sh BASE_CKPT [STEPS] [OUT_ROOT]
#
#   BASE_CKPT  e.g. runs/base/model.pt (or runs/base/model_latest.pt while the base still trains)
#   STEPS      fine-tuning steps per model (default 500)
#   OUT_ROOT   default runs/zoo; each model goes to OUT_ROOT/<quantizer>_<lambda>/model.pt
#
# Environment: DATA (default ../shared/data/train), ARCH (minnen2018-ckbd), N (48), M (64),
# CROP (128), BATCH (8), LR (1e-4), THREADS (1), JOBS (1 = one model at a time; 2 uses both cores),
# DEVICE (auto), PYTHON (.venv/bin/python), LAMBDAS, QUANTIZERS (space-separated overrides;
# "scalar-noise" = the scalar quantizer trained with additive uniform noise, the classic baseline),
# EXTRA (more `lvqac train` arguments for every model, e.g. "--compander alaw --rate-proxy hard").
# The learning rate drops ×0.1 at 80 % of STEPS; τ anneals 0.5 → 0.05 over STEPS (lattices).
# Re-running skips models whose model.pt exists and resumes interrupted ones (--resume).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${1:?usage: scripts/train_zoo.sh BASE_CKPT [STEPS] [OUT_ROOT]}
STEPS=${2:-500}
OUT_ROOT=${3:-runs/zoo}
DATA=${DATA:-../shared/data/train}
ARCH=${ARCH:-minnen2018-ckbd}
N=${N:-48}
M=${M:-64}
CROP=${CROP:-128}
BATCH=${BATCH:-8}
LR=${LR:-1e-4}
THREADS=${THREADS:-1}
JOBS=${JOBS:-1}
DEVICE=${DEVICE:-auto}
PYTHON=${PYTHON:-.venv/bin/python}
LAMBDAS=${LAMBDAS:-"0.0016 0.0032 0.0075 0.015 0.03 0.045"}
QUANTIZERS=${QUANTIZERS:-"scalar lvq lvqac"}
DECAY=$(( STEPS * 8 / 10 ))

[ -f "$BASE" ] || { echo "base checkpoint not found: $BASE" >&2; exit 2; }

one() {
  local q=$1 l=$2 out="$OUT_ROOT/${1}_${2}"
  if [ -f "$out/model.pt" ]; then echo "skip $out (done)"; return 0; fi
  mkdir -p "$out"
  echo "$(date +%T) start $out"
  local qargs=(--quantizer "$q")
  [ "$q" = scalar-noise ] && qargs=(--quantizer scalar --train-mode noise)
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=$THREADS "$PYTHON" -m lvqac_core.training --data "$DATA" --out "$out" --resume \
    --init "$BASE" --architecture "$ARCH" -N "$N" -M "$M" "${qargs[@]}" --lambda "$l" ${EXTRA:-} \
    --steps "$STEPS" --decay-step "$DECAY" --lr "$LR" --crop "$CROP" --batch-size "$BATCH" \
    --threads "$THREADS" --device "$DEVICE" --checkpoint-minutes 5 --log-every 25 --no-progress --json \
    > "$out/stdout.txt" 2> "$out/stderr.txt" || { echo "FAILED $out (see $out/stderr.txt)" >&2; return 1; }
  echo "$(date +%T) done  $out"
}

status=0
running=0
for l in $LAMBDAS; do
  for q in $QUANTIZERS; do
    one "$q" "$l" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n || status=1; running=$((running - 1)); fi
  done
done
while [ "$running" -gt 0 ]; do wait -n || status=1; running=$((running - 1)); done
echo "zoo in $OUT_ROOT (status $status)"
exit $status
