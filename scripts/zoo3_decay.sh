#!/usr/bin/env bash
# A decayed fork of a zoo v3 run, for shipping (as zoo v2's "-decay" runs): the run's weights
# (its resume.pt; the run itself is left as it is and resumes later at its own rate) trained at a
# tenth of the learning rate with fresh Adam state, the temperature annealed over the fork.
#
#   scripts/zoo3_decay.sh RUN_DIR STEPS MAX_MINUTES      e.g. ../runs/zoo3/wide-scalar 2000 30
#
# Writes RUN_DIR-decay (refuses an existing one). Same data, presets, crop and batch as
# scripts/zoo3_campaign.sh; no warm-up of the gained channels (the run has had it). Environment:
# LR (2e-5), PYTHON, PRECISION (auto). Ship the fork with scripts/zoo3_ship.sh RUN_DIR-decay.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:?usage: scripts/zoo3_decay.sh RUN_DIR STEPS MAX_MINUTES}
STEPS=${2:?usage: scripts/zoo3_decay.sh RUN_DIR STEPS MAX_MINUTES}
MAX_MINUTES=${3:?usage: scripts/zoo3_decay.sh RUN_DIR STEPS MAX_MINUTES}
PYTHON=${PYTHON:-.venv/bin/python}
LR=${LR:-2e-5}
PRECISION=${PRECISION:-auto}
LAMBDAS=0.0016,0.0032,0.0075,0.015,0.03,0.045,0.07,0.1,0.13
DATA=../runs/data-train12
OUT="${RUN%/}-decay"
[ -f "$RUN/resume.pt" ] || { echo "$RUN: no resume.pt" >&2; exit 2; }
[ -e "$OUT" ] && { echo "$OUT exists: move it away first" >&2; exit 2; }
[ -d "$DATA" ] || { echo "$DATA missing: run scripts/zoo3_campaign.sh once (it makes it)" >&2; exit 2; }
quantizer=$("$PYTHON" -c "import sys, torch; print(torch.load(sys.argv[1], map_location='cpu', weights_only=True)['model_config']['quantizer'])" "$RUN/resume.pt")
mkdir -p "$OUT"
cp "$RUN/resume.pt" "$OUT/init.pt"  # the trunk's state at the fork, kept: the run goes on writing its own
args=(--data "$DATA" --out "$OUT" --architecture minnen2018-ckbd --quantizer "$quantizer" --lambda 0.0075
      --lambdas "$LAMBDAS" -N 128 -M 192 --steps "$STEPS" --lr "$LR" --crop 128 --batch-size 8 --threads 1
      --checkpoint-minutes 5 --max-minutes "$MAX_MINUTES" --seed 1 --log-every 50 --precision "$PRECISION"
      --no-progress --json --init "$OUT/init.pt")
if [ "$quantizer" != scalar ]; then
  args+=(--selection-coding rans)
fi
OMP_NUM_THREADS=1 nohup setsid nice -n 19 "$PYTHON" -m lvqac_core.training "${args[@]}" \
  > "$OUT/stdout.txt" 2> "$OUT/stderr.txt" < /dev/null &
# setsid gives the run its own autogroup, and the scheduler weighs autogroups before nice values:
# nice 19 alone left it an equal share beside an interactive shell's work. Nice its group too.
pid=$!
sleep 2  # until setsid has made the run's own group (never nice this shell's)
if [ -r "/proc/$pid/autogroup" ] && [ "$(cut -d' ' -f1 "/proc/$pid/autogroup")" != "$(cut -d' ' -f1 /proc/$$/autogroup)" ]; then
  echo 19 > "/proc/$pid/autogroup" 2>/dev/null || true
fi
echo "pid $pid; $quantizer fork of $RUN at lr $LR → $OUT; log $OUT/log.csv"
