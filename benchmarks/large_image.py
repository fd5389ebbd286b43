"""Per-megapixel cost and peak memory at large sizes: banded transforms vs whole-image ones.

    python -m benchmarks.large_image [--sizes 768x512,4096x4096] [--threads 1] [--variants banded,whole]

Each (variant, size, operation) runs in a fresh process: ``encode`` is
``Codec.compress(rgb, reconstruction=False)`` with the default model, ``decode`` is
``Codec.decompress`` of that file. Reported: wall seconds of the operation, seconds per
megapixel, and the process's peak resident set (VmHWM, which includes ~0.5 GB for torch itself).
``whole`` disables the bands (``LatticeCodecModel.band_pixels`` set huge), i.e. the code before
they were added. Variants alternate, so both see the same machine load.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from benchmarks.bench_common import ROOT, parse_size

CHILD = r"""
import json, sys, time, torch
torch.set_num_threads({threads})
from benchmarks.bench_common import sample_image
from lvqac_core.api import load_model
from lvqac_core.models import LatticeCodecModel
from benchmarks.speed_vs_peer import vm_hwm_kb
if {whole}:
    LatticeCodecModel.band_pixels = 1 << 40
codec = load_model(None, "cpu")
if {op!r} == "encode":
    rgb = sample_image({w}, {h})
    t0 = time.perf_counter()
    data = codec.compress(rgb, reconstruction=False).data
    dt = time.perf_counter() - t0
    open({path!r}, "wb").write(data)
else:
    data = open({path!r}, "rb").read()
    t0 = time.perf_counter()
    codec.decompress(data)
    dt = time.perf_counter() - t0
print(json.dumps({{"seconds": dt, "hwm_mb": vm_hwm_kb() / 1024}}))
"""


def run(op: str, variant: str, w: int, h: int, threads: int, path: str) -> dict:
    code = CHILD.format(bench=str(ROOT / "benchmarks"), threads=threads, whole=variant == "whole", op=op,
                        w=w, h=h, path=path)
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        return {"seconds": float("nan"), "hwm_mb": float("nan"), "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="768x512,4096x4096")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--variants", default="banded,whole")
    args = p.parse_args()
    variants = args.variants.split(",")
    print(f"default model, CPU, {args.threads} thread(s), one run per cell (fresh process each)")
    print(f"{'size':<10} {'variant':<7} {'op':<7} {'seconds':>8} {'s/MP':>7} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            w, h = parse_size(size)
            mp = w * h / 1e6
            for op in ("encode", "decode"):
                for v in variants:
                    r = run(op, v, w, h, args.threads, os.path.join(tmp, f"{v}-{w}x{h}.lvq"))
                    print(f"{w}x{h:<5} {v:<7} {op:<7} {r['seconds']:>8.2f} {r['seconds'] / mp:>7.2f} "
                          f"{r['hwm_mb']:>12.0f}" + (f"  {r['error']}" if "error" in r else ""), flush=True)


if __name__ == "__main__":
    main()
