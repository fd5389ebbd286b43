"""Markdown tables for the README from `lvqac eval` results files: per-model Kodak results and
BD-rates of every family against scalar, JPEG, WebP, AVIF and CompressAI's published mbt2018-mean.

    .venv/bin/python -m scripts.zoo_report results/kodak_zoo.json [results/kodak_wide.json ...] [--plot OUT.png]

Several files (measured on the same images) are read as one: their curves side by side, e.g. zoo
v2's tier from scripts/eval_kodak.sh and the wide tier from scripts/eval_kodak_tier.sh. ``--plot``
draws every curve (and the published mbt2018-mean) into one RD plot.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from lvqac_core import zoo  # noqa: E402
from lvqac_core.reference_curves import published_anchor  # noqa: E402
from lvqac_core.evaluation.bdrate import BDError, bd_psnr, bd_rate  # noqa: E402



def curves(report: dict, published: bool = True) -> dict[str, tuple[list[float], list[float]]]:
    """Each curve's (bpp, PSNR) points, plus CompressAI's published mbt2018-mean (Kodak figures:
    ``published=False`` for other images)."""
    out = {}
    for c in report["curves"]:
        pts = sorted((p["bpp"], p["psnr"]) for p in c["points"])
        out[c["name"]] = ([b for b, _ in pts], [q for _, q in pts])
    if published:
        ref = published_anchor()
        out["CompressAI mbt2018-mean (published)"] = (list(ref.bpp), list(ref.psnr))
    return out


def measured_images(report: dict) -> list[str]:
    """The images a results file's curves were measured on (from their per-image rows), sorted."""
    return sorted({r["image"] for c in report["curves"] for p in c["points"] for r in p.get("per_image", [])})


def merged(paths: list[Path]) -> dict:
    """One report of the curves of ``paths`` (the first file's other keys); the files must have
    measured the same images."""
    reports = [json.loads(Path(p).read_text()) for p in paths]
    images = [measured_images(rep) for rep in reports]
    for path, imgs in zip(paths[1:], images[1:]):
        if imgs and images[0] and imgs != images[0]:
            raise SystemExit(f"{path} measured other images than {paths[0]}")
    names = [c["name"] for rep in reports for c in rep["curves"]]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SystemExit(f"curves measured twice: {', '.join(dup)}")
    return {**reports[0], "curves": [c for rep in reports for c in rep["curves"]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reports", nargs="+", type=Path)
    ap.add_argument("--plot", type=Path, help="also draw every curve into this RD plot")
    ap.add_argument("--images", default="kodak",
                    help="what the reports measured (default kodak); other images get no published "
                         "mbt2018-mean column (its figures are Kodak's) and this name in the plot's title")
    args = ap.parse_args()
    report = merged(args.reports)
    zoo_ids = {e.id for e in zoo.list_models()}
    print("| model | λ | bpp (file) | bpp (estimated) | PSNR dB | MS-SSIM | enc s | dec s |")
    print("|---|---|---|---|---|---|---|---|")
    for c in report["curves"]:
        for p in sorted(c["points"], key=lambda p: p["bpp"]):
            if "model_id" not in p:
                continue
            name = p["model_id"] if p["model_id"] in zoo_ids else f"{c['name']} ({p['label']})"  # a checkpoint beside the zoo
            print(f"| {name} | {p['lambda']:g} | {p['bpp']:.4f} | {p['bpp_estimated']:.4f} | {p['psnr']:.2f} | "
                  f"{p['ms_ssim']:.4f} | {p['encode_seconds']:.2f} | {p['decode_seconds']:.2f} |")
    cs = curves(report, published=args.images == "kodak")
    noise = " (noise-trained)"  # the classic baseline: a row and an anchor column of its own
    families = [n for n in cs if n.removesuffix(noise).split()[-1] in ("scalar", "lvq", "lvqac")]
    anchors = [n for n in cs if n not in families or n.endswith(" scalar") or n.endswith(noise)]
    print()
    print("| test ↓ / anchor → | " + " | ".join(anchors) + " |")
    print("|---|" + "---|" * len(anchors))
    for f in families:
        cells = []
        for a in anchors:
            if a == f:
                cells.append("—")
                continue
            try:
                cells.append(f"{bd_rate(*cs[a], *cs[f]):+.1f} % ({bd_psnr(*cs[a], *cs[f]):+.2f} dB)")
            except BDError as e:
                cells.append(f"n/a ({e})")
        print(f"| {f} | " + " | ".join(cells) + " |")
    if args.plot:
        from lvqac_core.evaluation.rdplot import plot_rd

        plot_rd([(n, b, q) for n, (b, q) in cs.items() if not n.startswith("CompressAI mbt2018-mean")], args.plot,
                title=f"RD on {args.images}")


if __name__ == "__main__":
    main()
