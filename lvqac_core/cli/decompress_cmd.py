"""``lvqac decompress FILE.lvq [-o OUT.png]``: decode with the model the file names."""
from __future__ import annotations

from ..api import load_model
from ..image_files import save_png
from ..report import device_text
from ..service import decode
from .common import (add_device_argument, add_threads_argument, emit_json, make_parent, map_summary_line,
                     output_paths, plan_outputs, read_input_bytes)


def register(sub) -> None:
    p = sub.add_parser("decompress", help="decode a .lvq file to PNG")
    p.add_argument("file", metavar="FILE.lvq")
    p.add_argument("-o", "--output", help="output .png, or a directory (default: FILE with .png)")
    p.add_argument("--model", help="zoo id or checkpoint path, when the file's model is not in the zoo")
    add_device_argument(p)
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    add_threads_argument(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    data = read_input_bytes(args.file)
    (out,) = output_paths([args.file], args.output, ".png", "decompress")
    plan_outputs([args.file], [out], args.force)
    decoded = decode(data, (lambda header: load_model(args.model, args.device)) if args.model else None,
                     device=args.device)
    res = decoded.result
    make_parent(out)
    save_png(res.image, out, overwrite=args.force)
    row = {"input": args.file, "output": str(out), **decoded.report.to_json()}
    if args.json:
        emit_json(row)
    else:
        print(f"{args.file} -> {out}: {res.header.width}x{res.header.height}, "
              f"{res.decode_seconds:.2f} s on {device_text(res.device, res.cpu_threads)} [{res.header.model_id}]")
        if row["selection_share"] is not None:
            print(f"  {map_summary_line(row)}")
    return 0
