#!/usr/bin/env bash
# Measure the zoo's networks of one tier on Kodak and record their figures in the manifest
# (issue 27 §4: the "wide" tier ships beside zoo v2's "fast" one, whose figures come from
# scripts/eval_kodak.sh and stay as they are).
#   scripts/eval_kodak_tier.sh TIER [KODAK_DIR]     (default ../shared/data/kodak)
# Writes results/kodak_TIER.json, records each row's figures (with this command), then redraws
# docs/rd_kodak.png and results/kodak_tables.md from results/kodak_zoo.json and every
# results/kodak_<tier>.json (scripts/zoo_report.py).
# EXTRA_MODELS: checkpoints measured beside the tier but not recorded in its manifest rows (the
# tier's noise-trained scalar baseline: its curve is "<arch> TIER scalar (noise-trained)").
set -euo pipefail
cd "$(dirname "$0")/.."
TIER=${1:?usage: scripts/eval_kodak_tier.sh TIER [KODAK_DIR]}
KODAK=${2:-../shared/data/kodak}
PY=${PYTHON:-.venv/bin/python}
ids=$("$PY" -c "import sys; from lvqac_core import zoo; print(' '.join(e.id for e in zoo.list_models() if e.tier == sys.argv[1]))" "$TIER")
if [ -z "$ids" ]; then
  echo "the zoo has no rows of tier $TIER" >&2
  exit 2
fi
mkdir -p results
"$PY" -m lvqac_core.cli eval "$KODAK" --model $ids ${EXTRA_MODELS:-} --checkpoint-tier "$TIER" -o "results/kodak_$TIER.json" --device cpu --force
"$PY" -m scripts.build_zoo record "results/kodak_$TIER.json" --command "scripts/eval_kodak_tier.sh $TIER $KODAK"
reports=(results/kodak_zoo.json)
for r in results/kodak_*.json; do
  [ "$r" != results/kodak_zoo.json ] && reports+=("$r")
done
"$PY" -m scripts.zoo_report "${reports[@]}" --plot docs/rd_kodak.png > results/kodak_tables.md
echo "tables: results/kodak_tables.md; plot: docs/rd_kodak.png"
