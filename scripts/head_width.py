"""How narrow can LVQAC's two heads be? Distil them into narrower ones and measure Kodak and time.

The A head and the selection head are each a 3x3 convolution from the 2M hyper channels to
``hidden`` = 64 channels, then one to the output: about 4-5 % of a one-thread decode of the zoo's
network (docs/speed.md, "LVQAC's own cost"). This experiment fits heads of a smaller ``hidden`` to
the shipped heads' outputs (the A head's pre-activation h and the selection logits, MSE) on hyper
features of centre crops of training images, one of the six paper λ per image, with the rest of
the network frozen; then it codes Kodak with the shipped and the narrow heads at three λ (real
files: bpp of the file, PSNR of the decoded image) and times each width's A head alone on a
1920x1080 image's hyper features (one thread, median). Nothing here changes the zoo.

    .venv/bin/python -m scripts.head_width [--hidden 16,8] [--images 120] [--steps 3000]
        [--train ../shared/data/train] [--kodak ../shared/data/kodak] [--json out.json]
        [--write narrow.pt]

``--write PATH`` (one width in ``--hidden``) also saves the network with the distilled heads as a
checkpoint (fp16, the zoo's precision; its config records ``head_hidden`` and the distillation in
``provenance``, and it keeps the source file's training record), for ``lvqac eval`` and the zoo
tools. It refuses to overwrite a file.
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from lvqac_core import zoo  # noqa: E402
from lvqac_core.api import load_model  # noqa: E402
from lvqac_core.checkpoint import DERIVED_KEYS, file_sha256, read_checkpoint, save_checkpoint  # noqa: E402
from lvqac_core.models import ModelConfig, build_model  # noqa: E402
from lvqac_core.models.latent_codecs.base import AHead  # noqa: E402
from lvqac_core.models.latent_codecs.selection import SelectionHead  # noqa: E402

PAPER_LAMBDAS = (0.0016, 0.0032, 0.0075, 0.015, 0.03, 0.045)
EVAL_LAMBDAS = (0.0016, 0.0075, 0.045)


def crops(train: str, count: int, size: int = 256):
    for path in sorted(glob.glob(str(Path(train) / "*")))[:count]:
        with Image.open(path) as im:
            im = im.convert("RGB")
            w, h = im.size
            if w < size or h < size:
                continue
            box = ((w - size) // 2, (h - size) // 2, (w - size) // 2 + size, (h - size) // 2 + size)
            yield np.array(im.crop(box))


def hyper_features(model, images) -> torch.Tensor:
    feats = []
    with torch.inference_mode():
        for i, rgb in enumerate(images):
            x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255
            y = model.g_a(x)
            gains = model.gains(PAPER_LAMBDAS[i % len(PAPER_LAMBDAS)])
            if gains is not None:
                y = y * gains[0]
            z_hat, _ = model.entropy_bottleneck(model.h_a(y), training=False)
            feats.append(model.h_s(z_hat))
    return torch.cat(feats).clone()


def distil(head: torch.nn.Module, hyper: torch.Tensor, target: torch.Tensor, steps: int) -> float:
    """Fit ``head.net`` to ``target`` (MSE, Adam, cosine schedule); the final MSE on all features."""
    opt = torch.optim.Adam(head.net.parameters(), 3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        idx = torch.randint(0, hyper.shape[0], (16,))
        loss = torch.nn.functional.mse_loss(head.net(hyper[idx]), target[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        return torch.nn.functional.mse_loss(head.net(hyper), target).item()


def kodak_figures(codec, kodak: list[str], lmbda: float) -> tuple[float, float]:
    bpp, psnr = [], []
    for path in kodak:
        with Image.open(path) as im:
            rgb = np.array(im.convert("RGB"))
        data = codec.compress(rgb, lmbda=lmbda, reconstruction=False).data
        out = codec.decompress(data, bits_map=False).image.astype(np.float64)
        bpp.append(len(data) * 8 / (rgb.shape[0] * rgb.shape[1]))
        psnr.append(10 * math.log10(255 ** 2 / np.mean((out - rgb) ** 2)))
    return statistics.mean(bpp), statistics.mean(psnr)


def head_ms(head: torch.nn.Module, hyper: torch.Tensor, rounds: int = 15) -> float:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            head(hyper)
            times = []
            for _ in range(rounds):
                t0 = time.thread_time()
                head(hyper)
                times.append(time.thread_time() - t0)
    finally:
        torch.set_num_threads(before)
    return 1000 * statistics.median(times)


def write_network(model, heads, hidden: int, path: Path, provenance: dict, extra: dict) -> str:
    """Save ``model`` with ``heads`` (A head, selection head) of width ``hidden``, keeping the
    source file's ``extra`` (its training record, which the zoo's manifest shows) with the
    distillation added to it as ``heads_distilled``; the sha256."""
    config = model.config.to_dict()
    config["quantizer_options"] = {**config["quantizer_options"], "head_hidden": hidden}
    config["provenance"] = {**config["provenance"], "heads_distilled": provenance}
    narrow = build_model(ModelConfig.from_dict(config))
    state = {k: v for k, v in model.state_dict().items()
             if k not in DERIVED_KEYS and not k.startswith(("a_head.", "selection_head."))}
    state.update({f"a_head.{k}": v for k, v in heads[0].state_dict().items()})
    state.update({f"selection_head.{k}": v for k, v in heads[1].state_dict().items()})
    missing, unexpected = narrow.load_state_dict(state, strict=False)
    if unexpected or set(missing) - set(DERIVED_KEYS):
        raise SystemExit(f"state mismatch: missing {missing}, unexpected {unexpected}")
    return save_checkpoint(narrow, path, half=True, extra={**extra, "heads_distilled": provenance})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help="zoo id or checkpoint path (default: the zoo's default, LVQAC)")
    p.add_argument("--hidden", default="16,8")
    p.add_argument("--images", type=int, default=120)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--train", default=str(ROOT.parent / "shared/data/train"))
    p.add_argument("--kodak", default=str(ROOT.parent / "shared/data/kodak"))
    p.add_argument("--json", default=None)
    p.add_argument("--write", default=None, metavar="PATH", help="save the network with the distilled heads")
    args = p.parse_args()
    if args.write and ("," in args.hidden or Path(args.write).exists()):
        raise SystemExit("--write takes one width in --hidden and a path that does not exist yet")
    torch.manual_seed(0)
    model_id = args.model or zoo.default_model_id()
    codec = load_model(model_id, "cpu")
    lc = codec.model.latent_codec
    if lc.a_head is None or lc.selection_head is None:
        raise SystemExit(f"{model_id} has no A head and selection head")
    kodak = sorted(glob.glob(str(Path(args.kodak) / "*.png")))
    hyper = hyper_features(codec.model, crops(args.train, args.images))
    with torch.inference_mode():
        targets = {"a": lc.a_head.net(hyper).clone(), "s": lc.selection_head.net(hyper).clone()}
    a_max = math.exp(lc.a_head.log_a_max)
    groups = lc.selection_head.net[-1].out_channels
    hyper_1080 = torch.randn(1, hyper.shape[1], 68, 120)  # a 1920x1088 image's hyper grid
    shipped_hidden = lc.a_head.net[0].out_channels
    print(f"{model_id}: {hyper.shape[0]} training crops of 256², {args.steps} steps per head; "
          f"Kodak ({len(kodak)} images) at λ {', '.join(map(str, EVAL_LAMBDAS))}")
    print(f"{'hidden':>6} {'A ms 1080p':>10} {'A mse':>9} {'sel mse':>9}  " +
          "  ".join(f"{'λ ' + str(lam):>20}" for lam in EVAL_LAMBDAS))
    report: dict = {"model": model_id, "images": hyper.shape[0], "steps": args.steps, "rows": []}
    base_heads = (lc.a_head, lc.selection_head)
    widths = [shipped_hidden] + [int(v) for v in args.hidden.split(",")]
    for hidden in widths:
        if hidden == shipped_hidden:
            heads, mse = base_heads, (0.0, 0.0)
        else:
            heads = (AHead(hyper.shape[1], lc.a_head.mode, a_max, hidden=hidden),
                     SelectionHead(hyper.shape[1], groups, hidden=hidden))
            mse = (distil(heads[0], hyper, targets["a"], args.steps), distil(heads[1], hyper, targets["s"], args.steps))
        lc.a_head, lc.selection_head = heads
        try:
            figures = {lam: kodak_figures(codec, kodak, lam) for lam in EVAL_LAMBDAS}
        finally:
            lc.a_head, lc.selection_head = base_heads
        ms = head_ms(heads[0], hyper_1080)
        cells = "  ".join(f"{b:.5f} bpp {q:.3f} dB" for b, q in figures.values())
        print(f"{hidden:>6} {ms:>10.2f} {mse[0]:>9.2e} {mse[1]:>9.2e}  {cells}", flush=True)
        report["rows"].append({"hidden": hidden, "a_head_ms_1080p": ms, "mse": mse,
                               "kodak": {str(k): v for k, v in figures.items()}})
        if args.write and hidden != shipped_hidden:
            source = zoo.get_entry(model_id).path if zoo.has_model(model_id) else Path(model_id)
            provenance = {"from": model_id, "source_sha256": file_sha256(source), "hidden": hidden,
                          "train": args.train, "images": int(hyper.shape[0]), "steps": args.steps,
                          "mse": list(mse), "script": "scripts/head_width.py"}
            sha = write_network(codec.model, heads, hidden, Path(args.write), provenance,
                                read_checkpoint(source).extra)
            print(f"wrote {args.write} (sha256 {sha[:16]}…)", flush=True)
    print(f"target variance: A pre-activation {targets['a'].var().item():.3g}, "
          f"selection logits {targets['s'].var().item():.3g}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
