"""Does the training gradient w.r.t. the companding parameter point where the loss goes?

For an LVQAC model (exponential compander) built on the backbone of CKPT, with a constant
A = e^t everywhere (the A head's bias set, its weights zero), on fixed training batches and fixed
noise: the training loss, its rate (bpp) and distortion (λ·255²·MSE) terms at several t, and the
gradients dbpp/dt and dD/dt that training would use, for several soft-rounding sharpnesses α of
the distortion surrogate (``a_grad_alpha``). Compare dD/dt with the finite differences of D.

    .venv/bin/python -m experiments.companding_gradient_check [--init CKPT] [--lambda 0.0075]
        [--batches 2] [--t -0.7 0 0.7] [--alpha 1 4 16 32]
"""
from __future__ import annotations

import argparse
import math
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent

from lvqac_core.models import ModelConfig, build_model  # noqa: E402
from lvqac_core.training.data import ImageCropBatches, list_images  # noqa: E402
from lvqac_core.training.trainer import load_init_weights, rd_loss  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # default: the first zoo's scalar λ 0.0075 model, replaced by zoo v2; restore it with
    # git show faa1e24:resources/models/minnen2018-ckbd-scalar-0.0075.pt > resources/models/minnen2018-ckbd-scalar-0.0075.pt
    ap.add_argument("--init", default=str(ROOT / "resources" / "models" / "minnen2018-ckbd-scalar-0.0075.pt"))
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "train"))
    ap.add_argument("--lambda", dest="lmbda", type=float, default=0.0075)
    ap.add_argument("--batches", type=int, default=2, help="training batches of 8 crops of 128²")
    ap.add_argument("--t", type=float, nargs="+", default=[-0.7, 0.0, 0.7], help="values of t = ln A")
    ap.add_argument("--alpha", type=float, nargs="+", default=[1.0, 4.0, 16.0, 32.0])
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    payload = torch.load(a.init, map_location="cpu", weights_only=True)
    cfg = payload["config"]
    model = build_model(ModelConfig(cfg["architecture"], "lvqac", N=cfg["N"], M=cfg["M"],
                                    quantizer_options={"compander": "exp"}))
    load_init_weights(model, a.init)
    model.train()
    ds = ImageCropBatches(list_images(a.data), crop=128, batch_size=8, seed=0)
    x = torch.cat([ds.batch(i) for i in range(a.batches)])
    bias = model.a_head.net[2].bias
    log_max = math.log(model.quantizer.a_max)
    print(f"{Path(a.init).name}, λ {a.lmbda}, {x.shape[0]} crops of 128², constant A = e^t, fixed noise")
    print(f"{'t':>6} {'alpha':>6} {'loss':>8} {'bpp':>8} {'D':>8} {'dbpp/dt':>9} {'dD/dt':>9}")
    for t in a.t:
        with torch.no_grad():
            bias.fill_(math.atanh(t / log_max))
        dt_dbias = log_max * (1 - (t / log_max) ** 2)
        for alpha in a.alpha:
            model.quantizer.a_grad_alpha = alpha
            grads, vals = {}, {}
            for part in ("bpp", "D"):
                torch.manual_seed(0)
                model.zero_grad()
                terms = rd_loss(model(x), x, a.lmbda)
                v = terms["bpp"] if part == "bpp" else terms["loss"] - terms["bpp"]
                v.backward()
                vals[part], grads[part] = float(v.detach()), float(bias.grad) / dt_dbias
            print(f"{t:>+6.2f} {alpha:>6g} {vals['bpp'] + vals['D']:>8.4f} {vals['bpp']:>8.4f} {vals['D']:>8.4f} "
                  f"{grads['bpp']:>+9.4f} {grads['D']:>+9.4f}", flush=True)


if __name__ == "__main__":
    main()
