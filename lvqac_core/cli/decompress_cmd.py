"""``lvqac decompress FILE.lvq [-o OUT.png]``: decode with the model the file names."""
from __future__ import annotations

from pathlib import Path

from ..api import decompress, load_model
from ..errors import InputError
from ..image_io import save_png
from .common import add_device_argument, emit_json, read_input_bytes


def register(sub) -> None:
    p = sub.add_parser("decompress", help="decode a .lvq file to PNG")
    p.add_argument("file", metavar="FILE.lvq")
    p.add_argument("-o", "--output", help="output PNG (default: FILE with .png)")
    p.add_argument("--model", help="checkpoint path, when the file's model is not in the zoo")
    add_device_argument(p)
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    out = Path(args.output) if args.output else Path(args.file).with_suffix(".png")
    if out.exists() and not args.force:
        raise InputError(f"{out} exists; use --force to overwrite")
    data = read_input_bytes(args.file)
    res = load_model(args.model, args.device).decompress(data) if args.model else decompress(data, args.device)
    save_png(res.image, out, overwrite=args.force)
    row = {"input": args.file, "output": str(out), "model": res.header.model_id,
           "decode_seconds": res.decode_seconds, "device": res.device}
    if args.json:
        emit_json(row)
    else:
        print(f"{args.file} -> {out}: {res.header.width}x{res.header.height}, "
              f"{res.decode_seconds:.2f} s on {res.device} [{res.header.model_id}]")
    return 0
