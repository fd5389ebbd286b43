"""The budget each training run of a campaign has had so far, as a Markdown table.

    .venv/bin/python -m scripts.campaign_budget [RUNS_DIR ...]      (default: runs/zoo2)

Per run folder (one with a ``resume.pt``): steps done, wall time, CPU-hours (the process's CPU time
as the trainer records it; where a run started before it did, wall time × threads, marked ≈), λ (or
the variable-rate presets), quantizer and the initial checkpoint; a last row sums the CPU-hours. Reads only the trainer's own files (``resume.pt`` is
plain data: tensors, numbers and strings).
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore")


def run_rows(folder: Path) -> list[dict]:
    rows = []
    for resume in sorted(folder.glob("**/resume.pt")):
        st = torch.load(resume, map_location="cpu", weights_only=False)  # our own trainer's file
        c = st["config"]
        threads = int(c.get("threads") or torch.get_num_threads())
        lams = c.get("lambdas") or []
        rows.append({
            "run": str(resume.parent.relative_to(folder)) if resume.parent != folder else folder.name,
            "quantizer": c["quantizer"] + (f" ({c['train_mode']})" if c.get("train_mode") else ""),
            "lambda": f"{lams[0]:g}…{lams[-1]:g} ({len(lams)} presets)" if lams else f"{c['lmbda']:g}",
            "steps": int(st["step"]),
            "hours": float(st.get("elapsed", 0.0)) / 3600,
            "threads": threads,
            "cpu_hours": float(st["cpu_seconds"]) / 3600 if "cpu_seconds" in st else None,
            "estimated": bool(st.get("cpu_estimated", "cpu_seconds" not in st)),
            "init": Path(c["init"]).parent.name + "/" + Path(c["init"]).name if c.get("init") else "scratch",
        })
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="*", default=["runs/zoo2"])
    a = ap.parse_args()
    rows = [r for d in a.runs for r in run_rows(Path(d))]
    if not rows:
        print("no runs found", file=sys.stderr)
        return 1
    print("| run | quantizer | λ | steps | wall h | threads | CPU-h | init |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    for r in rows:
        hours = r["cpu_hours"] if r["cpu_hours"] is not None else r["hours"] * r["threads"]
        cpu = f"≈{hours:.2f}" if r["estimated"] else f"{hours:.2f}"
        print(f"| {r['run']} | {r['quantizer']} | {r['lambda']} | {r['steps']} | {r['hours']:.2f} | {r['threads']} | "
              f"{cpu} | {r['init']} |")
    total = sum(r["cpu_hours"] if r["cpu_hours"] is not None else r["hours"] * r["threads"] for r in rows)
    print(f"| **total** | | | {sum(r['steps'] for r in rows)} | | | **{total:.2f}** | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
