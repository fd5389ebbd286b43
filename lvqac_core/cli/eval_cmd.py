"""``lvqac eval DIR``: RD evaluation of models and classical baselines on a folder of images.

    lvqac eval ../shared/data/kodak --model runs/zoo/*/model.pt --baselines jpeg,webp,avif \\
        --bdrate --plot rd.png -o results.json
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from .. import zoo
from ..errors import InputError
from ..files import atomic_write_bytes
from .common import STDIO_REFUSAL, add_threads_argument, is_dir_spec, plan_outputs

__all__ = ["register", "run"]


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("eval", help="rate–distortion evaluation (models, baselines, BD-rate, plot)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("images", metavar="DIR", help="folder of images (or one image)")
    p.add_argument("--model", "-m", action="append", default=[], metavar="ID|PATH", nargs="+",
                   help="zoo model id or checkpoint path (repeatable; models of one quantizer form a curve)")
    p.add_argument("--checkpoint-tier", default=None, metavar="TIER",
                   help="name the curves of checkpoint files (not zoo ids) as this zoo tier's, e.g. wide: "
                        "'minnen2018-ckbd wide scalar (noise-trained)' beside the wide tier's networks")
    p.add_argument("--baselines", default="", help="comma list of jpeg,webp,avif,jpeg2000")
    p.add_argument("--bdrate", action="store_true", help="BD-rate table against the first curve (or --anchor)")
    p.add_argument("--anchor", default=None, help="curve name to use as BD anchor")
    p.add_argument("--pchip", action="store_true", help="BD with piecewise-cubic interpolation instead of cubic fit")
    p.add_argument("--plot", default=None, metavar="OUT.png", help="write an RD plot")
    p.add_argument("-o", "--output", default=None, metavar="results.json", help="write full results (per image)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    add_threads_argument(p)
    p.add_argument("--json", action="store_true", help="print results as JSON on stdout")
    p.add_argument("--force", action="store_true", help="overwrite existing -o / --plot files")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)
    return p


def _fmt(v, spec=".3f") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def run(args: argparse.Namespace) -> int:
    from ..evaluation.baselines import BASELINES, run_baselines
    from ..image_files import list_images
    from ..evaluation.evaluate import bd_table, evaluate_models, evaluation_report
    from ..evaluation.rdplot import plot_rd, require_matplotlib

    if args.images == "-":
        raise InputError(STDIO_REFUSAL)
    try:
        list_images(args.images)
    except (FileNotFoundError, OSError) as e:
        raise InputError(" ".join(str(e).split())) from None
    for option, value in (("-o", args.output), ("--plot", args.plot)):
        if value is not None and (value == "-" or is_dir_spec(value)):
            raise InputError(f"{option} {value}: give a file name (not '-' or a directory)")
    outputs = [Path(v) for v in (args.output, args.plot) if v is not None]
    plan_outputs([args.images] * len(outputs), outputs, args.force)  # before hours of evaluation
    if args.plot:
        require_matplotlib()
    models = [m for group in args.model for m in group]
    names = [b.strip().lower() for b in args.baselines.split(",") if b.strip()]
    bad = [b for b in names if b not in BASELINES]
    if bad:
        raise InputError(f"unknown baseline(s) {', '.join(bad)}; known: {', '.join(BASELINES)}")
    if args.checkpoint_tier is not None and not zoo.is_tier_name(args.checkpoint_tier):
        raise InputError(f"--checkpoint-tier {args.checkpoint_tier!r}: not a tier name (short, lower case)")
    if not models and not names:
        raise InputError("nothing to evaluate: give --model and/or --baselines")
    say = (lambda m: None) if (args.quiet or args.json) else (lambda m: print(m, file=sys.stderr))

    curves = []
    if models:
        curves += evaluate_models(models, args.images, device=args.device, progress=say,
                                  checkpoint_tier=args.checkpoint_tier)
    curves += run_baselines(names, args.images, progress=say)
    rows = []
    if args.bdrate or len([c for c in curves if len(c.points) >= 2]) >= 2:
        rows = bd_table(curves, anchor=args.anchor, method="pchip" if args.pchip else "cubic",
                        include_reference=False)
    report = evaluation_report(args.images, curves, rows)
    try:
        if args.plot:
            plot_rd(curves, args.plot, title=f"RD on {Path(args.images).name}", overwrite=args.force)
            report["plot"] = str(args.plot)
        if args.output:
            atomic_write_bytes(args.output, json.dumps(report, indent=2, allow_nan=True).encode(),
                               overwrite=args.force)
    except OSError as e:
        raise InputError(f"cannot write {e.filename or 'the results'}: {e.strerror or e}") from None
    if args.json:
        json.dump(report, sys.stdout, indent=2, allow_nan=True)
        sys.stdout.write("\n")
        return 0
    for c in curves:
        print(f"\n{c.name}" + (f"  ({'; '.join(c.notes)})" if c.notes else ""))
        print(f"  {'point':<22}{'bpp':>8}{'est.bpp':>9}{'PSNR':>8}{'MS-SSIM':>9}{'dB':>7}{'enc s':>8}{'dec s':>8}")
        for p in c.points:
            s = p.summary()
            print(f"  {p.label:<22}{_fmt(s['bpp']):>8}{_fmt(s['bpp_estimated']):>9}{_fmt(s['psnr'], '.2f'):>8}"
                  f"{_fmt(s['ms_ssim'], '.4f'):>9}{_fmt(s['ms_ssim_db'], '.2f'):>7}"
                  f"{_fmt(s['encode_seconds']):>8}{_fmt(s['decode_seconds']):>8}")
    if rows:
        print(f"\nBD against {rows[0]['anchor']} ({rows[0]['method']})")
        for r in rows:
            if "error" in r:
                print(f"  {r['test']:<40} {r['error']}")
            else:
                print(f"  {r['test']:<40} BD-rate {r['bd_rate_percent']:+7.2f} %   BD-PSNR {r['bd_psnr_db']:+6.3f} dB")
    if args.plot:
        print(f"\nplot: {args.plot}")
    if args.output:
        print(f"results: {args.output}")
    return 0
