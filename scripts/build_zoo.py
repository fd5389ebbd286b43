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
import shutil
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lvqac_core.checkpoint import file_sha256  # noqa: E402
from lvqac_core.zoo import MANIFEST_FORMAT, zoo_dir  # noqa: E402


def model_id(architecture: str, quantizer: str, lmbda: float) -> str:
    return f"{architecture}-{quantizer}-{lmbda:g}"


def install(args) -> None:
    out_dir = zoo_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for ckpt in sorted(Path(args.runs).glob("*/model.pt")):
        payload = torch.load(ckpt, map_location="cpu", weights_only=True)
        cfg = payload["config"]
        mid = model_id(cfg["architecture"], cfg["quantizer"], float(cfg["lmbda"]))
        target = out_dir / f"{mid}.pt"
        shutil.copyfile(ckpt, target)
        extra = payload.get("extra") or {}
        entries.append({
            "id": mid, "file": target.name, "sha256": file_sha256(target),
            "architecture": cfg["architecture"], "quantizer": cfg["quantizer"], "lambda": float(cfg["lmbda"]),
            "N": int(cfg["N"]), "M": int(cfg["M"]), "group_size": int(cfg.get("group_size") or cfg["M"]),
            "precision": payload.get("precision", "fp16"), "bytes": target.stat().st_size,
            "kodak": None, "training": extra,
        })
    order = {"scalar": 0, "lvq": 1, "lvqac": 2}
    entries.sort(key=lambda e: (order.get(e["quantizer"], 9), e["lambda"]))
    default = model_id(entries[0]["architecture"], args.default_quantizer, args.default_lambda) if entries else None
    if default not in {e["id"] for e in entries}:
        default = entries[0]["id"] if entries else None
    manifest = {"format": MANIFEST_FORMAT, "default": default, "models": entries}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(e["bytes"] for e in entries)
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
    path = zoo_dir() / "manifest.json"
    manifest = json.loads(path.read_text())
    missing = []
    for e in manifest["models"]:
        if e["id"] in measured:
            e["kodak"] = measured[e["id"]]
        else:
            missing.append(e["id"])
    manifest["kodak_command"] = args.command
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    export_baselines(report, args)
    print(f"recorded Kodak results for {len(manifest['models']) - len(missing)} models" + (f"; missing: {missing}" if missing else ""))


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
        (rd / f"kodak_{name}.json").write_text(json.dumps(data, indent=2) + "\n")
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
