"""How much the zoo's LVQAC models actually compand: per model, the share of latent positions whose
coded A-law parameter is above 1 and the largest A, over a folder of images (default: Kodak).

    .venv/bin/python scripts/a_law_stats.py [IMAGES]
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lvqac_core import zoo  # noqa: E402
from lvqac_core.api import load_model  # noqa: E402
from lvqac_core.evaluation.common import list_images  # noqa: E402
from lvqac_core.image_io import load_image  # noqa: E402


def main() -> None:
    images = list_images(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "kodak")
    rgbs = [load_image(p).rgb for p in images]
    print(f"{len(rgbs)} images; A per latent position as coded (snapped to the model's levels)")
    print(f"{'model':<32} {'positions':>9} {'A > 1':>8} {'max A':>7}")
    for e in zoo.list_models():
        if e.quantizer != "lvqac":
            continue
        codec = load_model(e.id, "cpu")
        maps = [codec.compress(rgb, reconstruction=False).maps.a_law for rgb in rgbs]
        total = sum(a.size for a in maps)
        above = sum(int((a > 1.0).sum()) for a in maps)
        print(f"{e.id:<32} {total:>9} {100 * above / total:>7.1f}% {max(float(a.max()) for a in maps):>7.2f}")


if __name__ == "__main__":
    main()
