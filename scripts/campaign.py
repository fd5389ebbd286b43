"""The training campaign at a glance: each run's steps, loss trend, hours and its last checkpoint.

    .venv/bin/python -m scripts.campaign status [RUNS_DIR ...]      (default: ../runs/zoo3)
    .venv/bin/python -m scripts.campaign curve RUN_DIR [--images DIR] [--limit N]

``curve`` measures the run's newest checkpoint (``model_latest.pt``, else ``model.pt``) the way
users meet it: ``lvqac eval`` codes real ``.lvq`` files at each of its λ presets on the first N
images of DIR (default: the 24 Kodak images beside the checkout, all of them) and keeps the report
as ``RUN_DIR/curves/step-NNNNNN-IMAGESxN.json``; ``status`` then prints the newest such curve.

Beside each curve both commands print how it compares with what ships, on the same images: the
shipped zoo's and the classical codecs' curves from ``results/kodak_zoo.json`` (``--reference``),
restricted to the curve's images (their per-image figures), as BD-rate over the PSNR range both
cover, and each curve's top PSNR. A run "wins" when it is ahead of the shipped network of its
family over the range they share (issue 27: ship intermediate zoos whenever they win).

Per run folder (one with a ``log.csv``): steps logged, the mean training loss, bpp and PSNR over
the last 500 logged steps against the 500 before them (the trend; training batches mix the
variable-rate presets, so these are averages over presets, not a Kodak figure), wall and CPU hours
(from ``resume.pt``, as ``scripts/campaign_budget.py``) and how old the newest ``resume.pt`` is.
Reads only the trainer's own files.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WINDOW = 500
REFERENCE = Path("results/kodak_zoo.json")


def _window(rows: list[dict], lo: int, hi: int) -> dict | None:
    sel = [r for r in rows if lo < int(r["step"]) <= hi]
    if not sel:
        return None
    return {k: sum(float(r[k]) for r in sel) / len(sel) for k in ("loss", "bpp", "psnr")}


def status(folder: Path, reference: Path = REFERENCE) -> list[str]:
    lines = []
    for log in sorted(folder.glob("**/log.csv")):
        run = log.parent
        with log.open() as f:
            rows = list(csv.DictReader(f))
        if not rows:
            lines.append(f"{run.name}: no steps logged yet")
            continue
        last = int(rows[-1]["step"])
        now, before = _window(rows, last - WINDOW, last), _window(rows, last - 2 * WINDOW, last - WINDOW)
        trend = ""
        if now and before:
            trend = (f"loss {before['loss']:.3f} → {now['loss']:.3f}, bpp {before['bpp']:.3f} → {now['bpp']:.3f}, "
                     f"PSNR {before['psnr']:.2f} → {now['psnr']:.2f} dB (steps {last - 2 * WINDOW}–{last})")
        elif now:
            trend = f"loss {now['loss']:.3f}, bpp {now['bpp']:.3f}, PSNR {now['psnr']:.2f} dB (last {WINDOW} steps)"
        hours = ""
        resume = run / "resume.pt"
        if resume.exists():
            import torch

            st = torch.load(resume, map_location="cpu", weights_only=True)
            cpu = st.get("cpu_seconds")
            hours = f", {float(st.get('elapsed', 0)) / 3600:.2f} h wall" + (f", {float(cpu) / 3600:.2f} CPU-h" if cpu else "")
            hours += f", resume.pt {(time.time() - resume.stat().st_mtime) / 60:.0f} min old"
        lines.append(f"{run.relative_to(folder) if run != folder else run.name}: step {last}{hours}\n    {trend}")
        lines.extend(curve_lines(run, reference))
    return lines


def newest_curve(run: Path) -> Path | None:
    """The newest curve report of a run (by step, then by time), or None."""
    found = sorted((run / "curves").glob("step-*.json"), key=lambda p: (p.name.split("-")[1], p.stat().st_mtime))
    return found[-1] if found else None


def curve_lines(run: Path, reference: Path = REFERENCE) -> list[str]:
    path = newest_curve(run)
    if path is None:
        return []
    report = json.loads(path.read_text())
    out = [f"    coded curve {path.name} ({report['num_images']} images of {Path(report['images']).name}):"]
    for curve in report["curves"]:
        points = sorted(curve["points"], key=lambda p: p["lambda"])
        out.append("      " + "  ".join(f"λ {p['lambda']:g}: {p['bpp']:.3f} bpp {p['psnr']:.2f} dB" for p in points[:5]))
        if len(points) > 5:
            out.append("      " + "  ".join(f"λ {p['lambda']:g}: {p['bpp']:.3f} bpp {p['psnr']:.2f} dB" for p in points[5:]))
    if reference.exists():
        out.extend(comparison_lines(report, json.loads(reference.read_text())))
    return out


def subset_curve(curve: dict, images: set[str]) -> list[tuple[float, float]]:
    """(bpp, PSNR) of each point of a report's curve averaged over ``images`` only (its per-image
    figures); a point that lacks one of the images is left out."""
    points = []
    for p in curve["points"]:
        rows = [r for r in p.get("per_image", []) if r["image"] in images]
        if len(rows) == len(images):
            points.append((sum(r["bpp"] for r in rows) / len(rows), sum(r["psnr"] for r in rows) / len(rows)))
    return sorted(points)


def comparison_lines(report: dict, reference: dict) -> list[str]:
    """BD-rate of each of the report's curves against each reference curve on the report's images."""
    from lvqac_core.evaluation.bdrate import BDError, bd_rate

    out = []
    for curve in report["curves"]:
        images = {r["image"] for p in curve["points"] for r in p.get("per_image", [])}
        ours = subset_curve(curve, images)
        if len(ours) < 2:
            continue
        rows = []
        for ref in reference["curves"]:
            theirs = subset_curve(ref, images)
            if len(theirs) < 2:
                continue
            try:
                bd = f"{bd_rate([r for r, _ in theirs], [d for _, d in theirs], [r for r, _ in ours], [d for _, d in ours]):+.1f} %"
            except BDError:
                bd = "no overlap"
            rows.append(f"{ref['name']} {bd} (top {max(d for _, d in theirs):.2f} dB)")
        if rows:
            out.append(f"    vs {len(images)} images' figures in the reference (BD-rate of this curve; top {max(d for _, d in ours):.2f} dB):")
            out.extend(f"      {r}" for r in rows)
    return out


def checkpoint_step(path: Path) -> int:
    """The trainer's step count recorded in a checkpoint's provenance (``extra['steps']``)."""
    from lvqac_core.checkpoint import read_checkpoint

    return int(read_checkpoint(path).extra.get("steps", 0))


def curve(run: Path, images: Path, limit: int | None, threads: int) -> Path:
    """Code the run's newest checkpoint at its presets on the first ``limit`` images; returns the report."""
    source = run / "model_latest.pt" if (run / "model_latest.pt").exists() else run / "model.pt"
    if not source.exists():
        raise SystemExit(f"{run}: no model_latest.pt or model.pt yet")
    files = sorted(p for p in images.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"))
    files = files[:limit] if limit else files
    if not files:
        raise SystemExit(f"{images}: no images")
    with tempfile.TemporaryDirectory(prefix="lvqac-curve-") as tmp:
        snapshot = Path(tmp) / f"{run.name}.pt"  # the trainer may replace its file while we code
        shutil.copyfile(source, snapshot)
        step = checkpoint_step(snapshot)
        subset = Path(tmp) / images.name
        subset.mkdir()
        for f in files:
            (subset / f.name).symlink_to(f.resolve())
        out = run / "curves" / f"step-{step:06d}-{images.name}x{len(files)}.json"
        out.parent.mkdir(exist_ok=True)
        cmd = [sys.executable, "-m", "lvqac_core.cli", "eval", str(subset), "--model", str(snapshot),
               "--threads", str(threads), "-o", str(out), "--force", "--quiet"]
        subprocess.run(cmd, check=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["status", "curve"])
    ap.add_argument("runs", nargs="*", default=["../runs/zoo3"])
    ap.add_argument("--images", type=Path, default=Path("../shared/data/kodak"), help="curve: image folder")
    ap.add_argument("--limit", type=int, default=None, help="curve: only the first N images (sorted by name)")
    ap.add_argument("--threads", type=int, default=1, help="curve: threads for coding (default 1)")
    ap.add_argument("--reference", type=Path, default=REFERENCE,
                    help=f"an lvqac eval report with per-image figures to compare with (default {REFERENCE})")
    a = ap.parse_args()
    if a.command == "curve":
        for run in a.runs:
            report = curve(Path(run), a.images, a.limit, a.threads)
            print(f"{report}")
            print("\n".join(curve_lines(Path(run), a.reference)))
        return 0
    out = [line for d in a.runs for line in status(Path(d), a.reference)]
    if not out:
        print("no runs found", file=sys.stderr)
        return 1
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
