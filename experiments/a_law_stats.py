"""How much LVQAC models actually compand: per model, the compander, the share of latent positions
whose coded A is below / at / above the identity (A = 1), and the smallest and largest A, over a
folder of images (default: Kodak). A-law models have A >= 1; exponential-compander models
(``compander: exp``) have A in [1/a_max, a_max], A < 1 being a dead zone.

    .venv/bin/python -m experiments.a_law_stats [IMAGES] [--checkpoints CKPT ...] [--limit K]

Without ``--checkpoints``: every LVQAC model of the zoo. A variable-rate checkpoint is measured at
each of its λ presets (one row per preset).
"""
from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent

from lvqac_core import zoo  # noqa: E402
from lvqac_core.api import Codec, load_model  # noqa: E402
from lvqac_core.checkpoint import load_checkpoint  # noqa: E402
from lvqac_core.image_files import list_images  # noqa: E402
from lvqac_core.evaluation.evaluate import rate_points  # noqa: E402
from lvqac_core.image_files import load_image  # noqa: E402


def codecs(checkpoints: list[str]):
    if checkpoints:
        for c in checkpoints:
            codec = Codec.from_model(load_checkpoint(c), model_id=Path(c).parent.name)
            points = rate_points(codec, c)  # a variable-rate network: one codec per λ preset
            for point in points:
                tag = f" λ={point.lmbda:g}" if len(points) > 1 else f"/{Path(c).name}"
                yield f"{Path(c).parent.name}{tag}", point
        return
    for e in zoo.list_models():
        if e.quantizer == "lvqac":
            yield e.id, load_model(e.id, "cpu")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("images", nargs="?", default=str(ROOT.parent / "shared" / "data" / "kodak"))
    ap.add_argument("--checkpoints", nargs="+", default=[], help="checkpoint files instead of the zoo")
    ap.add_argument("--limit", type=int, default=0, help="use only the first K images")
    a = ap.parse_args()
    images = list_images(a.images)
    if a.limit:
        images = images[: a.limit]
    rgbs = [load_image(p).rgb for p in images]
    print(f"{len(rgbs)} images; A per latent position as coded (snapped to the model's levels; A = 1: identity)")
    print(f"{'model':<36} {'compander':>9} {'positions':>9} {'A < 1':>7} {'A = 1':>7} {'A > 1':>7} {'min A':>7} {'max A':>7}")
    for name, codec in codecs(a.checkpoints):
        q = codec.model.quantizer
        if not q.companded:
            print(f"{name:<36} {'none':>9}  (not an LVQAC model)")
            continue
        a_all = np.concatenate([codec.compress(rgb, reconstruction=False).maps.a_law.ravel() for rgb in rgbs])
        below, above = float((a_all < 1 - 1e-6).mean()), float((a_all > 1 + 1e-6).mean())
        ident = 1.0 - below - above
        print(f"{str(name)[-36:]:<36} {q.compander:>9} {a_all.size:>9} {100 * below:>6.1f}% {100 * ident:>6.1f}% "
              f"{100 * above:>6.1f}% {a_all.min():>7.3f} {a_all.max():>7.3f}")


if __name__ == "__main__":
    main()
