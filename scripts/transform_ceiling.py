"""The transforms' ceiling: PSNR of g_s(g'(λ)·g(λ)·g_a(x)) with no quantization at all, per model.

No quantizer can code better than this: when a model's coded PSNR at its highest λ sits at this
ceiling, more rate cannot help and the limit is the transforms (their width, or training that
taught them to discard detail), not the quantizer.

    .venv/bin/python -m scripts.transform_ceiling CKPT [CKPT ...] [--images DIR] [--limit K]

A variable-rate checkpoint is measured at each λ preset; the reconstruction is rounded to 8 bits
as a decoded file would be.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent

from lvqac_core.checkpoint import load_checkpoint  # noqa: E402
from lvqac_core.image_files import list_images  # noqa: E402
from lvqac_core.geometry import pad_amounts  # noqa: E402
from lvqac_core.image_files import load_rgb  # noqa: E402


def ceiling_psnr(model, rgb: np.ndarray, lmbda=None) -> float:
    h, w = rgb.shape[:2]
    pb, pr = pad_amounts(h, w)
    x = torch.from_numpy(np.pad(rgb, ((0, pb), (0, pr), (0, 0)), mode="edge").copy()).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        y = model.g_a(x)
        gains = model.gains(lmbda) if model.gain is not None else None
        if gains is not None:
            y = y * gains[0] * gains[1]
        x_hat = model.g_s(y).clamp(0, 1)[..., :h, :w]
    mse = float((torch.round(x_hat * 255) / 255 - x[..., :h, :w]).pow(2).mean())
    return 10 * math.log10(1 / mse)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--images", default=str(ROOT.parent / "shared" / "data" / "kodak"))
    ap.add_argument("--limit", type=int, default=0, help="only the first K images")
    a = ap.parse_args()
    torch.set_num_threads(1)
    files = list_images(a.images)[: a.limit or None]
    rgbs = [load_rgb(f) for f in files]
    print(f"{len(rgbs)} images; mean PSNR (dB) of the unquantized latent through g_s")
    for ckpt in a.checkpoints:
        model = load_checkpoint(ckpt, "cpu").eval()
        lams = model.config.lambdas or [None]
        for lam in lams:
            p = float(np.mean([ceiling_psnr(model, rgb, lam) for rgb in rgbs]))
            tag = f" λ={lam:g}" if lam is not None else ""
            print(f"{Path(ckpt).parent.name}/{Path(ckpt).name}{tag}: {p:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
