#!/usr/bin/env bash
# Measure one tier of the zoo on photos no network was trained on (issue 27 §3: the LVQAC claim
# holds on Kodak *and* on unseen photos): scikit-image's bundled colour photographs
# (scripts/heldout_photos.py; needs the `sample` extra: pip install -e .[sample]), with JPEG, WebP
# and AVIF beside them.
#   scripts/eval_heldout.sh TIER [PHOTO_DIR]     (default /tmp/lvqac-heldout, made when missing)
# Writes results/heldout_TIER.json and results/heldout_TIER.md (per-point figures and BD-rates,
# scripts/zoo_report.py --images heldout). The manifest's figures stay Kodak's: nothing is recorded.
# EXTRA_MODELS: checkpoints measured beside the tier (curves named as the tier's, e.g. its
# noise-trained scalar). QUANTIZERS="lvq lvqac": re-measure only these families' rows (and
# EXTRA_MODELS), keeping the other curves of results/heldout_TIER.json (scripts/merge_results.py).
set -euo pipefail
cd "$(dirname "$0")/.."
TIER=${1:?usage: scripts/eval_heldout.sh TIER [PHOTO_DIR]}
PHOTOS=${2:-/tmp/lvqac-heldout}
PY=${PYTHON:-.venv/bin/python}
"$PY" -m scripts.heldout_photos "$PHOTOS" > /dev/null
ids=$("$PY" -m scripts.build_zoo ids "$TIER" ${QUANTIZERS:-})  # exits 2, saying so, when there are none
mkdir -p results
out="results/heldout_$TIER.json"
baselines=(--baselines jpeg,webp,avif)
if [ -n "${QUANTIZERS:-}" ] && [ -f "$out" ]; then
  out=$(mktemp /tmp/lvqac-heldout-XXXXXX.json)
  baselines=()  # measured with the tier's first run, kept by the merge
fi
"$PY" -m lvqac_core.cli eval "$PHOTOS" --model $ids ${EXTRA_MODELS:-} --checkpoint-tier "$TIER" \
  "${baselines[@]}" -o "$out" --device cpu --force
if [ "$out" != "results/heldout_$TIER.json" ]; then
  "$PY" -m scripts.merge_results "results/heldout_$TIER.json" "$out" -o "results/heldout_$TIER.json"
  rm -f "$out"
fi
"$PY" -m scripts.zoo_report "results/heldout_$TIER.json" --images heldout > "results/heldout_$TIER.md"
echo "tables: results/heldout_$TIER.md"
