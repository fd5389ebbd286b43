"""Install fine-tuned checkpoints into the zoo and record their measured Kodak results.

    .venv/bin/python scripts/build_zoo.py install [--runs runs/zoo] [--default-quantizer lvqac --default-lambda 0.0075]
        copies runs/zoo/<quantizer>_<λ>/model.pt to resources/models/<id>.pt (fp16 as trained) and
        writes resources/models/manifest.json (sha256, N, M, precision, training provenance).
    .venv/bin/lvqac eval ../shared/data/kodak --model <every zoo id> ... -o results/kodak_zoo.json
    .venv/bin/python scripts/build_zoo.py record results/kodak_zoo.json
        fills each model's "kodak" entry (mean bpp, PSNR, MS-SSIM over the images) from that file,
        with the command that produced it. Nothing is typed in by hand.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lvqac_core.checkpoint import file_sha256, read_checkpoint  # noqa: E402
from lvqac_core.image_io import atomic_write_bytes  # noqa: E402
from lvqac_core.zoo import ZooEntry, load_manifest, write_manifest, zoo_dir  # noqa: E402


def model_id(architecture: str, quantizer: str, lmbda: float) -> str:
    return f"{architecture}-{quantizer}-{lmbda:g}"


def install(args) -> None:
    out_dir = zoo_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for ckpt in sorted(Path(args.runs).glob("*/model.pt")):
        cfg = read_checkpoint(ckpt).config
        mid = model_id(cfg["architecture"], cfg["quantizer"], float(cfg["lmbda"]))
        target = out_dir / f"{mid}.pt"
        atomic_write_bytes(target, ckpt.read_bytes(), overwrite=True)
        payload = read_checkpoint(target)
        entries.append(ZooEntry(
            id=mid, file=target.name, sha256=file_sha256(target),
            architecture=cfg["architecture"], quantizer=cfg["quantizer"], lmbda=float(cfg["lmbda"]),
            N=int(cfg["N"]), M=int(cfg["M"]), group_size=int(cfg.get("group_size") or cfg["M"]),
            precision=payload.precision, file_bytes=target.stat().st_size, kodak=None, training=payload.extra,
        ))
    order = {"scalar": 0, "lvq": 1, "lvqac": 2}
    entries.sort(key=lambda e: (order.get(e.quantizer, 9), e.lmbda))
    default = model_id(entries[0].architecture, args.default_quantizer, args.default_lambda) if entries else None
    if default not in {e.id for e in entries}:
        default = entries[0].id if entries else None
    write_manifest(entries, default, out_dir)
    total = sum(e.file_bytes or 0 for e in entries)
    print(f"installed {len(entries)} models, {total / 2**20:.1f} MiB, default {default}")


def record(args) -> None:
    report = json.loads(Path(args.results).read_text())
    measured = {}
    for curve in report["curves"]:
        for p in curve["points"]:
            mid = p.get("model_id")
            if mid:
                measured[mid] = {
                    "bpp": p["bpp"], "bpp_estimated": p["bpp_estimated"], "psnr": p["psnr"],
                    "ms_ssim": p["ms_ssim"], "encode_seconds": p["encode_seconds"],
                    "decode_seconds": p["decode_seconds"], "device": p.get("device"),
                    "images": report.get("num_images"), "source": str(args.results),
                }
    manifest = load_manifest()
    entries = [ZooEntry.from_json(d) for d in manifest["models"]]
    missing = [e.id for e in entries if e.id not in measured]
    entries = [replace(e, kodak=measured[e.id]) if e.id in measured else e for e in entries]
    write_manifest(entries, manifest["default"], kodak_command=args.command)
    export_baselines(report, args)
    print(f"recorded Kodak results for {len(entries) - len(missing)} models" + (f"; missing: {missing}" if missing else ""))


BASELINE_NAMES = {"jpeg": "JPEG", "webp": "WebP", "avif": "AVIF", "jpeg2000": "JPEG 2000"}


def export_baselines(report: dict, args) -> None:
    """The classical codecs' Kodak curves as reference lines for the app (resources/rd/)."""
    rd = ROOT / "resources" / "rd"
    for curve in report["curves"]:
        name = curve["name"]
        pts = sorted((p["bpp"], p["psnr"]) for p in curve["points"] if "model_id" not in p)
        if name not in BASELINE_NAMES or len(pts) < 2:
            continue
        data = {"name": f"{BASELINE_NAMES[name]} (Kodak)", "bpp": [round(b, 4) for b, _ in pts],
                "psnr": [round(q, 3) for _, q in pts], "source": f"{args.command} → {args.results}"}
        atomic_write_bytes(rd / f"kodak_{name}.json", (json.dumps(data, indent=2) + "\n").encode("utf-8"),
                           overwrite=True)
        print(f"wrote resources/rd/kodak_{name}.json")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("install")
    a.add_argument("--runs", default="runs/zoo")
    a.add_argument("--default-quantizer", default="lvqac")
    a.add_argument("--default-lambda", type=float, default=0.0075)
    a.set_defaults(func=install)
    r = sub.add_parser("record")
    r.add_argument("results")
    r.add_argument("--command", default="scripts/eval_kodak.sh", help="the command that produced RESULTS")
    r.set_defaults(func=record)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
