"""Does a *trained* LVQAC network's A head get a gradient that points where its training loss goes?

Shifts the A head's output bias of CHECKPOINT by δ (all positions' t = ln A move together, then
snap to the coder's levels as in training) and prints, on fixed training batches with fixed noise,
the training loss (λ·255²·MSE of the hard values + the rate proxy's bpp) at each δ, its finite
difference, and the gradient training uses at δ = 0 (autograd through the straight-through snap
and the soft-rounding surrogate), split into rate and distortion. A variable-rate checkpoint is
checked at each λ given.

    .venv/bin/python -m experiments.companding_head_gradient CHECKPOINT [--lambdas 0.0016 0.0075 0.045]
        [--batches 2] [--delta 0.1] [--alpha 16]
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent

from lvqac_core.checkpoint import load_checkpoint  # noqa: E402
from lvqac_core.training.data import ImageCropBatches, list_images  # noqa: E402
from lvqac_core.training.trainer import rd_loss  # noqa: E402


def terms(model, x, lmbda: float) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)  # the same rate-proxy noise at every δ
    t = rd_loss(model(x, lmbda=lmbda) if model.config.lambdas else model(x), x, lmbda)
    return {"loss": t["loss"], "bpp": t["bpp"], "D": t["loss"] - t["bpp"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "train"))
    ap.add_argument("--lambdas", type=float, nargs="+", default=None, help="default: the network's presets")
    ap.add_argument("--batches", type=int, default=2, help="training batches of 8 crops of 128²")
    ap.add_argument("--delta", type=float, default=0.1, help="bias shift for the finite difference")
    ap.add_argument("--alpha", type=float, default=None, help="surrogate sharpness (default: the checkpoint's)")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = load_checkpoint(a.checkpoint).float()
    if model.a_head is None:
        sys.exit(f"{a.checkpoint}: no A head (not LVQAC)")
    model.train()
    if a.alpha is not None:
        model.quantizer.a_grad_alpha = a.alpha
    x = torch.cat([ImageCropBatches(list_images(a.data), crop=128, batch_size=8, seed=0).batch(i)
                   for i in range(a.batches)])
    bias = model.a_head.net[-1].bias
    b0 = bias.detach().clone()
    lams = a.lambdas or list(model.config.lambdas) or [model.config.lmbda]
    print(f"{Path(a.checkpoint)}: {x.shape[0]} crops of 128², α {model.quantizer.a_grad_alpha:g}, "
          f"bias shift ±{a.delta:g}; per unit of bias")
    print(f"{'λ':>8} {'loss(-δ)':>9} {'loss(0)':>9} {'loss(+δ)':>9} {'FD dL/db':>9} {'grad dL/db':>10} "
          f"{'FD dR':>8} {'grad dR':>8} {'FD dD':>8} {'grad dD':>8}")
    for lam in lams:
        vals = {}
        for d in (-a.delta, 0.0, a.delta):
            with torch.no_grad():
                bias.copy_(b0 + d)
                vals[d] = {k: float(v) for k, v in terms(model, x, lam).items()}
        with torch.no_grad():
            bias.copy_(b0)
        grads = {}
        for part in ("bpp", "D"):
            model.zero_grad()
            terms(model, x, lam)[part].backward()
            grads[part] = float(bias.grad.sum())
        fd = {k: (vals[a.delta][k] - vals[-a.delta][k]) / (2 * a.delta) for k in ("loss", "bpp", "D")}
        print(f"{lam:>8g} {vals[-a.delta]['loss']:>9.4f} {vals[0.0]['loss']:>9.4f} {vals[a.delta]['loss']:>9.4f} "
              f"{fd['loss']:>+9.4f} {grads['bpp'] + grads['D']:>+10.4f} {fd['bpp']:>+8.4f} {grads['bpp']:>+8.4f} "
              f"{fd['D']:>+8.4f} {grads['D']:>+8.4f}", flush=True)


if __name__ == "__main__":
    main()
