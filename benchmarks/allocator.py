"""The tuned heap (``lvqac_core.allocator``) against glibc's default settings, in fresh processes.

    python -m benchmarks.allocator [--sizes 768x512,1920x1080,3840x2160] [--repeats 5] [--threads 1]

For each size, two fresh processes run the default model through the public API, alternating:
``LVQAC_MALLOC=default`` (glibc's own thresholds) and the tuned heap. Each process encodes
(``Codec.compress(rgb, reconstruction=False)``) and decodes (``Codec.decompress(data,
bits_map=False)``) the sample image ``--repeats`` times after one warm-up pair and reports the
median seconds and minor page faults of each operation, its peak resident set (VmHWM, about
0.6 GB of it torch and the model) and the resident set left after the last decode (VmRSS), which
is what the tuned heap keeps for reuse. The decoded pixels are the same in both (hash printed).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from benchmarks.bench_common import ROOT, parse_size

CHILD = r"""
import hashlib, json, resource, statistics, sys, time, torch
torch.set_num_threads({threads})
from benchmarks.bench_common import sample_image
from lvqac_core import allocator
from lvqac_core.api import load_model

def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) // 1024 for l in f if l.startswith(key))

def run(fn):
    f0, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0

codec = load_model(None, "cpu")
rgb = sample_image({w}, {h})
data = codec.compress(rgb, reconstruction=False).data
image = codec.decompress(data, bits_map=False).image
t = {{"enc": [], "dec": [], "enc faults": [], "dec faults": []}}
for _ in range({repeats}):
    r, s, f = run(lambda: codec.compress(rgb, reconstruction=False))
    t["enc"].append(s); t["enc faults"].append(f)
    r, s, f = run(lambda: codec.decompress(data, bits_map=False))
    t["dec"].append(s); t["dec faults"].append(f)
out = {{k: statistics.median(v) for k, v in t.items()}}
out.update(tuned=allocator.is_tuned(), hwm=status("VmHWM"), rss=status("VmRSS"),
           pixels=hashlib.sha256(r.image.tobytes()).hexdigest()[:12])
print(json.dumps(out))
"""


def child(w: int, h: int, repeats: int, threads: int, tuned: bool) -> dict:
    code = CHILD.format(bench=str(ROOT / "benchmarks"), threads=threads, w=w, h=h, repeats=repeats)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("LVQAC_MALLOC", None)
    if not tuned:
        env["LVQAC_MALLOC"] = "default"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="768x512,1920x1080,3840x2160")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    print(f"default model, CPU, {args.threads} thread(s), median of {args.repeats} per process")
    print(f"{'size':<10} {'heap':<8} {'enc s':>7} {'dec s':>7} {'enc flt':>9} {'dec flt':>9} {'enc x':>6} {'dec x':>6} "
          f"{'peak MB':>8} {'after MB':>9} {'pixels':>13}")
    for size in args.sizes.split(","):
        w, h = parse_size(size)
        res = {}
        for name, tuned in (("default", False), ("tuned", True)):
            res[name] = child(w, h, args.repeats, args.threads, tuned)
            if res[name]["tuned"] != tuned:
                raise SystemExit(f"the {name} process reports tuned={res[name]['tuned']} (not glibc?)")
        base = res["default"]
        for name, r in res.items():
            print(f"{w}x{h:<5} {name:<8} {r['enc']:>7.3f} {r['dec']:>7.3f} {r['enc faults']:>9.0f} {r['dec faults']:>9.0f} "
                  f"{r['enc'] / base['enc']:>6.2f} {r['dec'] / base['dec']:>6.2f} {r['hwm']:>8} {r['rss']:>9} "
                  f"{r['pixels']:>13}", flush=True)


if __name__ == "__main__":
    main()
