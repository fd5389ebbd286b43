"""Seconds per megapixel and peak memory of ``lvqac compress`` / ``lvqac decompress`` as a user runs
them (reconstruction, PSNR, MS-SSIM and the bits map on compress; the PNG on decompress), small
photo against large.

    python -m benchmarks.cli_per_megapixel [--sizes 768x512,4096x4096] [--rounds 3] [--threads 1]
        [--quantizer lvqac] [--image PHOTO]

Each (size, command) runs in a fresh process that first runs the same command once on a 64×64
image (imports, model load and first-call set-up are then paid), resets its peak-memory counter
(``/proc/self/clear_refs``), and times the real command through ``lvqac_core.cli.main``: the
whole command's work, reading the input and writing the outputs included, but not the
interpreter's start-up. Sizes alternate within each round, so both see the same machine load;
the table gives the median of the rounds, and the ratio of each size's s/MP to the first size's.
Images: ``--image`` (default: the bundled sample) resized (bicubic) to each size and saved as PNG.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_common import ROOT, parse_size, SAMPLE

CHILD = r"""
import json, sys, time
from lvqac_core.cli import main
args = json.loads(sys.argv[1])
warm, real = args["warm"], args["real"]
if main(warm) != 0:
    raise SystemExit("warm-up failed")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset VmHWM to the current resident set
t0 = time.perf_counter()
rc = main(real)
dt = time.perf_counter() - t0
hwm = 0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1])
print("RESULT " + json.dumps({"rc": rc, "seconds": dt, "hwm_mb": hwm / 1024}))
"""


def run(warm: list[str], real: list[str], threads: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), LVQAC_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps({"warm": warm, "real": real})],
                         env=env, capture_output=True, text=True, cwd=ROOT)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            r = json.loads(line[7:])
            if r["rc"] == 0:
                return r
    raise SystemExit(f"{real}: {out.stderr.strip()[-600:]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="768x512,4096x4096")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quantizer", default="lvqac", choices=("scalar", "lvq", "lvqac"))
    ap.add_argument("--image", default=str(SAMPLE))
    a = ap.parse_args()
    from PIL import Image

    sizes = [parse_size(s) for s in a.sizes.split(",")]
    times: dict[tuple, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp, Image.open(a.image) as src:
        src = src.convert("RGB")
        src.resize((64, 64), Image.BICUBIC).save(f"{tmp}/warm.png")
        for w, h in sizes:
            src.resize((w, h), Image.BICUBIC).save(f"{tmp}/{w}x{h}.png", compress_level=1)
        common = ["--quantizer", a.quantizer, "--force", "--json"]
        warm_c = ["compress", f"{tmp}/warm.png", "-o", f"{tmp}/warm.lvq", *common]
        run(warm_c, warm_c, a.threads)  # writes warm.lvq for the decompress warm-up
        warm_d = ["decompress", f"{tmp}/warm.lvq", "-o", f"{tmp}/warm_out.png", "--force", "--json"]
        for _ in range(a.rounds):
            for w, h in sizes:
                name = f"{tmp}/{w}x{h}"
                r = run(warm_c, ["compress", f"{name}.png", "-o", f"{name}.lvq", *common], a.threads)
                times.setdefault((w, h, "compress"), []).append(r)
                r = run(warm_d, ["decompress", f"{name}.lvq", "-o", f"{name}_out.png", "--force", "--json"],
                        a.threads)
                times.setdefault((w, h, "decompress"), []).append(r)
    print(f"lvqac compress/decompress through lvqac_core.cli.main, {a.quantizer}, {a.threads} thread(s), "
          f"{os.cpu_count()} CPUs, image {Path(a.image).name} resized; median of {a.rounds} rounds")
    print()
    print("| size | command | seconds | s/MP | × first size | peak MB |")
    print("|---|---|---:|---:|---:|---:|")
    first: dict[str, float] = {}
    for (w, h, cmd), rs in times.items():
        sec = statistics.median(r["seconds"] for r in rs)
        per_mp = sec / (w * h / 1e6)
        first.setdefault(cmd, per_mp)
        hwm = max(r["hwm_mb"] for r in rs)
        print(f"| {w}×{h} | {cmd} | {sec:.2f} | {per_mp:.3f} | {per_mp / first[cmd]:.2f} | {hwm:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
