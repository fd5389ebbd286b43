"""How far the training rate proxy is from the real file, per family and preset: the rate the
network is trained on (``model.train()``: the additive-noise cell, or the hard cell with
``--rate-proxy hard``, as each checkpoint was trained) against the rate of the ``.lvq`` file the
codec writes, on the same images. A family whose proxy undercharges more than another's is
trained towards operating points that cost more in files than it was told (issue 27 §3).

    .venv/bin/python -m experiments.rate_proxy_gap CKPT_OR_ID [...] [--images DIR] [--limit K]

Each variable-rate network is measured at every preset. Images are padded as the codec pads them
(edge replication); the proxy's noise is seeded (seed 0 per image).
"""
from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent

from lvqac_core.api import load_model  # noqa: E402
from lvqac_core.evaluation.evaluate import evaluate_codec, rate_points  # noqa: E402
from lvqac_core.image_files import list_images, load_image  # noqa: E402
from lvqac_core.image_tensors import to_tensor  # noqa: E402


def proxy_bpp(model, images, lmbda) -> float:
    """Mean over ``images`` of the training rate proxy's bits per (unpadded) pixel at ``lmbda``."""
    vals = []
    model.train()
    try:
        with torch.no_grad():
            for path in images:
                rgb = load_image(path).rgb
                h, w = rgb.shape[:2]
                x, _ = to_tensor(rgb)
                torch.manual_seed(0)
                out = model(x, lmbda=lmbda)
                vals.append(float(sum(v.float() for v in out.bits.values())) / (h * w))
    finally:
        model.eval()
    return sum(vals) / len(vals)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", metavar="CKPT_OR_ID")
    ap.add_argument("--images", default=str(ROOT.parent / "shared" / "data" / "kodak"))
    ap.add_argument("--limit", type=int, default=4, help="the first K images (default 4; 0: all)")
    a = ap.parse_args()
    images = list_images(a.images)[: a.limit or None]
    print(f"{len(images)} images ({Path(a.images).name}); proxy = the training rate term, file = the real .lvq")
    print(f"{'model':<44} {'λ':>7} {'proxy bpp':>10} {'file bpp':>9} {'file/proxy':>10}")
    for spec in a.models:
        codec = load_model(spec, "cpu")
        for c in rate_points(codec, spec):
            lam = c.lmbda if codec.model.config.lambdas else None
            proxy = proxy_bpp(codec.model, images, lam)
            point = evaluate_codec(c, images, label=spec)
            real = point.mean("bpp")
            print(f"{Path(spec).stem[:44]:<44} {c.lmbda:>7g} {proxy:>10.4f} {real:>9.4f} {real / proxy:>10.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
