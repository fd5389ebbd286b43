#!/usr/bin/env bash
# Ship zoo v3's wide networks (issue 27) as the zoo's "wide" tier, beside zoo v2's "fast" networks:
# what protects the campaign from a lost ../runs (ship intermediate zoos whenever they win).
#   scripts/zoo3_ship.sh RUN_DIR [RUN_DIR ...]     e.g. ../runs/zoo3/wide-scalar ../runs/zoo3/wide-lvq
# - copies each run's newest checkpoint (model.pt when newer than model_latest.pt; fp16) into a
#   staging folder and installs it with `python -m scripts.build_zoo install --tier wide --add`
#   (resources/models/minnen2018-ckbd-wide-<quantizer>-vr.pt, one manifest row per preset; the
#   other rows stay);
# - measures the wide tier on the 24 Kodak images and records the figures
#   (scripts/eval_kodak_tier.sh wide).
# Stop the runs first (kill <pid>: they stop after the step) so that the shipped step is the last.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: scripts/zoo3_ship.sh RUN_DIR [RUN_DIR ...]" >&2; exit 2; }
PY=${PYTHON:-.venv/bin/python}
STAGE=$(mktemp -d /tmp/lvqac-ship.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
names=()
for run in "$@"; do
  src="$run/model_latest.pt"
  if [ -f "$run/model.pt" ] && { [ ! -f "$src" ] || [ "$run/model.pt" -nt "$src" ]; }; then
    src="$run/model.pt"
  fi
  [ -f "$src" ] || { echo "$run: no model_latest.pt or model.pt" >&2; exit 2; }
  name=$(basename "$run")
  mkdir -p "$STAGE/$name"
  cp "$src" "$STAGE/$name/model.pt"
  names+=("$name")
done
"$PY" -m scripts.build_zoo install --runs "$STAGE" --only "${names[@]}" --tier wide --add
bash scripts/eval_kodak_tier.sh wide
du -ch resources/models/*.pt | tail -1
