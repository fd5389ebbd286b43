"""Pilot for issue 8: fine-tune the λ = 0.0075 scalar zoo model with each training variant (same
seed, steps, data and budget), then code Kodak images to real .lvq files and compare.

    .venv/bin/python -m experiments.pilot_train_match [--steps 400] [--jobs 2] [--images 6]
        [--out runs/pilot] [--variants scalar-ste lvq-relaxed ...] [--eval-only]

Training runs are ``lvqac train`` subprocesses (1 thread each, ``--jobs`` at a time); a finished
run (``model.pt`` present) is not retrained. Evaluation: each .lvq file is written, its size on
disk gives the bpp, it is decoded again and PSNR is measured on the decoded image. The shipped
scalar models at λ 0.0032 and 0.015 give the local slope dPSNR/d ln(bpp) of the scalar curve on the
same images, which turns each single point into a rate difference at equal PSNR against the
straight-through scalar run (a one-point stand-in for BD-rate). Results: OUT/pilot.json.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent

# the first zoo's single-rate models, replaced by zoo v2's variable-rate networks; restore them from
# git: git show faa1e24:resources/models/NAME.pt > resources/models/NAME.pt
FIRST_ZOO_COMMIT = "faa1e24"
BASE = ROOT / "resources" / "models" / "minnen2018-ckbd-scalar-0.0075.pt"
SLOPE_MODELS = [ROOT / "resources" / "models" / f"minnen2018-ckbd-scalar-{lam}.pt" for lam in ("0.0032", "0.015")]
DATA = ROOT.parent / "shared" / "data" / "train"
KODAK = ROOT.parent / "shared" / "data" / "kodak"

# name: (quantizer, extra lvqac-train arguments)
VARIANTS = {
    "scalar-ste": ("scalar", ["--train-mode", "ste"]),
    "scalar-noise": ("scalar", ["--train-mode", "noise"]),
    "lvq-relaxed": ("lvq", ["--train-mode", "relaxed"]),
    "lvq-hard-ste": ("lvq", ["--train-mode", "hard-ste"]),
    "lvq-hard-relax": ("lvq", ["--train-mode", "hard-relax"]),
    "lvqac-exp": ("lvqac", ["--train-mode", "hard-ste", "--compander", "exp"]),
    "lvqac-alaw": ("lvqac", ["--train-mode", "hard-ste", "--compander", "alaw"]),
    "lvq-hard-ste-ratehard": ("lvq", ["--train-mode", "hard-ste", "--rate-proxy", "hard"]),
    "lvqac-exp-ratehard": ("lvqac", ["--train-mode", "hard-ste", "--compander", "exp", "--rate-proxy", "hard"]),
    "lvq-hard-ste-fp32": ("lvq", ["--train-mode", "hard-ste", "--precision", "fp32"]),  # vs bf16, same seed
}
DEFAULT = ["scalar-ste", "lvq-relaxed", "lvq-hard-ste", "lvq-hard-relax", "lvqac-exp", "lvqac-alaw"]


def train_command(name: str, a: argparse.Namespace) -> list[str]:
    quantizer, extra = VARIANTS[name]
    return [sys.executable, "-m", "lvqac_core.cli", "train", "--data", str(a.data), "--out", str(a.out / name),
            "--init", str(BASE), "--quantizer", quantizer, "--lambda", str(a.lmbda), "-N", "48", "-M", "64",
            "--steps", str(a.steps), "--lr", str(a.lr), "--crop", "128", "--batch-size", "8", "--threads", "1",
            "--seed", str(a.seed), "--log-every", "50", "--checkpoint-minutes", "0", "--precision", a.precision,
            "--no-progress", "--json", *extra]


def train_all(names: list[str], a: argparse.Namespace) -> None:
    todo = [n for n in names if not (a.out / n / "model.pt").is_file()]
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    running: list[tuple[str, subprocess.Popen, float]] = []
    while todo or running:
        while todo and len(running) < a.jobs:
            n = todo.pop(0)
            (a.out / n).mkdir(parents=True, exist_ok=True)
            log = open(a.out / n / "stdout.txt", "w")
            p = subprocess.Popen(train_command(n, a), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
            running.append((n, p, time.monotonic()))
            print(f"training {n} …", flush=True)
        time.sleep(2)
        for item in list(running):
            n, p, t0 = item
            if p.poll() is not None:
                running.remove(item)
                print(f"  {n}: exit {p.returncode} after {time.monotonic() - t0:.0f} s", flush=True)
                if p.returncode:
                    raise SystemExit(f"training {n} failed: see {a.out / n / 'stdout.txt'}")


def evaluate(ckpt: Path, images: list[Path], files_dir: Path) -> dict:
    import torch

    from lvqac_core.api import Codec
    from lvqac_core.checkpoint import load_checkpoint
    from lvqac_core.image_files import load_image
    from lvqac_core.metrics import psnr

    codec = Codec.from_model(load_checkpoint(ckpt), model_id=ckpt.parent.name)
    files_dir.mkdir(parents=True, exist_ok=True)
    rows, a_maps, sel = [], [], []
    for p in images:
        rgb = load_image(p).rgb
        res = codec.compress(rgb)
        out = files_dir / f"{p.stem}.lvq"
        out.write_bytes(res.data)
        dec = codec.decompress(out.read_bytes()).image
        assert np.array_equal(dec, res.reconstruction)
        h, w = rgb.shape[:2]
        mse = float(np.mean((dec.astype(np.float64) - rgb.astype(np.float64)) ** 2)) / 255.0 ** 2
        rows.append({"image": p.name, "bpp": 8 * out.stat().st_size / (h * w), "psnr": psnr(rgb, dec), "mse": mse,
                     "bpp_estimated": res.bpp_estimated})
        if res.maps.a_law is not None:
            a_maps.append(res.maps.a_law.ravel())
        if res.maps.selection is not None:
            sel.append(res.maps.selection.ravel())
    out = {k: float(np.mean([r[k] for r in rows])) for k in ("bpp", "psnr", "mse", "bpp_estimated")}
    out["images"] = rows
    if a_maps:
        a = np.concatenate(a_maps)
        levels, counts = np.unique(np.round(a, 4), return_counts=True)
        out["a"] = {"below_1": float((a < 1 - 1e-6).mean()), "identity": float((np.abs(a - 1) <= 1e-6).mean()),
                    "above_1": float((a > 1 + 1e-6).mean()), "min": float(a.min()), "max": float(a.max()),
                    "median": float(np.median(a)),
                    "histogram": {f"{l:g}": int(c) for l, c in zip(levels, counts)}}
    if sel:
        out["selection_share"] = float(np.concatenate(sel).mean())
    del torch
    return out


def last_log(run: Path) -> dict:
    import csv

    with open(run / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    tail = rows[-4:]  # the last 200 steps at --log-every 50
    return {"train_loss_last200": float(np.mean([float(r["loss"]) for r in tail])),
            "train_bpp_last200": float(np.mean([float(r["bpp"]) for r in tail])),
            "train_psnr_last200": float(np.mean([float(r["psnr"]) for r in tail])),
            "train_seconds": float(rows[-1]["seconds"])}


def print_table(results: dict[str, dict], slope: float, lmbda: float) -> None:
    ref = results.get("scalar-ste", results[f"shipped:{BASE.stem}"])
    print(f"local scalar slope {slope:.3f} dB per ln(bpp) (shipped scalar λ 0.0032 / 0.015 on the same images)")
    print(f"{'run':<40} {'bpp':>6} {'PSNR':>6} {'RD loss':>8} {'ΔR@PSNR':>8} {'train loss':>10} {'A <1 / =1 / >1':>18}")
    for name, r in results.items():
        r["rd_loss"] = lmbda * 255.0 ** 2 * r["mse"] + r["bpp"]
        r["delta_rate_vs_scalar_ste"] = math.exp(math.log(r["bpp"]) - math.log(ref["bpp"])
                                                 - (r["psnr"] - ref["psnr"]) / slope) - 1
        astr = ""
        if "a" in r:
            astr = f"{100 * r['a']['below_1']:.0f}/{100 * r['a']['identity']:.0f}/{100 * r['a']['above_1']:.0f} %"
        tl = f"{r['train_loss_last200']:.4f}" if "train_loss_last200" in r else "-"
        print(f"{name:<40} {r['bpp']:>6.4f} {r['psnr']:>6.2f} {r['rd_loss']:>8.4f} "
              f"{100 * r['delta_rate_vs_scalar_ste']:>+7.1f}% {tl:>10} {astr:>18}")


def merge(paths: list[Path], lmbda: float) -> None:
    """One table from several pilot.json files (evaluation is deterministic: same model, same bytes)."""
    results: dict[str, dict] = {}
    slope = None
    for p in paths:
        d = json.loads(Path(p).read_text())
        slope = slope if slope is not None else d["slope"]
        for name, r in d["results"].items():
            results.setdefault(name, r)
    print(f"merged from {', '.join(str(p) for p in paths)}")
    print_table(results, float(slope), lmbda)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--lambda", dest="lmbda", type=float, default=0.0075)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--images", type=int, default=6, help="first K Kodak images")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--kodak", type=Path, default=KODAK)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "pilot")
    ap.add_argument("--variants", nargs="+", default=DEFAULT, choices=sorted(VARIANTS))
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--merge", type=Path, nargs="+", help="only print one table from these pilot.json files")
    a = ap.parse_args()
    if a.merge:
        merge(a.merge, a.lmbda)
        return
    missing = [p.name for p in (BASE, *SLOPE_MODELS) if not p.is_file()]
    if missing:
        raise SystemExit(f"this pilot starts from the first zoo's models ({', '.join(missing)}), which zoo v2 replaced; "
                         f"restore each with: git show {FIRST_ZOO_COMMIT}:resources/models/NAME > resources/models/NAME")
    import torch

    torch.set_num_threads(1)
    a.out.mkdir(parents=True, exist_ok=True)
    if not a.eval_only:
        train_all(a.variants, a)
    images = sorted(a.kodak.glob("*.png"))[: a.images]
    results: dict[str, dict] = {}
    for ckpt in [BASE, *SLOPE_MODELS]:
        results[f"shipped:{ckpt.stem}"] = evaluate(ckpt, images, a.out / "_files" / ckpt.stem)
    for n in a.variants:
        results[n] = evaluate(a.out / n / "model.pt", images, a.out / "_files" / n) | last_log(a.out / n)
    lo, hi = (results[f"shipped:{p.stem}"] for p in SLOPE_MODELS)
    slope = (hi["psnr"] - lo["psnr"]) / (math.log(hi["bpp"]) - math.log(lo["bpp"]))
    print(f"pilot: {a.steps} steps from {BASE.name}, λ {a.lmbda}, lr {a.lr}, seed {a.seed}, batch 8 of 128², "
          f"1 thread; Kodak {images[0].stem}…{images[-1].stem} ({len(images)} images), real .lvq files")
    print_table(results, slope, a.lmbda)
    (a.out / "pilot.json").write_text(json.dumps({"args": {k: str(v) for k, v in vars(a).items()}, "slope": slope,
                                                  "results": results}, indent=2))
    print(f"→ {a.out / 'pilot.json'}")


if __name__ == "__main__":
    main()
