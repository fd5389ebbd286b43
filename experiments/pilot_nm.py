"""Pilot for issue 8 §6: which transform width (N, M) to train the zoo at, at equal wall time.

Each arm trains the scalar straight-through model from scratch at λ = 0.0075 (same seed, data, crop,
batch, learning rate, one thread), all arms at once so that they share the machine's load equally,
each stopped by the same ``--max-minutes``. Then every arm's final ``model.pt`` codes the Kodak images
to real ``.lvq`` files (``lvqac eval``) and the table compares bpp, PSNR and the training objective
J = bpp + λ·255²·MSE on Kodak (one λ, so J ranks the arms without a curve fit), with the weight size
at fp16 (the zoo must fit 48 MB with one network per quantizer family: three networks).

    .venv/bin/python -m experiments.pilot_nm --out ../runs/pilot-nm --minutes 60         # train + eval
    .venv/bin/python -m experiments.pilot_nm --out ../runs/pilot-nm --eval-only           # eval again

Results: OUT/pilot_nm.json and a printed table.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "train"
KODAK = ROOT.parent / "shared" / "data" / "kodak"
ARMS = ((48, 64), (96, 128), (128, 192))


def arm_dir(out: Path, n: int, m: int) -> Path:
    return out / f"n{n}-m{m}"


def train_command(a: argparse.Namespace, n: int, m: int) -> list[str]:
    return [sys.executable, "-m", "lvqac_core.training", "--data", str(a.data), "--out", str(arm_dir(a.out, n, m)),
            "--architecture", "minnen2018-ckbd", "--quantizer", "scalar", "--lambda", str(a.lmbda),
            "-N", str(n), "-M", str(m), "--steps", "200000", "--decay-step", "0", "--lr", "3e-4", "--crop", "128",
            "--batch-size", "8", "--threads", "1", "--checkpoint-minutes", "5", "--max-minutes", str(a.minutes),
            "--seed", str(a.seed), "--log-every", "25", "--no-progress", "--json"]


def train(a: argparse.Namespace) -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    procs = []
    for n, m in ARMS:
        d = arm_dir(a.out, n, m)
        d.mkdir(parents=True, exist_ok=True)
        with open(d / "stdout.txt", "w") as so, open(d / "stderr.txt", "w") as se:
            procs.append(subprocess.Popen(["nice", "-n", str(a.nice), *train_command(a, n, m)], stdout=so, stderr=se,
                                          env=env))
    codes = [p.wait() for p in procs]
    if any(codes):
        raise SystemExit(f"a training arm failed (exit codes {codes}); see OUT/*/stderr.txt")


def summary(d: Path) -> dict:
    s = json.loads((d / "summary.json").read_text())
    return {"steps": s["step"], "wall_seconds": s["wall_seconds"]}


def evaluate(a: argparse.Namespace) -> list[dict]:
    import torch

    models = {arm_dir(a.out, n, m).name: arm_dir(a.out, n, m) / "model.pt" for n, m in ARMS}
    cmd = [sys.executable, "-m", "lvqac_core.cli", "eval", str(a.kodak), "--model", *map(str, models.values()),
           "--json", "--quiet"]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True,
                                    env=dict(os.environ, PYTHONPATH=str(ROOT))).stdout)
    points = {p["label"]: p for c in res["curves"] for p in c["points"]}
    rows = []
    for n, m in ARMS:
        label = arm_dir(a.out, n, m).name
        point = points[label]
        mse = sum(10 ** (-s["psnr"] / 10) for s in point["per_image"]) / len(point["per_image"])  # of [0,1] pixels
        sd = torch.load(models[label], map_location="cpu", weights_only=False)["state_dict"]
        params = sum(t.numel() for k, t in sd.items() if torch.is_floating_point(t))
        rows.append({"N": n, "M": m, **summary(arm_dir(a.out, n, m)), "bpp": point["bpp"], "psnr": point["psnr"],
                     "J": point["bpp"] + a.lmbda * 255.0 ** 2 * mse, "fp16_MB": 2 * params / 1e6})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "pilot-nm")
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--kodak", type=Path, default=KODAK)
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--lambda", dest="lmbda", type=float, default=0.0075)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nice", type=int, default=15)
    p.add_argument("--eval-only", action="store_true")
    a = p.parse_args()
    if not a.eval_only:
        train(a)
    rows = evaluate(a)
    (a.out / "pilot_nm.json").write_text(json.dumps(rows, indent=2))
    print(f"{'N':>4} {'M':>4} {'steps':>6} {'wall s':>7} {'bpp':>7} {'PSNR':>7} {'J':>7} {'fp16 MB':>8}")
    for r in rows:
        print(f"{r['N']:>4} {r['M']:>4} {r['steps']:>6} {r['wall_seconds']:>7.0f} {r['bpp']:>7.4f} {r['psnr']:>7.2f} "
              f"{r['J']:>7.4f} {r['fp16_MB']:>8.1f}")


if __name__ == "__main__":
    main()
