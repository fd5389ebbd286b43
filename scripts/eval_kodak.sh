#!/usr/bin/env bash
# Measure every zoo model and the classical codecs on Kodak; writes results/kodak_zoo.json and
# docs/rd_kodak.png, then records each model's figures in resources/models/manifest.json.
#   scripts/eval_kodak.sh [KODAK_DIR]      (default ../shared/data/kodak)
# EXTRA_MODELS: checkpoints measured beside the zoo but not recorded in its manifest (e.g. the
# campaign's noise-trained scalar baseline, a curve of its own: "<arch> scalar (noise-trained)").
set -euo pipefail
cd "$(dirname "$0")/.."
KODAK=${1:-../shared/data/kodak}
PY=${PYTHON:-.venv/bin/python}
mkdir -p results
ids=$("$PY" -c "from lvqac_core import zoo; print(' '.join(e.id for e in zoo.list_models()))")
"$PY" -m lvqac_core.cli eval "$KODAK" --model $ids ${EXTRA_MODELS:-} --baselines jpeg,webp,avif,jpeg2000 --bdrate \
  --anchor "minnen2018-ckbd scalar" --plot docs/rd_kodak.png -o results/kodak_zoo.json --device cpu --force
"$PY" -m scripts.build_zoo record results/kodak_zoo.json --command "scripts/eval_kodak.sh $KODAK"
"$PY" -m scripts.zoo_report results/kodak_zoo.json > results/kodak_tables.md
echo "tables: results/kodak_tables.md"
