"""Encode/decode time of scalar vs LVQ vs LVQAC with the same backbone weights.

    .venv/bin/python -m benchmarks.codec_speed [--image PATH] [--architecture A] [-N 128 -M 192]
        [--weights CKPT] [--repeats 5] [--threads 2] [--all-architectures]

The backbone (transforms, hyperprior, context) is shared: LVQ and LVQAC models load the same
weights as the scalar model (LVQAC adds only its A head). Runs are interleaved round-robin and
the median is reported, so the ratios compare like with like on a noisy machine. Times are
end to end (analysis, entropy coding, packing, synthesis); metrics are not timed.
"""
from __future__ import annotations

import argparse
import statistics
import warnings
from pathlib import Path

import numpy as np
import torch

warnings.filterwarnings("ignore", category=FutureWarning)
ROOT = Path(__file__).resolve().parent.parent

from lvqac_core.api import Codec  # noqa: E402
from lvqac_core.checkpoint import DERIVED_KEYS, load_checkpoint  # noqa: E402
from lvqac_core.image_files import load_image  # noqa: E402
from lvqac_core.models import ARCHITECTURES, ModelConfig, build_model  # noqa: E402

KODAK = ROOT.parent / "shared" / "data" / "kodak" / "kodim01.png"
SAMPLE = ROOT / "resources" / "samples" / "astronaut.png"


def models_sharing_weights(arch: str, N: int, M: int, weights: str | None):
    if weights:
        base = load_checkpoint(weights)
        arch, N, M = base.config.architecture, base.config.N, base.config.M
    else:
        torch.manual_seed(0)
        base = build_model(ModelConfig(arch, "scalar", N, M))
    state = {k: v for k, v in base.state_dict().items()
             if not k.startswith(("quantizer.", "a_head.")) and k not in DERIVED_KEYS}  # tables: rebuilt by from_model
    out = {}
    for q in ("scalar", "lvq", "lvqac"):
        if q == base.config.quantizer:
            m = base  # the checkpoint's own model: its trained quantizer and A head included
        else:
            torch.manual_seed(0)
            m = build_model(ModelConfig(arch, q, N, M))
            m.load_state_dict(state, strict=False)
        out[q] = Codec.from_model(m, f"{arch}-{q}")
    return arch, N, M, out


def bench(codecs: dict[str, Codec], rgb: np.ndarray, repeats: int) -> dict[str, dict[str, float]]:
    enc = {q: [] for q in codecs}
    dec = {q: [] for q in codecs}
    data = {q: c.compress(rgb).data for q, c in codecs.items()}  # warm-up
    for q, c in codecs.items():
        c.decompress(data[q])
    for _ in range(repeats):
        for q, c in codecs.items():
            r = c.compress(rgb)
            enc[q].append(r.encode_seconds)
            dec[q].append(c.decompress(r.data).decode_seconds)
            data[q] = r.data
    return {q: {"encode": statistics.median(enc[q]), "decode": statistics.median(dec[q]), "bytes": len(data[q])} for q in codecs}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", default=str(KODAK if KODAK.exists() else SAMPLE))
    p.add_argument("--architecture", default="minnen2018-ckbd", choices=sorted(ARCHITECTURES))
    p.add_argument("--all-architectures", action="store_true")
    p.add_argument("-N", type=int, default=128)
    p.add_argument("-M", type=int, default=192)
    p.add_argument("--weights", help="checkpoint whose backbone all three quantizers share")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    rgb = load_image(args.image).rgb
    archs = sorted(ARCHITECTURES) if args.all_architectures else [args.architecture]
    print(f"image {Path(args.image).name} {rgb.shape[1]}x{rgb.shape[0]}, torch {torch.__version__}, "
          f"{args.threads} threads, CPU, median of {args.repeats} interleaved runs")
    print(f"{'architecture':<17} {'N/M':>7} {'quantizer':<8} {'encode s':>9} {'decode s':>9} {'enc vs scalar':>14} {'dec vs scalar':>14}")
    for arch in archs:
        arch, N, M, codecs = models_sharing_weights(arch, args.N, args.M, args.weights)
        res = bench(codecs, rgb, args.repeats)
        s = res["scalar"]
        for q, r in res.items():
            print(f"{arch:<17} {N:>3}/{M:<3} {q:<8} {r['encode']:>9.3f} {r['decode']:>9.3f} "
                  f"{100 * (r['encode'] / s['encode'] - 1):>+13.1f}% {100 * (r['decode'] / s['decode'] - 1):>+13.1f}%")


if __name__ == "__main__":
    main()
