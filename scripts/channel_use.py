"""How much a widened network uses the latent channels it gained (issue 27's warm start).

    .venv/bin/python -m scripts.channel_use CKPT --old-M 64 [--images DIR] [--limit K] [--lambdas a,b,…]

For each λ (default: the network's presets) and image, in eval mode (hard rounding, the model's
own likelihoods, no entropy coder): the share of the latent's estimated bits spent on channels
``old-M`` and above, and what those channels add to the reconstruction: the PSNR with them, and
with them set to their predicted mean μ, as if the network had never gained them (``gain dB``).
A network that learned to use its new channels shows a growing ``gain dB``; one that did not,
≈ 0. Means over the images.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

from lvqac_core.checkpoint import load_checkpoint
from lvqac_core.image_files import list_images, load_rgb
from lvqac_core.image_tensors import to_tensor

ROOT = Path(__file__).resolve().parent.parent


def _psnr(x_hat: torch.Tensor, x: torch.Tensor) -> float:
    mse = float((torch.round(x_hat.clamp(0, 1) * 255) / 255 - x).pow(2).mean())
    return 10 * math.log10(1 / max(mse, 1e-12))


@torch.no_grad()
def channel_use(model, x: torch.Tensor, lmbda: float, old_m: int) -> dict[str, float]:
    """Bits share and PSNR with / without channels ≥ ``old_m`` for one image (1×3×H×W, padded)."""
    gains = model.gains(lmbda)
    y = model.g_a(x)
    if gains is not None:
        y = y * gains[0]
    z_hat, _ = model.entropy_bottleneck(model.h_a(y))
    lat = model.latent_codec.forward(y, model.h_s(z_hat))
    bits = -torch.log2(lat.likelihoods)
    y_hat = lat.y_hat
    without = y_hat.clone()
    without[:, old_m:] = 0.0  # μ of an unused new channel is 0 (widen's start); the decoder's view of "no signal"
    inv = gains[1] if gains is not None else 1.0
    return {
        "new_bits_share": float(bits[:, old_m:].sum() / bits.sum().clamp_min(1e-9)),
        "bpp_new": float(bits[:, old_m:].sum()) / (x.shape[2] * x.shape[3]),
        "psnr": _psnr(model.g_s(y_hat * inv), x),
        "psnr_without": _psnr(model.g_s(without * inv), x),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("--old-M", type=int, required=True, help="latent channels before widening (zoo v2: 64)")
    p.add_argument("--images", default=str(ROOT.parent / "shared" / "data" / "kodak"))
    p.add_argument("--limit", type=int, default=4)
    p.add_argument("--lambdas", default=None, help="comma-separated λ (default: the network's presets)")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    model = load_checkpoint(a.checkpoint).float().eval()
    lambdas = [float(v) for v in a.lambdas.split(",")] if a.lambdas else list(model.config.lambdas) or [None]
    images = [to_tensor(load_rgb(f))[0] for f in list_images(a.images)[: a.limit]]
    print(f"{Path(a.checkpoint).name}: channels {a.old_M}…{model.config.M - 1} of {model.config.M}, "
          f"{len(images)} images")
    print(f"{'λ':>8} {'new bits %':>10} {'bpp new':>8} {'PSNR dB':>8} {'without':>8} {'gain dB':>8}")
    for lam in lambdas:
        rows = [channel_use(model, x, lam, a.old_M) for x in images]
        mean = {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}
        print(f"{lam:>8g} {100 * mean['new_bits_share']:>10.1f} {mean['bpp_new']:>8.4f} {mean['psnr']:>8.2f} "
              f"{mean['psnr_without']:>8.2f} {mean['psnr'] - mean['psnr_without']:>8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
