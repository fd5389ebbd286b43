#!/usr/bin/env bash
# Zoo v3's wide scalar network (issue 27), resumed in the background in one command: what every
# session runs in its first minutes, and what restarts the campaign from the shipped weights when
# ../runs is gone (it was lost twice).
#
#   scripts/zoo3_campaign.sh [MAX_MINUTES]        (default 120)
#
# - makes ../runs/data-train12 (symlinks to ../shared/data/train + train2: the trainer reads one folder);
# - resumes RUN (default ../runs/zoo3/wide-scalar) from its resume.pt; where there is none, starts
#   it from the shipped wide network of its family (resources/models/minnen2018-ckbd-wide-Q-vr.pt,
#   the zoo's "wide" tier, shipped since 2026-12-07); where none is shipped, widens the shipped
#   zoo v2 scalar network to N 128 / M 192 with live latents
#   (python -m lvqac_core.training.widen … --live-spread 0.5 --live-sigma 0.3) and starts it with
#   the gained channels' rate warm-up (free for 600 steps, then a 1 200-step ramp);
# - runs one thread at nice 19, detached (nohup setsid), a resume.pt every 5 minutes; stop it
#   early with `kill <pid>` (it stops cleanly after the step) or let MAX_MINUTES end it.
#
# QUANTIZER=lvq runs that family's arm, ../runs/zoo3/wide-lvq, forked at step 0 from the same
# widened scalar init with the same warm-up, so the families get equal steps after the fork.
# QUANTIZER=lvqac forks the trained LVQ network (issue 27 §3: "fork LVQAC from the trained LVQ
# network"): it starts from the shipped wide LVQ weights (where no wide LVQAC is shipped yet) with
# zoo v2's LVQAC options (exponential compander, whose A head starts at exactly A = 1, so the fork
# starts as the LVQ network; r's gradient straight through on r; the A surrogate ×2).
# A session's schedule: STEPS (400000) with DECAY_STEP (0: never) the step from which lr is ×0.1,
# e.g. STEPS=4000 DECAY_STEP=2500 LR=1e-4 trains and settles a run in one go (docs/training.md).
# Environment: QUANTIZER (scalar), RUN, PYTHON (.venv/bin/python), LR (2e-4), PRECISION (auto),
# STEPS, DECAY_STEP, SEED (0), TRAIN_MODE (noise: the classic additive-noise baseline, forked
# from the shipped wide scalar network; its run is ../runs/zoo3/wide-scalar-noise), RATE_PROXY
# (noise, the default, or hard: the rate of the hard value's cell, as the file codes it), INIT (a
# checkpoint a new run starts from instead of its family's shipped network; QUANTIZER=lvqac
# INIT=resources/models/minnen2018-ckbd-wide-lvq-vr.pt forks LVQAC from LVQ again once a wide
# LVQAC network is shipped), LAMBDAS (the presets: the init's, e.g. one given more by
# python -m lvqac_core.training.extend_presets), V_SCALE (LVQAC: global, the default, or sigma: the
# compander's span κ·σ per coefficient, issue 27 §3's σ-scaled dead zone), A_SIDE (LVQAC: both, the
# default, or below: A ≤ 1 only, dead zones and never finer cells). docs/training.md has the runs so far.
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_MINUTES=${1:-120}
QUANTIZER=${QUANTIZER:-scalar}
TRAIN_MODE=${TRAIN_MODE:-}
RUN=${RUN:-../runs/zoo3/wide-$QUANTIZER${TRAIN_MODE:+-$TRAIN_MODE}}
PYTHON=${PYTHON:-.venv/bin/python}
LR=${LR:-2e-4}
STEPS=${STEPS:-400000}
DECAY_STEP=${DECAY_STEP:-0}
SEED=${SEED:-0}
PRECISION=${PRECISION:-auto}  # auto: bf16 + channels_last where the CPU has AVX512-BF16, else fp32
LAMBDAS=${LAMBDAS:-0.0016,0.0032,0.0075,0.015,0.03,0.045,0.07,0.1,0.13}  # INIT's own presets (extend_presets adds more)
DATA=../runs/data-train12

if [ ! -d "$DATA" ]; then
  mkdir -p "$DATA"
  for f in ../shared/data/train/*.jpg; do ln -sf "../../shared/data/train/$(basename "$f")" "$DATA/t1_$(basename "$f")"; done
  for f in ../shared/data/train2/*.webp; do ln -sf "../../shared/data/train2/$(basename "$f")" "$DATA/t2_$(basename "$f")"; done
fi
mkdir -p "$RUN"
args=(--data "$DATA" --out "$RUN" --architecture minnen2018-ckbd --quantizer "$QUANTIZER" --lambda 0.0075
      --lambdas "$LAMBDAS" -N 128 -M 192 --steps "$STEPS" --decay-step "$DECAY_STEP" --lr "$LR" --crop 128 --batch-size 8 --threads 1
      --checkpoint-minutes 5 --max-minutes "$MAX_MINUTES" --seed "$SEED" --log-every 50 --precision "$PRECISION"
      --no-progress --json)
warmup=(--free-channels-from 64 --free-rate-steps 600 --free-ramp-steps 1200)  # for a widened init only
shipped=resources/models/minnen2018-ckbd-wide-$QUANTIZER-vr.pt
if [ "$QUANTIZER" != scalar ]; then
  args+=(--selection-coding rans)  # as zoo v2's lattice networks
fi
if [ -n "${RATE_PROXY:-}" ]; then
  args+=(--rate-proxy "$RATE_PROXY")
fi
if [ -n "$TRAIN_MODE" ]; then
  args+=(--train-mode "$TRAIN_MODE")
fi
if [ "$QUANTIZER" = lvqac ]; then
  args+=(--compander exp --ste-domain r --a-grad-scale 2)  # zoo v2's LVQAC network (lvqac-r)
  [ -n "${V_SCALE:-}" ] && args+=(--v-scale "$V_SCALE")  # sigma: V = κ·σ per coefficient
  [ -n "${A_SIDE:-}" ] && args+=(--a-side "$A_SIDE")  # below: A ≤ 1 only (dead zones)
  [ -f "$shipped" ] || shipped=resources/models/minnen2018-ckbd-wide-lvq-vr.pt  # the fork from trained LVQ
fi
shipped=${INIT:-$shipped}  # INIT=checkpoint: start a new run from it instead (e.g. LVQAC from the shipped LVQ)
if [ -f "$RUN/resume.pt" ]; then
  # a run started from a widened init keeps its warm-up settings (its steps count from its start)
  if "$PYTHON" -c "import sys, torch; st = torch.load(sys.argv[1], map_location='cpu', weights_only=True); sys.exit(0 if st['config'].get('free_rate_steps') else 1)" "$RUN/resume.pt"; then
    args+=("${warmup[@]}")
  fi
  args+=(--resume)
  for f in stdout stderr; do [ -s "$RUN/$f.txt" ] && mv "$RUN/$f.txt" "$RUN/$f.$(date +%Y%m%d-%H%M).txt"; done
  echo "resuming $RUN"
elif [ -f "$shipped" ]; then
  args+=(--init "$shipped")
  echo "starting $RUN from the shipped $shipped (no resume.pt there)"
else
  # every family starts from the same widened zoo v2 scalar network (a fork at step 0: equal steps after it)
  args+=("${warmup[@]}")
  init="$(dirname "$RUN")/wide-scalar-init.pt"
  if [ ! -f "$init" ]; then
    "$PYTHON" -m lvqac_core.training.widen resources/models/minnen2018-ckbd-scalar-vr.pt "$init" \
      -N 128 -M 192 --lambdas "$LAMBDAS" --live-spread 0.5 --live-sigma 0.3
  fi
  args+=(--init "$init")
  echo "starting $RUN from $init (no resume.pt there)"
fi
OMP_NUM_THREADS=1 nohup setsid nice -n 19 "$PYTHON" -m lvqac_core.training "${args[@]}" \
  > "$RUN/stdout.txt" 2> "$RUN/stderr.txt" < /dev/null &
# setsid gives the run its own autogroup, and the scheduler weighs autogroups before nice values:
# nice 19 alone left it an equal share beside an interactive shell's work. Nice its group too.
pid=$!
sleep 2  # until setsid has made the run's own group (never nice this shell's)
if [ -r "/proc/$pid/autogroup" ] && [ "$(cut -d' ' -f1 "/proc/$pid/autogroup")" != "$(cut -d' ' -f1 /proc/$$/autogroup)" ]; then
  echo 19 > "/proc/$pid/autogroup" 2>/dev/null || true
fi
echo "pid $pid; log $RUN/log.csv; status: $PYTHON -m scripts.campaign status"
