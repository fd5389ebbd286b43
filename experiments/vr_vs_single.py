"""The variable-rate network's price (issue 8 §5): a single-λ model against the variable-rate
network of the same family at that λ, both measured by ``lvqac eval`` on the same images.

    .venv/bin/lvqac eval IMAGES --model runs/zoo2/scalar-decay/model.pt -o vr.json
    .venv/bin/lvqac eval IMAGES --model runs/zoo2/single-0.0075-decay/model.pt -o single.json
    .venv/bin/python -m experiments.vr_vs_single vr.json single.json

For each single-rate point: the variable-rate network's point at the same λ, its PSNR at the
single model's rate and the rate it needs for the single model's PSNR, both read off its curve
(piecewise-cubic Hermite in log rate through its presets, as BD-rate fits), so the difference is
the one a BD-rate over that small range would give. Negative rate difference: the variable-rate
network needs fewer bits for the single model's quality.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy.interpolate import PchipInterpolator


def curves(path: str) -> list[dict]:
    return json.loads(Path(path).read_text())["curves"]


def compare(vr: dict, single_point: dict) -> dict:
    pts = sorted(vr["points"], key=lambda p: p["bpp"])
    log_r = np.log([p["bpp"] for p in pts])
    psnr = np.array([p["psnr"] for p in pts])
    at_rate = float(PchipInterpolator(log_r, psnr)(math.log(single_point["bpp"])))
    order = np.argsort(psnr)
    rate_at_psnr = float(np.exp(PchipInterpolator(psnr[order], log_r[order])(single_point["psnr"])))
    same_lambda = min(pts, key=lambda p: abs(math.log(p["lambda"] / single_point["lambda"])))
    inside = log_r[0] <= math.log(single_point["bpp"]) <= log_r[-1] and psnr.min() <= single_point["psnr"] <= psnr.max()
    return {
        "lambda": single_point["lambda"],
        "single": (single_point["bpp"], single_point["psnr"]),
        "vr_same_lambda": (same_lambda["bpp"], same_lambda["psnr"]),
        "vr_psnr_at_rate": at_rate,
        "delta_psnr_db": at_rate - single_point["psnr"],
        "delta_rate_percent": 100.0 * (rate_at_psnr / single_point["bpp"] - 1.0),
        "inside_vr_range": bool(inside),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("vr_json", help="lvqac eval output holding the variable-rate network's curve")
    p.add_argument("single_json", help="lvqac eval output holding the single-λ model(s)")
    args = p.parse_args()
    vr_curves = {c["name"]: c for c in curves(args.vr_json) if len(c["points"]) >= 3}
    print(f"{'curve':<28} {'λ':>7} {'single bpp':>10} {'PSNR':>6} {'VR bpp':>7} {'PSNR':>6} "
          f"{'ΔPSNR@rate':>10} {'Δrate@PSNR':>10}")
    found = False
    for c in curves(args.single_json):
        vr = vr_curves.get(c["name"])
        if vr is None:
            print(f"{c['name']}: no variable-rate curve of that name in {args.vr_json}", file=sys.stderr)
            continue
        for point in c["points"]:
            r = compare(vr, point)
            found = True
            note = "" if r["inside_vr_range"] else "  (outside the VR curve: extrapolated)"
            print(f"{c['name']:<28} {r['lambda']:>7g} {r['single'][0]:>10.4f} {r['single'][1]:>6.2f} "
                  f"{r['vr_same_lambda'][0]:>7.4f} {r['vr_same_lambda'][1]:>6.2f} "
                  f"{r['delta_psnr_db']:>+9.3f}  {r['delta_rate_percent']:>+9.2f}%{note}")
    if not found:
        raise SystemExit("nothing to compare")


if __name__ == "__main__":
    main()
