"""What each part of an API compress costs: everything (default) vs no MS-SSIM vs file only.

    python -m benchmarks.compress_options [--model ID] [--sizes 768x512,1920x1080] [--repeats 5] [--threads 1]

Runs are interleaved round-robin (median of --repeats), so the ratios compare like with like on a
noisy machine. The three variants write byte-identical files (checked here).
"""
from __future__ import annotations

import argparse

import torch

from benchmarks.bench_common import interleaved, parse_size, sample_image
from lvqac_core.api import load_model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="zoo id or checkpoint (default: the zoo's default)")
    p.add_argument("--sizes", default="768x512,1920x1080")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    codec = load_model(args.model, "cpu")
    variants = {
        "default (recon + PSNR + MS-SSIM)": {},
        "ms_ssim=False (recon + PSNR)": {"ms_ssim": False},
        "reconstruction=False (file only)": {"reconstruction": False},
    }
    print(f"model {codec.model_id}, torch {torch.__version__}, {args.threads} thread(s), CPU, "
          f"median of {args.repeats} interleaved runs; wall seconds of Codec.compress")
    for size in args.sizes.split(","):
        w, h = parse_size(size)
        rgb = sample_image(w, h)
        datas = {codec.compress(rgb, **kw).data for kw in variants.values()}  # warm-up
        assert len(datas) == 1, "variants wrote different files"
        med = interleaved({k: (lambda kw=kw: codec.compress(rgb, **kw) and None) for k, kw in variants.items()},
                          args.repeats)
        base = med[next(iter(variants))]
        for k, t in med.items():
            print(f"{w}x{h:<5} {k:<34} {t:>7.3f} s  {t / base:>5.2f}x")


if __name__ == "__main__":
    main()
