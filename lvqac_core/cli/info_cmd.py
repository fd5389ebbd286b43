"""``lvqac info FILE.lvq``: header, section sizes and bits per part, without decoding."""
from __future__ import annotations

from .. import zoo
from ..api import read_info
from ..errors import ModelNotFoundError
from ..lambdas import same_lambda
from .common import emit_json, read_input_bytes


def register(sub) -> None:
    p = sub.add_parser("info", help="show a .lvq file's header and bits per part")
    p.add_argument("file", metavar="FILE.lvq")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def rate_note(header) -> tuple[bool | None, str | None, str]:
    """(variable_rate, network, words) for the file's λ, from the zoo's manifest only: whether the
    installed model it names is a variable-rate network (None: that model is not installed; nothing
    the file names is ever loaded)."""
    try:
        entry = zoo.get_entry(header.model_id) if zoo.has_model(header.model_id) else None
    except ModelNotFoundError:  # an unreadable manifest: the file's own fields are still shown
        entry = None
    if entry is None:
        return None, None, "model not installed: single- or variable-rate unknown"
    if entry.lambda_range is None:
        return False, None, "coded by a single-rate model"
    lo, hi = entry.lambda_range
    where = "a preset" if same_lambda(header.lmbda, entry.lmbda) or any(
        e.network == entry.network and same_lambda(e.lmbda, header.lmbda) for e in zoo.list_models()) \
        else "between presets"
    return True, entry.network, f"coded by the variable-rate network {entry.network} (λ {lo:g} … {hi:g}; {where})"


def run(args) -> int:
    info = read_info(read_input_bytes(args.file))
    h = info.header
    variable_rate, network, rate_words = rate_note(h)
    if args.json:
        emit_json({
            "model": h.model_id, "architecture": h.architecture, "quantizer": h.quantizer,
            "group_size": h.group_size, "lambda": h.lmbda, "width": h.width, "height": h.height,
            "mode": h.mode, "format_version": h.format_version, "sections": info.sections,
            "container_bytes": info.container_bytes, "bytes": info.file_bytes,
            "weights_hash": h.weights_hash.hex(), "variable_rate": variable_rate, "network": network,
        })
        return 0
    bpp = info.bits_per_pixel()
    print(f"{args.file}: .lvq format {h.format_version}, {info.file_bytes} bytes")
    print(f"  model      {h.model_id} ({h.architecture}, weights {h.weights_hash.hex()})")
    print(f"  quantizer  {h.quantizer}" + (f" (g = {h.group_size})" if h.group_size else "") + f", λ = {h.lmbda:g}")
    print(f"  rate       λ = {h.lmbda:g}, {rate_words}")
    print(f"  image      {h.width}x{h.height} {h.mode}, padded by {h.pad_right} right / {h.pad_bottom} bottom")
    print(f"  latents    {h.latent_height}x{h.latent_width}, hyper-latents {h.hyper_height}x{h.hyper_width}")
    print(f"  {'part':<18}{'bytes':>8}{'bpp':>9}")
    names = {"z": "hyper-latents (z)", "selection": "selection bits", "y": "latents (y)"}
    for name, n in info.sections.items():
        print(f"  {names.get(name, name):<18}{n:>8}{bpp[name]:>9.4f}")
    print(f"  {'container':<18}{info.container_bytes:>8}{bpp['container']:>9.4f}")
    print(f"  {'total':<18}{info.file_bytes:>8}{bpp['total']:>9.4f}")
    return 0
