"""Swap a CompressAI model's scalar quantizer for LVQ / LVQAC (A = 1) at inference, on Kodak.

    python -m experiments.compressai_lvq_swap --model ~/.cache/torch/hub/checkpoints/mbt2018-mean-3-*.pth.tar \
        --images ../shared/data/kodak --limit 4
    python -m experiments.compressai_lvq_swap --random mbt2018-mean --images ../shared/data/kodak --limit 4

``--model`` may also name one of our scalar checkpoints or zoo ids (e.g. the zoo's scalar
minnen2018-ckbd network): the same swap on a network that was trained, the closest stand-in for a
pretrained CompressAI file on a machine without one. ``--random ARCH`` builds CompressAI's own class with random weights (seeded; N=128, M=192 unless
given), saved in the hub-cache form: the figures then show the method, not a pretrained model's
quality. Prints a table (mean bpp, PSNR of the decoded images, and the change against scalar) and
writes JSON with ``-o``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

RANDOM = {"mbt2018-mean": "MeanScaleHyperprior", "bmshj2018-hyperprior": "ScaleHyperprior",
          "mbt2018": "JointAutoregressiveHierarchicalPriors", "cheng2020-anchor": "Cheng2020Anchor"}


def random_file(arch: str, N: int, M: int, seed: int, folder: Path) -> Path:
    import lvqac_core.compressai_parts  # noqa: F401  (CompressAI without its heavy package init)
    import compressai.models as cm

    torch.manual_seed(seed)
    cls = getattr(cm, RANDOM[arch])
    model = cls(N) if arch.startswith("cheng") else cls(N, M)
    model.update(force=True)
    path = folder / f"{arch}-random-seed{seed}.pth.tar"
    torch.save(model.state_dict(), path)
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--model", help="a CompressAI weights file, or a scalar LVQAC checkpoint / zoo id "
                                   "(the same swap on a network trained here)")
    g.add_argument("--random", choices=sorted(RANDOM), help="CompressAI's class with random weights")
    p.add_argument("-N", type=int, default=128)
    p.add_argument("-M", type=int, default=192)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save-random", default=None, metavar="FILE.pth.tar",
                   help="keep the --random model's file here (e.g. as a train --init to time fine-tuning)")
    p.add_argument("--images", required=True, help="folder of images (e.g. Kodak)")
    p.add_argument("--limit", type=int, default=0, help="first K images only (0: all)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("-o", "--output", default=None, help="write the rows as JSON")
    args = p.parse_args(argv)

    from lvqac_core.image_files import list_images
    from lvqac_core.interop.quantizer_swap import swap_experiment

    torch.set_num_threads(args.threads)
    images = list_images(args.images)
    if args.limit:
        images = images[:args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            from lvqac_core import zoo
            path = zoo.get_entry(args.model).path if zoo.names_zoo_model(args.model) else Path(args.model)
        else:
            path = random_file(args.random, args.N, args.M, args.seed, Path(tmp))
            if args.save_random:
                Path(args.save_random).write_bytes(path.read_bytes())
        t0 = time.perf_counter()
        rows = swap_experiment(path, images, progress=lambda m: print(m, file=sys.stderr))
        seconds = time.perf_counter() - t0
    base = rows[0]
    print(f"{path.name}: {len(images)} images from {args.images}, {seconds:.0f} s on {args.threads} thread(s)")
    print(f"{'quantizer':<10}{'bpp':>9}{'PSNR dB':>9}{'Δbpp %':>9}{'ΔPSNR dB':>10}  decoded = encoder's")
    for r in rows:
        dr = 100 * (r.mean_bpp / base.mean_bpp - 1) if base.mean_bpp else float("nan")
        print(f"{r.quantizer:<10}{r.mean_bpp:>9.4f}{r.mean_psnr:>9.2f}{dr:>+9.1f}{r.mean_psnr - base.mean_psnr:>+10.2f}"
              f"  {r.decode_matches}")
    if args.output:
        Path(args.output).write_text(json.dumps({"model": str(path.name), "images": [i.name for i in images],
                                                 "seconds": seconds, "threads": args.threads,
                                                 "rows": [r.to_json() for r in rows]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
