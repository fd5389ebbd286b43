"""What an LVQAC network's companding is worth: the same network coded with its own per-position A
and with A forced to the identity (the A head's last convolution zeroed, so A = 1 everywhere and
the quantizer is plain LVQ on the same weights), at each λ preset, on real files; then the BD-rate
of the identity against the network's own A (negative: the companding costs rate).

    .venv/bin/python -m experiments.companding_ablation CHECKPOINT [IMAGES] [--limit K] [--below]

``--below`` adds a third curve: the same weights with the A levels kept at or below the identity
(``a_side="below"``: the head's A > 1 codes as A = 1, its dead zones stay), and its BD-rate
against the network's own A: what the companding's dead zones alone are worth.

Only for the exponential compander (``compander: exp``), whose head gives A = 1 exactly at zero
output; the paper's A-law head cannot reach A = 1 (A = 1 + softplus).
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent

from lvqac_core.api import Codec  # noqa: E402
from lvqac_core.checkpoint import load_checkpoint  # noqa: E402
from lvqac_core.models import with_quantizer_options  # noqa: E402
from lvqac_core.evaluation.bdrate import bd_rate  # noqa: E402
from lvqac_core.image_files import list_images  # noqa: E402
from lvqac_core.evaluation.evaluate import evaluate_codec, rate_points  # noqa: E402


def curve(model, images, tag: str) -> list:
    codec = Codec.from_model(model, model_id=tag)
    return [evaluate_codec(c, images, label=f"{tag} λ={c.lmbda:g}") for c in rate_points(codec, tag)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("images", nargs="?", default=str(ROOT.parent / "shared" / "data" / "kodak"))
    ap.add_argument("--limit", type=int, default=0, help="use only the first K images")
    ap.add_argument("--below", action="store_true", help="also code with the A levels kept ≤ 1 (dead zones only)")
    a = ap.parse_args()
    images = list_images(a.images)[: a.limit or None]
    model = load_checkpoint(a.checkpoint)
    if model.a_head is None or model.a_head.mode != "exp":
        sys.exit(f"{a.checkpoint}: not an LVQAC network with the exponential compander")
    own = curve(model, images, "own A")
    below = None
    if a.below:
        below = curve(with_quantizer_options(model, a_side="below", a_levels=9), images, "A <= 1")
    with torch.no_grad():
        model.a_head.net[-1].weight.zero_()
        model.a_head.net[-1].bias.zero_()  # exp(ln a_max · tanh(0)) = 1
    model.update()
    identity = curve(model, images, "A = 1")
    print(f"{Path(a.checkpoint)}: {len(images)} images ({Path(a.images).name}), real files")
    print(f"{'λ':>8} {'own A bpp':>10} {'PSNR':>7} {'A=1 bpp':>9} {'PSNR':>7}")
    for p, q in zip(own, identity):
        print(f"{p.extra.get('lambda', float('nan')):>8g} {p.mean('bpp'):>10.4f} {p.mean('psnr'):>7.2f} "
              f"{q.mean('bpp'):>9.4f} {q.mean('psnr'):>7.2f}")
    rates = lambda pts: [p.mean("bpp") for p in pts]  # noqa: E731
    psnrs = lambda pts: [p.mean("psnr") for p in pts]  # noqa: E731
    print(f"BD-rate of A = 1 against the network's own A: {bd_rate(rates(own), psnrs(own), rates(identity), psnrs(identity)):+.2f} %")
    if below is not None:
        for p in below:
            print(f"A ≤ 1  λ {p.extra.get('lambda', float('nan')):g}: {p.mean('bpp'):.4f} bpp {p.mean('psnr'):.2f} dB")
        print(f"BD-rate of A ≤ 1 against the network's own A: {bd_rate(rates(own), psnrs(own), rates(below), psnrs(below)):+.2f} %")
        print(f"BD-rate of A ≤ 1 against A = 1: {bd_rate(rates(identity), psnrs(identity), rates(below), psnrs(below)):+.2f} %")


if __name__ == "__main__":
    main()
