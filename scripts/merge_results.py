"""Replace some curves of an `lvqac eval` results file with those of a newer one (the same images):
re-measure only the networks that changed (e.g. a tier's new LVQ and LVQAC networks) and keep the
others' measurements.

    .venv/bin/python -m scripts.merge_results OLD.json NEW.json -o OUT.json [--drop NAME ...]

OUT holds OLD's curves that NEW does not measure (in OLD's order), then NEW's curves; ``--drop``
also leaves out OLD's curves of these names (a network no longer shipped). The BD rows are
recomputed against OLD's anchor (the first curve's name, when it is still there). The images must
be the same (paths and count), else nothing is written. ``environment`` records both runs.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from lvqac_core.evaluation.evaluate import bd_table
from lvqac_core.files import atomic_write_bytes
from scripts.zoo_report import measured_images


class _Curve:
    """A results file's curve as :func:`bd_table` reads one (name, points, bpp(), psnr())."""

    def __init__(self, d: dict):
        self.name = d["name"]
        self.points = sorted(d["points"], key=lambda p: p["bpp"])

    def bpp(self) -> list[float]:
        return [p["bpp"] for p in self.points]

    def psnr(self) -> list[float]:
        return [p["psnr"] for p in self.points]


def merge(old: dict, new: dict, drop: tuple[str, ...] = ()) -> dict:
    """OLD with NEW's curves in place of its same-named ones (module docstring)."""
    if old.get("num_images") != new.get("num_images") or measured_images(old) != measured_images(new):
        raise ValueError("the two reports measured different images")
    replaced = {c["name"] for c in new["curves"]} | set(drop)
    curves = [c for c in old["curves"] if c["name"] not in replaced] + list(new["curves"])
    anchor = next((row["anchor"] for row in old.get("bd", []) if row.get("anchor")), None)
    rows = bd_table([_Curve(c) for c in curves], anchor=anchor if anchor in {c["name"] for c in curves} else None)
    env = {"merged": [old.get("environment"), new.get("environment")]}
    return {**old, "environment": env, "curves": curves, "bd": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--drop", nargs="+", default=[], metavar="NAME", help="curves of OLD to leave out")
    args = ap.parse_args()
    try:
        out = merge(json.loads(args.old.read_text()), json.loads(args.new.read_text()), tuple(args.drop))
    except ValueError as e:
        raise SystemExit(f"{args.old} + {args.new}: {e}")
    atomic_write_bytes(args.output, (json.dumps(out, indent=2, allow_nan=True) + "\n").encode(), overwrite=True)
    print(f"{args.output}: " + ", ".join(c["name"] for c in out["curves"]))


if __name__ == "__main__":
    main()
