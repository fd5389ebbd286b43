"""``lvqac models``: what the zoo holds, with each model's measured Kodak results."""
from __future__ import annotations

from .. import zoo
from .common import emit_json


def register(sub) -> None:
    p = sub.add_parser("models", help="list the model zoo with measured Kodak results")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    entries = zoo.list_models()
    if args.json:
        emit_json([
            {"id": e.id, "architecture": e.architecture, "quantizer": e.quantizer, "lambda": e.lmbda,
             "N": e.N, "M": e.M, "precision": e.precision, "kodak": e.kodak, "network": e.network,
             "lambda_range": None if e.lambda_range is None else list(e.lambda_range)}
            for e in entries
        ])
        return 0
    if not entries:
        print(f"no models installed in {zoo.zoo_dir()}")
        return 0
    default = zoo.default_model_id()
    width = max([34] + [len(e.id) for e in entries])
    net_width = max([7] + [len(e.network or "-") for e in entries])
    print(f"{'id':<{width}} {'quantizer':<8} {'lambda':>7} {'N/M':>7} {'Kodak bpp':>9} {'PSNR dB':>8} {'MS-SSIM':>8}"
          f"  {'network':<{net_width}}")
    for e in entries:
        k = e.kodak or {}
        mark = " *" if e.id == default else ""
        print(f"{e.id:<{width}} {e.quantizer:<8} {e.lmbda:>7g} {e.N:>3}/{e.M:<3} "
              f"{k.get('bpp', float('nan')):>9.4f} {k.get('psnr', float('nan')):>8.2f} {k.get('ms_ssim', float('nan')):>8.4f}"
              f"  {e.network or '-':<{net_width}}{mark}")
    print("* default model")
    networks = sorted({(e.network, e.lambda_range) for e in entries if e.network is not None})
    for name, (lo, hi) in networks:
        print(f"network {name}: one variable-rate network, any λ in {lo:g} … {hi:g} (lvqac compress --lambda)")
    if networks and any(e.network is None for e in entries):
        print("network -: a single-rate model (codes at its own λ only)")
    return 0
