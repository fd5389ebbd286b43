"""``lvqac compress IMAGE... [-o OUT]``: code images into .lvq files."""
from __future__ import annotations

import sys
from pathlib import Path

from ..api import load_model
from ..bitstream import LVQ_SUFFIX, QUANTIZERS
from ..errors import InputError
from ..files import atomic_write_bytes
from ..report import device_text
from ..service import ModelChoice, check_code_lambda, encode, select_model
from .common import (add_device_argument, add_threads_argument, check_input, emit_json, failure_line, make_parent,
                     map_summary_line, output_paths, plan_outputs, positive_float)


def register(sub) -> None:
    p = sub.add_parser("compress", help="compress images into .lvq files")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("-o", "--output", help="output .lvq file (one image) or directory (several, or a name ending "
                                          "in /); default: IMAGE with .lvq")
    p.add_argument("--model", help="zoo id or checkpoint path (default: the zoo's default)")
    p.add_argument("--quantizer", choices=QUANTIZERS, help="pick the zoo model with this quantizer")
    p.add_argument("--tier", help="which of the family's networks: e.g. fast (N 48 / M 64) or wide (N 128 / M 192); "
                                  "lvqac models lists them (default: the default model's, where it covers the λ)")
    p.add_argument("--lambda", dest="lmbda", type=positive_float,
                   help="the rate point: a zoo preset, or any λ in the range of a variable-rate network "
                        "(lvqac models lists both); with --model, a λ in that network's range")
    add_device_argument(p)
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    add_threads_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def resolve_model_spec(model: str | None, quantizer: str | None, lmbda: float | None,
                       tier: str | None = None) -> str | None:
    """What ``load_model`` loads for these options: ``service.select_model``'s rule (None: the
    zoo's default, which ``load_model`` resolves)."""
    choice = resolve_model(model, quantizer, lmbda, tier)
    return None if choice is None else choice.spec


def resolve_model(model: str | None, quantizer: str | None, lmbda: float | None,
                  tier: str | None = None) -> ModelChoice | None:
    """``service.select_model`` for these options (None: the zoo's default, which ``load_model``
    resolves); ``--model`` with ``--lambda`` asks for a variable-rate network."""
    if model and quantizer:
        raise InputError("--model cannot be combined with --quantizer")
    if model and tier:
        raise InputError("--model cannot be combined with --tier")
    if not model and quantizer is None and lmbda is None and tier is None:
        return None
    return select_model(quantizer, lmbda, model or None, tier=tier)


def _input_problem(image: str) -> InputError | None:
    try:
        check_input(image)
    except InputError as e:
        return e
    return None


def run(args) -> int:
    """Codes every image it can: a refused image is one ``lvqac: error:`` line (and a JSON row
    with ``error``), the others are still coded; exit 2 if any failed. Output collisions, an
    unusable model and usage errors refuse the whole batch before anything is written."""
    failed: dict[int, BaseException] = {}
    for i, image in enumerate(args.images):
        problem = _input_problem(image)
        if problem is not None:
            failed[i] = problem
    good = [i for i in range(len(args.images)) if i not in failed]
    images = [args.images[i] for i in good]
    planned = output_paths(images, args.output, LVQ_SUFFIX, "compress", several=len(args.images) > 1) if good else []
    plan_outputs(images, planned, args.force)
    outputs: list[Path | None] = [None] * len(args.images)
    for i, out in zip(good, planned):
        outputs[i] = out
    codec = code_lambda = None
    if good:
        choice = resolve_model(args.model, args.quantizer, args.lmbda, args.tier)
        codec = load_model(None if choice is None else choice.spec, args.device)
        code_lambda = None if choice is None else choice.code_lambda
        check_code_lambda(codec, code_lambda)  # a checkpoint given with a λ it cannot code at: one line
    rows = []
    for i, (image, out) in enumerate(zip(args.images, outputs)):
        if i not in failed:
            try:
                coded = encode(codec, image, lmbda=code_lambda)
                make_parent(out)
                atomic_write_bytes(out, coded.result.data, overwrite=args.force)
            except (InputError, MemoryError) as e:
                failed[i] = e
        if i in failed:
            line = failure_line(image, failed[i])
            print("lvqac: error: " + line, file=sys.stderr, flush=True)
            rows.append({"input": str(image), "output": None if out is None else str(out), "error": line})
            continue
        rep = coded.report
        row = {"input": str(image), "output": str(out), **rep.to_json()}
        rows.append(row)
        if not args.json:
            print(f"{image} -> {out}: {rep.num_bytes} B, {rep.bpp:.4f} bpp (estimated {rep.bpp_estimated:.4f}), "
                  f"PSNR {rep.psnr:.2f} dB, MS-SSIM {rep.ms_ssim:.4f} ({rep.ms_ssim_db:.2f} dB), "
                  f"{rep.encode_seconds:.2f} s on {device_text(rep.device, rep.cpu_threads)} [{rep.model_id}, λ = {rep.lmbda:g}]")
            if rep.selection_share is not None:
                print(f"  {map_summary_line(row)}")
            for note in rep.notes:
                print(f"  note: {note}")
            sys.stdout.flush()
    if args.json:
        emit_json(rows)
    return 2 if failed else 0
