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
    print(f"{'id':<{width}} {'quantizer':<9} {'lambda':>6} {'N/M':>7} {'Kodak bpp':>9} {'PSNR dB':>8} {'MS-SSIM':>8}"
          f"  {'network':<{net_width}}")
    for e in entries:
        k = e.kodak or {}
        mark = " *" if e.id == default else ""
        print(f"{e.id:<{width}} {e.quantizer:<8} {e.lmbda:>7g} {e.N:>3}/{e.M:<3} "
              f"{_fig(k, 'bpp', 9, 4)} {_fig(k, 'psnr', 8, 2)} {_fig(k, 'ms_ssim', 8, 4)}"
              f"  {e.network or '-':<{net_width}}{mark}")
    print("* default model")
    networks = sorted({(e.network, e.lambda_range) for e in entries if e.network is not None})
    for name, (lo, hi) in networks:
        print(f"network {name}: one variable-rate network, any λ in {lo:g} … {hi:g} (lvqac compress --lambda)")
    if networks and any(e.network is None for e in entries):
        print("network -: a single-rate model (codes at its own λ only)")
    if any(not e.kodak for e in entries):
        print("-: not measured on Kodak yet (scripts/eval_kodak.sh)")
    return 0


def _fig(kodak: dict, key: str, width: int, digits: int) -> str:
    """A measured figure, or '-' right-aligned where the manifest has none."""
    value = kodak.get(key)
    return f"{value:>{width}.{digits}f}" if isinstance(value, (int, float)) else f"{'-':>{width}}"
