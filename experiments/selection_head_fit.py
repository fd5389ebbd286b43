"""Fit a selection head to a trained lattice model (backbone frozen) and measure the real files.

Takes a model trained with raw selection bits, adds the selection head of
``selection_coding = "rans"`` (docs/latent_codecs.md) and trains only the head on the hard
selections the model's coder makes on training images (the same term the trainer adds, head-only).
Then codes the test images with the raw and the coded model and prints file sizes: what the head
buys at fixed weights. Joint training (``lvqac train --selection-coding rans``) can also move h_s.

    .venv/bin/python -m experiments.selection_head_fit [--model ID] [--train DIR] [--images 830]
        [--steps 3000] [--test IMAGES ...]

Default: the zoo's LVQ λ 0.0075 model, the first 830 images of ../shared/data/train, Kodak.
"""
from __future__ import annotations

import argparse
import glob
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent

import torch  # noqa: E402

from lvqac_core.api import Codec, load_model  # noqa: E402
from lvqac_core.checkpoint import DERIVED_KEYS  # noqa: E402
from lvqac_core.entropy.binary import selection_bits  # noqa: E402
from lvqac_core.image_files import load_image  # noqa: E402
from lvqac_core.image_tensors import to_tensor  # noqa: E402
from lvqac_core.models import ModelConfig, build_model  # noqa: E402


@torch.inference_mode()
def hyper_and_selection(model, path: str) -> tuple[torch.Tensor, torch.Tensor]:
    """h_s(ẑ) and the coder's hard selection (as the eval-mode pass computes it) for one image."""
    x, _ = to_tensor(load_image(path).rgb)
    y = model.analysis(x)
    z_hat, _ = model.entropy_bottleneck(model.h_a(y), training=False)
    hyper = model.h_s(z_hat)
    lc = model.latent_codec
    _, _, sel = lc.forward_params(y, hyper, lc.a_map(hyper))
    return hyper.clone(), sel.clone()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="minnen2018-ckbd-lvq-0.0075")
    ap.add_argument("--train", default="../shared/data/train")
    ap.add_argument("--images", type=int, default=830)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--test", nargs="*", default=sorted(glob.glob("../shared/data/kodak/*.png")))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    raw = load_model(args.model, "cpu").model
    cfg = raw.config.to_dict()
    cfg["quantizer_options"] = {**cfg["quantizer_options"], "selection_coding": "rans"}
    coded = build_model(ModelConfig.from_dict(cfg))
    state = {k: v for k, v in raw.state_dict().items() if k not in DERIVED_KEYS}
    missing, unexpected = coded.load_state_dict(state, strict=False)
    missing = [k for k in missing if k not in DERIVED_KEYS]
    assert not unexpected and all(k.startswith("selection_head.") for k in missing), (missing, unexpected)
    coded.eval()

    t0 = time.time()
    files = sorted(glob.glob(str(Path(args.train) / "*")))[: args.images]
    data = [hyper_and_selection(raw, f) for f in files]
    hyper = torch.cat([d[0] for d in data])
    sel = torch.cat([d[1] for d in data])
    print(f"{len(files)} training images: {sel.numel()} selection bits, ones {float(sel.float().mean()):.3f} "
          f"({time.time() - t0:.0f} s)")

    head = coded.selection_head
    opt = torch.optim.Adam(head.parameters(), lr=args.lr)
    g = torch.Generator().manual_seed(args.seed)
    head.train()
    for step in range(args.steps):
        idx = torch.randint(0, hyper.shape[0], (args.batch,), generator=g)
        loss = selection_bits(sel[idx], head(hyper[idx])) / sel[idx].numel()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % max(1, args.steps // 5) == 0:
            with torch.no_grad():
                full = float(selection_bits(sel, head(hyper))) / sel.numel()
            print(f"  step {step + 1}: {full:.3f} bit per selection bit on the training images")
    head.eval()
    coded.update()

    a, b = Codec.from_model(raw, args.model), Codec.from_model(coded, args.model + "+sel")
    tot_raw = tot_coded = sel_raw = sel_coded = n_bits = 0
    for i, path in enumerate(args.test):
        ra = a.compress(path, reconstruction=False)
        rb = b.compress(path, reconstruction=False)
        if i == 0:  # the coded file decodes to the raw model's image, bit for bit
            assert np.array_equal(b.decompress(rb.data).image, a.decompress(ra.data).image)
        tot_raw += len(ra.data)
        tot_coded += len(rb.data)
        sel_raw += ra.section_bytes["selection"]
        sel_coded += rb.section_bytes["selection"]
        n_bits += int(ra.maps.selection.size)
    print(f"{len(args.test)} test images: {n_bits} selection bits; selection sections {sel_raw} B raw → "
          f"{sel_coded} B coded ({8 * sel_coded / n_bits:.3f} bit per bit); files {tot_raw} B → {tot_coded} B "
          f"({(tot_coded - tot_raw) / tot_raw:+.2%})")


if __name__ == "__main__":
    main()
