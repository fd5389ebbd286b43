#!/usr/bin/env bash
# Zoo v2 campaign: one variable-rate network per quantizer family (gain units over the six
# paper λ), trained with the inference quantizer's values on the distortion path, plus the classic
# noise-trained scalar baseline and a single-λ control. Every stage resumes where it stopped
# (re-run the script); MAX_MINUTES caps each call's wall time per run (0: none).
#
#   stage 0  base    scalar, λ 0.0075, straight-through, from scratch (the N/M pilot's N 48 / M 64 run)
#   stage A  trunk   variable-rate scalar from the base's fp32 weights (resume.pt): one preset per batch
#   stage B  family  from the trunk's resume.pt, FAMILY_STEPS each, same data / seed / lr:
#                    scalar (straight-through) | lvq (hard-ste, coded selection) |
#                    lvqac (exp compander, hard-ste, coded selection) | scalar-noise (additive noise) |
#                    lvqac-r (lvqac with r's gradient straight through on r and the A surrogate ×2;
#                    added mid-campaign, 2026-11-26, after the companding ablation: docs/training.md)
#   control  single  single-λ scalar (λ 0.0075) from the base, as many steps as trunk + family:
#                    the variable-rate network's price at one rate point, at equal steps (§5)
#   stage C  decay   each family and the control: DECAY_STEPS more at lr 3e-5 (name-decay/)
#   stage D  heads   lvqac-r-decay's A and selection heads distilled to 16 hidden channels
#                    (scripts/head_width.py, rest of the network frozen; 2026-11-26):
#                    lvqac-r-decay-h16/model.pt, the zoo's LVQAC network
#
# Every run: minnen2018-ckbd, N 48, M 64, batch 8 of 128² crops, Adam 3e-4, bf16 autocast +
# channels_last where the CPU has AVX512-BF16 (--precision auto), 1 thread. The budget each run
# actually had is in its summary.json / provenance (wall_seconds, steps); docs/training.md keeps the
# table. Environment: RUNS (runs/zoo2), DATA (../shared/data/train), BASE_STEPS, TRUNK_STEPS,
# FAMILY_STEPS, DECAY_STEPS, MAX_MINUTES (0), ONLY (space-separated run names to run; default all).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RUNS=${RUNS:-runs/zoo2}
DATA=${DATA:-../shared/data/train}
BASE_STEPS=${BASE_STEPS:-15902}
TRUNK_STEPS=${TRUNK_STEPS:-28713}
FAMILY_STEPS=${FAMILY_STEPS:-20000}
DECAY_STEPS=${DECAY_STEPS:-5000}
MAX_MINUTES=${MAX_MINUTES:-0}
ONLY=${ONLY:-}
COMMON=(--data "$DATA" --architecture minnen2018-ckbd -N 48 -M 64 --batch-size 8 --crop 128
        --threads 1 --device cpu --checkpoint-minutes 5 --max-minutes "$MAX_MINUTES" --log-every 25
        --no-progress --json --resume)
VR=(--lambdas paper --lambda 0.0075)

wanted() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
done_run() { [ -f "$RUNS/$1/model.pt" ] && grep -q '"stopped_early": false' "$RUNS/$1/summary.json" 2>/dev/null; }
train() {  # name, then lvqac train options
  local name=$1; shift
  if wanted "$name" && ! done_run "$name"; then
    mkdir -p "$RUNS/$name"
    "$PY" -m lvqac_core.cli train --out "$RUNS/$name" "${COMMON[@]}" "$@" >> "$RUNS/$name/stdout.txt"
  fi
}

train base --quantizer scalar --lambda 0.0075 --steps "$BASE_STEPS" --lr 3e-4
train trunk "${VR[@]}" --quantizer scalar --steps "$TRUNK_STEPS" --init "$RUNS/base/resume.pt" --lr 3e-4
done_run trunk || { echo "trunk not finished: re-run to continue"; exit 0; }
# the families' own options (stage B and their decay stage C use the same)
declare -A OPTS=(
  [scalar]="--lambdas paper --lambda 0.0075 --quantizer scalar"
  [lvq]="--lambdas paper --lambda 0.0075 --quantizer lvq --selection-coding rans"
  [lvqac]="--lambdas paper --lambda 0.0075 --quantizer lvqac --compander exp --selection-coding rans"
  [lvqac-r]="--lambdas paper --lambda 0.0075 --quantizer lvqac --compander exp --selection-coding rans --ste-domain r --a-grad-scale 2"
  [scalar-noise]="--lambdas paper --lambda 0.0075 --quantizer scalar --train-mode noise"
  [single-0.0075]="--lambda 0.0075 --quantizer scalar"
)
# stage B (seed 1: other crops than the trunk's) and the single-λ control
for name in scalar lvq lvqac lvqac-r scalar-noise; do
  # shellcheck disable=SC2086
  train "$name" ${OPTS[$name]} --init "$RUNS/trunk/resume.pt" --steps "$FAMILY_STEPS" --seed 1 --lr 3e-4
done
# shellcheck disable=SC2086
train single-0.0075 ${OPTS[single-0.0075]} --init "$RUNS/base/resume.pt" --steps $((TRUNK_STEPS + FAMILY_STEPS)) --lr 3e-4
# stage C: the same learning-rate decay for every one (lr 3e-5, DECAY_STEPS, seed 2)
for name in scalar lvq lvqac lvqac-r scalar-noise single-0.0075; do
  done_run "$name" || continue
  # shellcheck disable=SC2086
  train "$name-decay" ${OPTS[$name]} --init "$RUNS/$name/resume.pt" --steps "$DECAY_STEPS" --seed 2 --lr 3e-5
done
# stage D: the shipped LVQAC network's heads at width 16 (the decode costs 1.03x scalar, not 1.06x)
if done_run lvqac-r-decay && wanted lvqac-r-decay-h16 && [ ! -f "$RUNS/lvqac-r-decay-h16/model.pt" ]; then
  mkdir -p "$RUNS/lvqac-r-decay-h16"
  "$PY" -m scripts.head_width --model "$RUNS/lvqac-r-decay/model.pt" --hidden 16 --images 400 --steps 4000 \
    --train "$DATA" --json "$RUNS/lvqac-r-decay-h16/head_width.json" --write "$RUNS/lvqac-r-decay-h16/model.pt"
fi
