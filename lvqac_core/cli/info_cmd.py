"""``lvqac info FILE.lvq``: header, section sizes and bits per part, without decoding."""
from __future__ import annotations

from ..api import read_info
from .common import emit_json, read_input_bytes


def register(sub) -> None:
    p = sub.add_parser("info", help="show a .lvq file's header and bits per part")
    p.add_argument("file", metavar="FILE.lvq")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    info = read_info(read_input_bytes(args.file))
    h = info.header
    if args.json:
        emit_json({
            "model": h.model_id, "architecture": h.architecture, "quantizer": h.quantizer,
            "group_size": h.group_size, "lambda": h.lmbda, "width": h.width, "height": h.height,
            "mode": h.mode, "format_version": h.format_version, "sections": info.sections,
            "container_bytes": info.container_bytes, "bytes": info.file_bytes,
            "weights_hash": h.weights_hash.hex(),
        })
        return 0
    bpp = info.bits_per_pixel()
    print(f"{args.file}: .lvq format {h.format_version}, {info.file_bytes} bytes")
    print(f"  model      {h.model_id} ({h.architecture}, weights {h.weights_hash.hex()})")
    print(f"  quantizer  {h.quantizer}" + (f" (g = {h.group_size})" if h.group_size else "") + f", λ = {h.lmbda:g}")
    print(f"  image      {h.width}x{h.height} {h.mode}, padded by {h.pad_right} right / {h.pad_bottom} bottom")
    print(f"  latents    {h.latent_height}x{h.latent_width}, hyper-latents {h.hyper_height}x{h.hyper_width}")
    print(f"  {'part':<18}{'bytes':>8}{'bpp':>9}")
    names = {"z": "hyper-latents (z)", "selection": "selection bits", "y": "latents (y)"}
    for name, n in info.sections.items():
        print(f"  {names.get(name, name):<18}{n:>8}{bpp[name]:>9.4f}")
    print(f"  {'container':<18}{info.container_bytes:>8}{bpp['container']:>9.4f}")
    print(f"  {'total':<18}{info.file_bytes:>8}{bpp['total']:>9.4f}")
    return 0
