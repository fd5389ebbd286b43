"""The training campaign at a glance: each run's steps, loss trend, hours and its last checkpoint.

    .venv/bin/python scripts/campaign.py status [RUNS_DIR ...]      (default: ../runs/zoo3)

Per run folder (one with a ``log.csv``): steps logged, the mean training loss, bpp and PSNR over
the last 500 logged steps against the 500 before them (the trend; training batches mix the
variable-rate presets, so these are averages over presets, not a Kodak figure), wall and CPU hours
(from ``resume.pt``, as ``scripts/campaign_budget.py``) and how old the newest ``resume.pt`` is.
Reads only the trainer's own files.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

WINDOW = 500


def _window(rows: list[dict], lo: int, hi: int) -> dict | None:
    sel = [r for r in rows if lo < int(r["step"]) <= hi]
    if not sel:
        return None
    return {k: sum(float(r[k]) for r in sel) / len(sel) for k in ("loss", "bpp", "psnr")}


def status(folder: Path) -> list[str]:
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
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["status"])
    ap.add_argument("runs", nargs="*", default=["../runs/zoo3"])
    a = ap.parse_args()
    out = [line for d in a.runs for line in status(Path(d))]
    if not out:
        print("no runs found", file=sys.stderr)
        return 1
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
