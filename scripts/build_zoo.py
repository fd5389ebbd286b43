"""Install fine-tuned checkpoints into the zoo and record their measured Kodak results.

    .venv/bin/python -m scripts.build_zoo install [--runs runs/zoo] [--only RUN ...] [--prune]
                                                  [--default-quantizer lvqac --default-lambda 0.0075]
        copies runs/zoo/<run>/model.pt to resources/models/<id>.pt (fp16 as trained) and writes
        resources/models/manifest.json (sha256, N, M, precision, training provenance). A
        variable-rate network (trained with --lambdas) is copied once, to <arch>-<quantizer>-vr.pt,
        and gets one row per λ preset (ids as single-rate models of that λ would have), all naming
        it (``network``, ``lambda_range``). --only installs just those run folders; --prune deletes
        the zoo folder's weights files the new manifest no longer names. --tier NAME records the
        networks' tier (ids and files then name it: <arch>-<tier>-<quantizer>-<λ>, except zoo v2's
        "fast"); --add keeps the manifest's other rows (those of the same network are replaced).
    .venv/bin/python -m scripts.build_zoo tier fast NETWORK ...
        records the tier of rows already installed (their ids, files and figures unchanged).
    .venv/bin/python -m scripts.build_zoo default MODEL_ID
        makes that row the zoo's default (the app's first model; `lvqac compress` without --model).
    .venv/bin/python -m scripts.build_zoo ids TIER [QUANTIZER ...]
        prints the ids of a tier's rows (of those families): what eval_kodak_tier.sh and eval_heldout.sh measure.
    .venv/bin/lvqac eval ../shared/data/kodak --model <every zoo id> ... -o results/kodak_zoo.json
    .venv/bin/python -m scripts.build_zoo record results/kodak_zoo.json
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

from lvqac_core.checkpoint import file_sha256, read_checkpoint  # noqa: E402
from lvqac_core.files import atomic_write_bytes  # noqa: E402
from lvqac_core.zoo import LEGACY_TIER, ZooEntry, list_models, load_manifest, write_manifest, zoo_dir  # noqa: E402


def model_id(architecture: str, quantizer: str, lmbda: float, tier: str | None = None) -> str:
    return f"{_family(architecture, quantizer, tier)}-{lmbda:g}"


def _family(architecture: str, quantizer: str, tier: str | None) -> str:
    """"<arch>-<quantizer>", or "<arch>-<tier>-<quantizer>" for a tier other than zoo v2's."""
    return f"{architecture}-{tier}-{quantizer}" if tier and tier != LEGACY_TIER else f"{architecture}-{quantizer}"


def install(args) -> None:
    out_dir = zoo_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    runs = sorted(Path(args.runs).glob("*/model.pt"))
    if args.only:
        runs = [r for r in runs if r.parent.name in set(args.only)]
        missing = set(args.only) - {r.parent.name for r in runs}
        if missing:
            raise SystemExit(f"no model.pt in {args.runs}/ for: {', '.join(sorted(missing))}")
    for ckpt in runs:
        cfg = read_checkpoint(ckpt).config
        lambdas = [float(v) for v in (cfg.get("lambdas") or [])]
        if lambdas:
            name = f"{_family(cfg['architecture'], cfg['quantizer'], args.tier)}-vr"
        else:
            name = model_id(cfg["architecture"], cfg["quantizer"], float(cfg["lmbda"]), args.tier)
        target = out_dir / f"{name}.pt"
        atomic_write_bytes(target, ckpt.read_bytes(), overwrite=True)
        payload = read_checkpoint(target)
        common = dict(file=target.name, sha256=file_sha256(target), architecture=cfg["architecture"],
                      quantizer=cfg["quantizer"], N=int(cfg["N"]), M=int(cfg["M"]),
                      group_size=int(cfg.get("group_size") or cfg["M"]), precision=payload.precision,
                      file_bytes=target.stat().st_size, kodak=None, training=payload.extra, tier=args.tier)
        if lambdas:
            entries += [ZooEntry(id=model_id(cfg["architecture"], cfg["quantizer"], lam, args.tier), lmbda=lam,
                                 network=name,
                                 lambda_range=(lambdas[0], lambdas[-1]), **common) for lam in lambdas]
        else:
            entries.append(ZooEntry(id=name, lmbda=float(cfg["lmbda"]), **common))
    old = load_manifest(out_dir)
    if args.add:
        new_files = {e.file for e in entries}
        entries = [ZooEntry.from_json(d) for d in old["models"] if d["file"] not in new_files] + entries
    order = {"scalar": 0, "lvq": 1, "lvqac": 2}
    tiers = list(dict.fromkeys(e.tier for e in entries))  # tiers in manifest order, the first (v2's) first
    entries.sort(key=lambda e: (tiers.index(e.tier), order.get(e.quantizer, 9), e.lmbda))
    if args.add and old["default"] in {e.id for e in entries}:
        default = old["default"]
    else:
        default = model_id(entries[0].architecture, args.default_quantizer, args.default_lambda) if entries else None
    if default not in {e.id for e in entries}:
        default = entries[0].id if entries else None
    extra = {k: v for k, v in old.items() if k not in ("format", "default", "models")} if args.add else {}
    write_manifest(entries, default, out_dir, **extra)
    files = {e.file for e in entries}
    total = sum(out_dir.joinpath(f).stat().st_size for f in files)
    print(f"installed {len(entries)} rows from {len(files)} weights files, {total / 2**20:.1f} MiB, default {default}")
    stale = sorted(p for p in out_dir.glob("*.pt") if p.name not in files)
    for p in stale:
        if args.prune:
            p.unlink()
        print(f"{'deleted' if args.prune else 'no longer in the manifest (--prune deletes it)'}: {p.name}")


def set_tier(args) -> None:
    manifest = load_manifest()
    entries = [ZooEntry.from_json(d) for d in manifest["models"]]
    unknown = set(args.networks) - {e.network for e in entries}
    if unknown:
        raise SystemExit(f"no such network in the manifest: {', '.join(sorted(unknown))}")
    entries = [replace(e, tier=args.tier) if e.network in args.networks else e for e in entries]
    write_manifest(entries, manifest["default"], **{k: v for k, v in manifest.items()
                                                    if k not in ("format", "default", "models")})
    print(f"tier {args.tier}: {sum(e.network in args.networks for e in entries)} rows")


def set_default(args) -> None:
    """Make one row the zoo's default (the app's first model, `lvqac compress` without --model)."""
    manifest = load_manifest()
    entries = [ZooEntry.from_json(d) for d in manifest["models"]]
    if args.model_id not in {e.id for e in entries}:
        raise SystemExit(f"no such row in the manifest: {args.model_id}")
    write_manifest(entries, args.model_id, **{k: v for k, v in manifest.items()
                                              if k not in ("format", "default", "models")})
    print(f"default {args.model_id} (was {manifest['default']})")


def print_ids(args) -> None:
    """The ids of one tier's rows (of these quantizers, when named), space-separated: what the
    tier's evaluation scripts measure. Exits 2 when there are none."""
    ids = [e.id for e in list_models() if e.tier == args.tier and (not args.quantizers or e.quantizer in args.quantizers)]
    if not ids:
        print(f"the zoo has no rows of tier {args.tier}" + (f" for {' '.join(args.quantizers)}" if args.quantizers else ""),
              file=sys.stderr)
        raise SystemExit(2)
    print(" ".join(ids))


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
                    "images": report.get("num_images"), "source": str(args.results), "command": args.command,
                }
    manifest = load_manifest()
    entries = [ZooEntry.from_json(d) for d in manifest["models"]]
    missing = [e.id for e in entries if e.id not in measured]
    entries = [replace(e, kodak=measured[e.id]) if e.id in measured else e for e in entries]
    extra = {k: v for k, v in manifest.items() if k not in ("format", "default", "models")}
    if not missing:
        extra["kodak_command"] = args.command  # every row's figures come from this one command
    write_manifest(entries, manifest["default"], **extra)
    export_baselines(report, args)
    print(f"recorded Kodak results for {len(entries) - len(missing)} models"
          + (f"; {len(missing)} rows not in this report keep their figures" if missing else ""))


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
    a.add_argument("--only", nargs="+", metavar="RUN", help="install only these run folders")
    a.add_argument("--prune", action="store_true", help="delete weights files the new manifest does not name")
    a.add_argument("--default-quantizer", default="lvqac")
    a.add_argument("--default-lambda", type=float, default=0.0075)
    a.add_argument("--tier", help="the networks' tier (e.g. wide); ids and files name it")
    a.add_argument("--add", action="store_true", help="keep the manifest's other rows (and its default)")
    a.set_defaults(func=install)
    t = sub.add_parser("tier")
    t.add_argument("tier")
    t.add_argument("networks", nargs="+", metavar="NETWORK")
    t.set_defaults(func=set_tier)
    d = sub.add_parser("default")
    d.add_argument("model_id")
    d.set_defaults(func=set_default)
    i = sub.add_parser("ids")
    i.add_argument("tier")
    i.add_argument("quantizers", nargs="*", metavar="QUANTIZER")
    i.set_defaults(func=print_ids)
    r = sub.add_parser("record")
    r.add_argument("results")
    r.add_argument("--command", default="scripts/eval_kodak.sh", help="the command that produced RESULTS")
    r.set_defaults(func=record)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
