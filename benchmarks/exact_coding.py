"""What format 2's exact coding networks cost against format 1's float ones, in time and in rate.

    .venv/bin/python -m benchmarks.exact_coding [--images DIR] [--count 4] [--rounds 5] [--threads 1]

For each zoo network (scalar, LVQ, LVQAC at λ 0.0075) and each image (the first ``--count``
Kodak images, else the bundled samples), the image is coded both ways (``exact=False`` is how
format 1 evaluated h_s, the context, the entropy parameters and the heads) and decoded both ways,
round-robin; printed: the total bytes of each way and the median over rounds of the decode-time
ratio exact / float (analysis + synthesis included, as a user's decode runs them), and the same
for encode.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
KODAK = ROOT.parent / "shared" / "data" / "kodak"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", default=str(KODAK if KODAK.is_dir() else ROOT / "resources" / "samples"))
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    import torch
    from PIL import Image

    from lvqac_core import api
    from lvqac_core.image_tensors import to_tensor

    torch.set_num_threads(a.threads)
    paths = sorted(p for p in Path(a.images).iterdir() if p.suffix.lower() == ".png")[:a.count]
    images = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    print(f"{len(images)} images from {a.images}, {a.rounds} rounds, {a.threads} thread(s)")
    print()
    print("| network | bytes float | bytes exact | rate | encode exact/float | decode exact/float |")
    print("|---|---:|---:|---:|---:|---:|")
    for family in ("scalar", "lvq", "lvqac"):
        model = api.load_model(f"minnen2018-ckbd-{family}-0.0075", device="cpu").model
        xs = [to_tensor(img, as_float=False)[0] for img in images]
        size = {False: 0, True: 0}
        ratios = {"encode": [], "decode": []}
        for r in range(a.rounds):
            secs = {(s, e): 0.0 for s in ("encode", "decode") for e in (False, True)}
            for x, img in zip(xs, images):
                for exact in ((False, True) if r % 2 == 0 else (True, False)):
                    t0 = time.perf_counter()
                    code = model.compress_tensor(x, reconstruct=False, bits_map=False, exact=exact)
                    secs[("encode", exact)] += time.perf_counter() - t0
                    t0 = time.perf_counter()
                    model.decompress_tensor(code.sections, code.latent_hw, code.hyper_hw, code.symbols_crc32,
                                            out_hw=img.shape[:2], bits_map=False, exact=exact)
                    secs[("decode", exact)] += time.perf_counter() - t0
                    if r == 0:
                        size[exact] += sum(len(s) for s in code.sections.values())
            for stage in ratios:
                ratios[stage].append(secs[(stage, True)] / secs[(stage, False)])
        print(f"| {family} | {size[False]} | {size[True]} | {100 * (size[True] / size[False] - 1):+.3f} % | "
              f"{statistics.median(ratios['encode']):.3f} | {statistics.median(ratios['decode']):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
