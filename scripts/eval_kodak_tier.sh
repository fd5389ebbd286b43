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
# QUANTIZERS="lvq lvqac": re-measure only these families' rows (and EXTRA_MODELS) and keep the
# other curves of results/kodak_TIER.json (scripts/merge_results.py): what changed, not the tier.
set -euo pipefail
cd "$(dirname "$0")/.."
TIER=${1:?usage: scripts/eval_kodak_tier.sh TIER [KODAK_DIR]}
KODAK=${2:-../shared/data/kodak}
PY=${PYTHON:-.venv/bin/python}
ids=$("$PY" -m scripts.build_zoo ids "$TIER" ${QUANTIZERS:-})  # exits 2, saying so, when there are none
mkdir -p results
out="results/kodak_$TIER.json"
if [ -n "${QUANTIZERS:-}" ] && [ -f "$out" ]; then
  out=$(mktemp /tmp/lvqac-eval-XXXXXX.json)
fi
"$PY" -m lvqac_core.cli eval "$KODAK" --model $ids ${EXTRA_MODELS:-} --checkpoint-tier "$TIER" -o "$out" --device cpu --force
if [ "$out" != "results/kodak_$TIER.json" ]; then
  "$PY" -m scripts.merge_results "results/kodak_$TIER.json" "$out" -o "results/kodak_$TIER.json"
  rm -f "$out"
fi
"$PY" -m scripts.build_zoo record "results/kodak_$TIER.json" --command "${QUANTIZERS:+QUANTIZERS=\"$QUANTIZERS\" }scripts/eval_kodak_tier.sh $TIER $KODAK"
reports=(results/kodak_zoo.json)
for r in results/kodak_*.json; do
  [ "$r" != results/kodak_zoo.json ] && reports+=("$r")
done
"$PY" -m scripts.zoo_report "${reports[@]}" --plot docs/rd_kodak.png > results/kodak_tables.md
echo "tables: results/kodak_tables.md; plot: docs/rd_kodak.png"
