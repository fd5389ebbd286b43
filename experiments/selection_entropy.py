"""How much coding the lattice selection bits can save (issue 8 §3).

For each image: how many selection bits the model writes (one per channel group and latent
position, stored raw at 1 bit each), the share of ones (codebook Z^n + ½), their empirical entropy
H(p) in bits per bit (what a coder with the image's best constant probability would spend), the
raw selection section's share of the file and the saving H(p) would bring on the whole file.

The summary adds two pooled figures over all images: H with one constant probability for all
images, and H(selection | s), s = the position's mean log σ of the hyperprior-only pass (8 equal-
count bins): a feature the decoder has before any y symbol, i.e. a crude version of what a
selection head can condition on (a plug-in estimate on the same data, 8 bins, so barely
optimistic).

    .venv/bin/python -m experiments.selection_entropy [IMAGES ...] [--model ID] [--threads 1]

Default: kodim01.png of the Kodak folder and the zoo's LVQ model at λ = 0.0075.
"""
from __future__ import annotations

import argparse
import math
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent

import torch  # noqa: E402

from lvqac_core.api import load_model  # noqa: E402
from lvqac_core.image_files import load_image  # noqa: E402
from lvqac_core.image_tensors import to_tensor  # noqa: E402


def binary_entropy(p: float) -> float:
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log2(p) + (1.0 - p) * math.log2(1.0 - p))


def conditional_entropy(bits: np.ndarray, feature: np.ndarray, bins: int = 8) -> float:
    """H(bits | feature quantized to ``bins`` equal-count bins), bits per bit."""
    edges = np.quantile(feature, np.linspace(0, 1, bins + 1)[1:-1])
    which = np.searchsorted(edges, feature)
    total = 0.0
    for b in range(bins):
        sel = bits[which == b]
        if sel.size:
            total += sel.size * binary_entropy(float(sel.mean()))
    return total / bits.size


@torch.inference_mode()
def code_image(model, path: str):
    """(selection bits (G, h, w), hyper-only mean log σ per position (h, w), file bits of the latent)."""
    x, _ = to_tensor(load_image(path).rgb)
    code = model.compress_tensor(x, reconstruct=False)
    y = model.analysis(x)
    z_hat, _ = model.entropy_bottleneck(model.h_a(y), training=False)
    hyper = model.h_s(z_hat)
    lc = model.latent_codec
    params = hyper
    if lc.context is not None:  # the anchors' pass: hyper and a zero context
        params = lc.entropy_parameters(torch.cat([hyper, torch.zeros_like(hyper)], 1))
    sigma = lc.split(params)[1]
    feature = torch.log(sigma).mean(dim=1)[0].numpy()
    bits = sum(8 * len(s) for s in code.sections.values())
    return code.maps.selection, feature, bits, 8 * len(code.sections.get("selection", b""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("images", nargs="*", default=["../shared/data/kodak/kodim01.png"])
    ap.add_argument("--model", default="minnen2018-ckbd-lvq-0.0075")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.model, "cpu").model
    print(f"model {args.model} (sections' bits, without the container header)")
    print(f"{'image':<14}{'bits':>8}{'ones':>8}{'H(p)':>8}{'sel/file':>10}{'saving':>9}")
    all_bits, all_feat, file_total = [], [], 0
    for path in args.images:
        sel, feat, file_bits, raw_bits = code_image(model, path)
        n = int(sel.size)
        p = float(sel.mean())
        h = binary_entropy(p)
        print(f"{Path(path).name:<14}{n:>8}{p:>8.3f}{h:>8.3f}{raw_bits / file_bits:>9.2%}{(1 - h) * n / file_bits:>9.2%}")
        all_bits.append(sel.reshape(sel.shape[0], -1))
        all_feat.append(np.broadcast_to(feat.reshape(1, -1), (sel.shape[0], feat.size)))
        file_total += file_bits
    bits = np.concatenate([b.ravel() for b in all_bits]).astype(np.float64)
    feat = np.concatenate([f.ravel() for f in all_feat])
    n = bits.size
    h_per_image = sum(b.size * binary_entropy(float(b.mean())) for b in all_bits) / n
    h_pooled = binary_entropy(float(bits.mean()))
    h_cond = conditional_entropy(bits, feat)
    print(f"all {len(args.images)} images: {n} bits, raw {n / file_total:.2%} of the sections' bits")
    for name, h in (("one constant p for all images", h_pooled), ("the best constant p per image", h_per_image),
                    ("p given the hyperprior's mean log σ (8 bins)", h_cond)):
        print(f"  {name:<46} {h:.3f} bit/bit, saving {(1 - h) * n / file_total:.2%} of the file")


if __name__ == "__main__":
    main()
