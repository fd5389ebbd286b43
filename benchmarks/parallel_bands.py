"""Encode and decode time with the transforms' bands side by side against one band, same run.

    .venv/bin/python -m benchmarks.parallel_bands [--model MODEL_ID] [--threads 2] [--repeats 5]
        [--images resources/samples/astronaut.png ...] [--full-hd]

g_a and g_s run on one intra-op thread each (a file and its pixels must not depend on the thread
count: lvqac_core.threads); ``lvqac_core.models.parallel_bands`` runs bands of latent rows side
by side on ``--threads`` worker threads instead. "one band" is the same code with
``parallel_bands.MAX_WORKERS = 1`` (what every release before it ran). Rounds alternate the two,
the medians are printed, and every round checks that the file and the decoded pixels are the
same bytes both ways. Times: ``Codec.compress`` with the reconstruction (no MS-SSIM) and
``Codec.decompress``, as the app runs them; ``--full-hd`` adds astronaut resized to 1920×1080.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from lvqac_core import threads

threads.configure_openmp()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from lvqac_core import api  # noqa: E402
from lvqac_core.models import parallel_bands  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _images(paths: list[str], full_hd: bool) -> dict[str, np.ndarray]:
    out = {Path(p).name: np.asarray(Image.open(p).convert("RGB")) for p in paths}
    if full_hd:
        src = Image.open(ROOT / "resources" / "samples" / "astronaut.png").convert("RGB")
        out["astronaut 1920×1080"] = np.asarray(src.resize((1920, 1080), Image.Resampling.BICUBIC))
    return out


def _time(codec: api.Codec, img: np.ndarray, workers: int) -> tuple[float, float, bytes, bytes]:
    parallel_bands.MAX_WORKERS = workers
    t0 = time.perf_counter()
    res = codec.compress(img, ms_ssim=False)
    t1 = time.perf_counter()
    dec = codec.decompress(res.data)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, res.data, dec.image.tobytes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="zoo model id (default: the zoo's default)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--images", nargs="+", default=[str(ROOT / "resources" / "samples" / "astronaut.png"),
                                                     str(ROOT / "resources" / "samples" / "chelsea.png")])
    ap.add_argument("--full-hd", action="store_true")
    args = ap.parse_args()
    threads.apply(args.threads)
    codec = api.load_model(args.model, device="cpu")
    many = min(args.threads, 8)
    print(f"{codec.model_id}, {args.threads} intra-op threads, median of {args.repeats} interleaved rounds "
          f"(compress with reconstruction, no MS-SSIM; decompress)")
    print(f"{'image':24} {'enc 1 band':>11} {'enc side by side':>17} {'ratio':>6} {'dec 1 band':>11} "
          f"{'dec side by side':>17} {'ratio':>6}")
    for name, img in _images(args.images, args.full_hd).items():
        _time(codec, img, 1)  # warm-up
        _time(codec, img, many)
        times: dict[int, tuple[list[float], list[float]]] = {1: ([], []), many: ([], [])}
        for _ in range(args.repeats):
            outputs = []
            for w in (1, many):
                enc, dec, data, pixels = _time(codec, img, w)
                times[w][0].append(enc)
                times[w][1].append(dec)
                outputs.append((data, pixels))
            assert outputs[0] == outputs[1], f"{name}: bands side by side changed the file or the pixels"
        e1, d1 = (statistics.median(v) for v in times[1])
        en, dn = (statistics.median(v) for v in times[many])
        print(f"{name:24} {e1:10.3f}s {en:16.3f}s {en / e1:6.2f} {d1:10.3f}s {dn:16.3f}s {dn / d1:6.2f}")
    print("(same file and same pixels both ways in every round)")


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()
