"""``lvqac models``: what the zoo holds, with each model's measured Kodak results, and the CompressAI
weights files found in torch hub's cache (and ``--scan DIR``), usable with ``--model FILE``."""
from __future__ import annotations

from .. import zoo
from .common import emit_json


def register(sub) -> None:
    p = sub.add_parser("models", help="list the model zoo with measured Kodak results")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--scan", action="append", default=[], metavar="DIR",
                   help="also list CompressAI weights files in DIR and its subfolders (repeatable); torch hub's "
                        "cache ($TORCH_HOME/hub/checkpoints) is always looked at")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..interop.discovery import find_compressai_models

    entries = zoo.list_models()
    found = find_compressai_models(getattr(args, "scan", []), recursive=True)
    if args.json:
        emit_json([
            {"id": e.id, "architecture": e.architecture, "quantizer": e.quantizer, "lambda": e.lmbda,
             "N": e.N, "M": e.M, "precision": e.precision, "kodak": e.kodak, "network": e.network,
             "lambda_range": None if e.lambda_range is None else list(e.lambda_range), "tier": e.tier}
            for e in entries
        ] + [_compressai_row(f) for f in found])
        return 0
    if not entries:
        print(f"no models installed in {zoo.zoo_dir()}")
    else:
        _print_zoo(entries)
    _print_compressai(found)
    return 0


def _print_zoo(entries) -> None:
    default = zoo.default_model_id()
    width = max([34] + [len(e.id) for e in entries])
    net_width = max([7] + [len(e.network or "-") for e in entries])
    print(f"{'id':<{width}} {'quantizer':<9} {'lambda':>6} {'N/M':>7} {'tier':<5} {'Kodak bpp':>9} {'PSNR dB':>8} "
          f"{'MS-SSIM':>8}  {'network':<{net_width}}")
    for e in entries:
        k = e.kodak or {}
        mark = " *" if e.id == default else ""
        print(f"{e.id:<{width}} {e.quantizer:<8} {e.lmbda:>7g} {e.N:>3}/{e.M:<3} {e.tier or '-':<5} "
              f"{_fig(k, 'bpp', 9, 4)} {_fig(k, 'psnr', 8, 2)} {_fig(k, 'ms_ssim', 8, 4)}"
              f"  {e.network or '-':<{net_width}}{mark}")
    print("* default model")
    networks = sorted({(e.network, e.lambda_range) for e in entries if e.network is not None})
    for name, (lo, hi) in networks:
        print(f"network {name}: one variable-rate network, any λ in {lo:g} … {hi:g} (lvqac compress --lambda)")
    for tier, n, m in zoo.tiers():
        print(f"tier {tier}: the N {n} / M {m} networks (lvqac compress --tier {tier})")
    if networks and any(e.network is None for e in entries):
        print("network -: a single-rate model (codes at its own λ only)")
    if any(not e.kodak for e in entries):
        print("-: not measured on Kodak yet (scripts/eval_kodak.sh; a tier's rows: scripts/eval_kodak_tier.sh TIER)")


def _fig(kodak: dict, key: str, width: int, digits: int) -> str:
    """A measured figure, or '-' right-aligned where the manifest has none."""
    value = kodak.get(key)
    return f"{value:>{width}.{digits}f}" if isinstance(value, (int, float)) else f"{'-':>{width}}"


def _compressai_row(f) -> dict:
    """A CompressAI file as a ``--json`` row: the zoo rows' keys plus ``source``, ``path`` and, for a
    file that cannot be used, ``problem``."""
    m = f.model
    row = {"id": None if m is None else m.model_id, "source": "compressai", "path": str(f.path),
           "architecture": None if m is None else m.architecture, "quantizer": "scalar",
           "lambda": None if m is None else m.lmbda, "N": None if m is None else m.N,
           "M": None if m is None else m.M, "kodak": None, "network": None, "lambda_range": None,
           "supported": bool(m is not None and m.supported)}
    if m is None or not m.supported:
        row["problem"] = f.problem if m is None else m.unsupported_message()
    return row


def _print_compressai(found) -> None:
    if not found:
        return
    print("\nCompressAI models (use with --model FILE; scalar quantizer, coded into .lvq by LVQAC):")
    for f in found:
        m = f.model
        if m is None:
            print(f"  {f.path}\n      not usable: {f.problem}")
        elif not m.supported:
            print(f"  {f.path}\n      {m.describe()}: not supported yet")
        else:
            print(f"  {f.path}\n      {m.describe()} -> {m.ours}, id {m.model_id}")
