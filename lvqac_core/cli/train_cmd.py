"""``lvqac train``: train or fine-tune a model on a folder of images (works under torchrun)."""
from __future__ import annotations

import argparse
import json

from ..bitstream import QUANTIZERS

__all__ = ["register", "add_arguments", "run", "config_from_args"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="folder of training images (searched recursively)")
    p.add_argument("--out", required=True, help="output folder: model.pt, resume.pt, log.csv, summary.json")
    p.add_argument("--architecture", default=None,
                   help="default minnen2018-ckbd, or the architecture of a CompressAI --init file")
    p.add_argument("--quantizer", default="scalar", choices=QUANTIZERS)
    p.add_argument("--lambda", dest="lmbda", type=float, default=0.0075, help="RD trade-off λ (MSE)")
    p.add_argument("--lambdas", type=lambda_presets, default=[], metavar="L1,L2,...|paper",
                   help="train one variable-rate network (gain units) over these λ presets, one drawn per "
                        "batch; 'paper' = the six paper rate points. --lambda is then the default rate point")
    p.add_argument("-N", type=int, default=None, help="channels of the transforms (default 48, or a CompressAI --init file's)")
    p.add_argument("-M", type=int, default=None, help="channels of the latent y (default 64, or a CompressAI --init file's)")
    p.add_argument("--group-size", type=int, default=0, help="lattice group size g (0: g = M, the paper)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=8, help="per process")
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--aux-lr", type=float, default=1e-3)
    p.add_argument("--decay-step", type=int, default=0, help="multiply lr by 0.1 from this step (0: never)")
    p.add_argument("--free-channels-from", type=int, default=0, metavar="K",
                   help="rate warm-up for a widened network (lvqac_core.training.widen): latent channels ≥ K "
                        "cost no rate for --free-rate-steps, then their rate's weight ramps to 1 (0: off)")
    p.add_argument("--free-rate-steps", type=int, default=0, metavar="STEPS")
    p.add_argument("--free-ramp-steps", type=int, default=0, metavar="STEPS")
    p.add_argument("--tau-start", type=float, default=0.5)
    p.add_argument("--tau-end", type=float, default=0.05)
    p.add_argument("--init", default=None, metavar="CKPT",
                   help="start from these weights (other quantizer/λ ok): an LVQAC checkpoint or a CompressAI "
                        "model file (its transforms; new quantizer and heads; docs/interop.md)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/resume.pt if present")
    p.add_argument("--checkpoint-minutes", type=float, default=5.0)
    p.add_argument("--max-minutes", type=float, default=0.0, help="stop and save after this much wall time (0: off)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    p.add_argument("--workers", type=int, default=0, help="data-loader worker processes")
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--train-mode", default="",
                   help="distortion path in training: scalar ste|noise (default ste; noise = the classic "
                        "additive-uniform baseline), lattice hard-ste|hard-relax|relaxed (default hard-ste)")
    p.add_argument("--rate-proxy", default="noise", choices=["noise", "hard"],
                   help="rate term in training: additive-noise cell (default) or the hard value's cell")
    p.add_argument("--compander", default="exp", choices=["exp", "alaw"],
                   help="LVQAC companding: exp (A in [1/16, 16], learnable both ways; default) or the paper's alaw (A >= 1)")
    p.add_argument("--a-grad-alpha", type=float, default=None, metavar="ALPHA",
                   help="LVQAC: sharpness α of the soft-rounding surrogate whose gradient A and V get "
                        "(default 16; larger is closer to the hard quantizer, see docs/quantizers.md)")
    p.add_argument("--a-grad-scale", type=float, default=None, metavar="S",
                   help="LVQAC: multiply the surrogate's distortion gradient to A and V by S (default 1; "
                        "experiments/companding_head_gradient.py measures how far it falls short)")
    p.add_argument("--ste-domain", default=None, choices=["u", "r"],
                   help="LVQAC hard training modes: pass r's gradient straight through in the companded "
                        "domain (u, default) or on r itself (r: dr̂/dr = 1)")
    p.add_argument("--v-scale", default=None, choices=["global", "sigma"],
                   help="LVQAC: the span V the compander reshapes: one learned V (global, default) or "
                        "κ·σ per coefficient, κ learned (sigma: a dead zone in units of each σ)")
    p.add_argument("--a-side", default=None, choices=["both", "below"],
                   help="LVQAC (exp compander): A levels on both sides of the identity (both, default) or "
                        "A <= 1 only (below: dead zones, never finer cells)")
    p.add_argument("--selection-coding", default="raw", choices=["raw", "rans"],
                   help="lattice selection bits: raw (1 bit per group; default) or rans (coded with a probability "
                        "a small head predicts from the hyperprior, trained with the model)")
    p.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"],
                   help="auto: bf16 autocast where the CPU/GPU has native bf16 (entropy model stays fp32), else fp32")
    p.add_argument("--channels-last", default="auto", choices=["auto", "on", "off"],
                   help="channels_last memory format (auto: with bf16 or CUDA)")
    p.add_argument("--amp", action="store_true", help="same as --precision bf16")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("train", help="train or fine-tune a model", description=__doc__)
    add_arguments(p)
    p.set_defaults(func=run)
    return p


def config_from_args(args: argparse.Namespace):
    from ..training import TrainConfig

    architecture, N, M = args.architecture, args.N, args.M
    if args.init and None in (architecture, N, M):
        from ..interop.compressai_checkpoints import init_shape

        shape = init_shape(args.init)  # a CompressAI file gives the architecture and N/M left out
        if shape is not None:
            architecture, N, M = architecture or shape[0], N or shape[1], M or shape[2]
    return TrainConfig(
        data=args.data, out=args.out, architecture=architecture or "minnen2018-ckbd", quantizer=args.quantizer,
        lmbda=args.lmbda, N=N or 48, M=M or 64, group_size=args.group_size, steps=args.steps,
        batch_size=args.batch_size, crop=args.crop, lr=args.lr, aux_lr=args.aux_lr,
        decay_step=args.decay_step, tau_start=args.tau_start, tau_end=args.tau_end, init=args.init,
        seed=args.seed, device=args.device, threads=args.threads, workers=args.workers,
        checkpoint_minutes=args.checkpoint_minutes, max_minutes=args.max_minutes, log_every=args.log_every,
        amp=args.amp, precision=args.precision, channels_last=args.channels_last, train_mode=args.train_mode,
        rate_proxy=args.rate_proxy, compander=args.compander, selection_coding=args.selection_coding,
        progress=not args.no_progress, lambdas=list(args.lambdas),
        free_channels_from=args.free_channels_from, free_rate_steps=args.free_rate_steps,
        free_ramp_steps=args.free_ramp_steps,
        quantizer_options={k: v for k, v in (("a_grad_alpha", args.a_grad_alpha), ("a_grad_scale", args.a_grad_scale),
                                                    ("ste_domain", args.ste_domain), ("v_scale", args.v_scale),
                                                    ("a_side", args.a_side))
                           if v is not None},
    )


def lambda_presets(text: str) -> list[float]:
    """``paper`` or comma-separated positive λ values (argparse type)."""
    from ..lambdas import PAPER_LAMBDAS

    if text.strip() == "paper":
        return [float(v) for v in PAPER_LAMBDAS]
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers or 'paper', got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("no λ given")
    return values


def run(args: argparse.Namespace) -> int:
    from ..training.trainer import Trainer, init_distributed_from_env

    started = init_distributed_from_env(args.device)
    try:  # user mistakes raise InputError: the CLI's one handler prints them as one line
        trainer = Trainer(config_from_args(args))
        info = trainer.run(resume=args.resume)
    finally:
        if started:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()
    if trainer.is_main:
        if args.json:
            print(json.dumps(info, indent=2))
        else:
            print(f"trained {info['step']} steps in {info['wall_seconds']} s → {info.get('checkpoint')}")
    return 0
