"""Encode and decode time under thread policies, on a quiet machine and with a core held busy.

    .venv/bin/python -m benchmarks.thread_policy [--image kodim23.png] [--rounds 3] [--repeats 5]
        [--configs default 1 2 2-passive] [--model MODEL_ID] [--late SECONDS]

Each configuration runs in a fresh interpreter (thread settings and OpenMP's wait policy are
fixed at start-up), which loads the model once and times ``--repeats`` encodes and decodes as the
command line runs them (reconstruction, PSNR, MS-SSIM and the bits map on encode; the bits map on
decode), printing the medians. Rounds alternate the configurations, each round once quiet and
once **busy**: with a competing process spinning on one core at normal priority (a pure Python
loop, so one core is held whatever the machine's speed). Configurations:

- ``default``: what the project does when nobody asks (:func:`lvqac_core.threads.default_threads`
  and the wait policy ``lvqac_core.threads.configure_openmp`` sets);
- ``N`` (a number): N intra-op threads, OpenMP's own wait policy (libgomp spins before sleeping);
- ``N-passive``: N threads with ``OMP_WAIT_POLICY=PASSIVE`` (waiting threads sleep at once);
- ``N-spinK``: N threads with ``GOMP_SPINCOUNT=K`` (libgomp spins K times, then sleeps; its own
  default is 300 000 spins, ``PASSIVE`` is 0).

``--late S`` starts the busy runs' competing process S seconds after each child has loaded the
model, warmed up and chosen its thread count, instead of before it starts: a load that arrives
while the work runs (what :func:`lvqac_core.threads.recheck` is for).

Printed: one table of median seconds per configuration, quiet and busy, and the busy/best ratio
the issue asks about (busy time over the best of the 1- and 2-thread busy times).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

from benchmarks.bench_common import busy_core

ROOT = Path(__file__).resolve().parent.parent
KODIM23 = ROOT.parent / "shared" / "data" / "kodak" / "kodim23.png"
SAMPLE = ROOT / "resources" / "samples" / "astronaut.png"

CHILD = r"""
import json, statistics, sys, time
import numpy as np
from PIL import Image
from lvqac_core import threads
threads.configure_openmp()
from lvqac_core import api
threads.apply(None if sys.argv[3] == "default" else int(sys.argv[3]))
import torch
codec = api.load_model(sys.argv[2] or None, device="cpu")
img = np.asarray(Image.open(sys.argv[1]).convert("RGB"))
enc, dec = [], []
data = codec.compress(img).data  # warm-up
codec.decompress(data)
print("READY", flush=True)
if len(sys.argv) > 5:
    time.sleep(float(sys.argv[5]))  # the parent starts its competing load meanwhile (--late)
for _ in range(int(sys.argv[4])):
    t0 = time.perf_counter(); data = codec.compress(img).data; enc.append(time.perf_counter() - t0)
    t0 = time.perf_counter(); codec.decompress(data); dec.append(time.perf_counter() - t0)
print(json.dumps({"encode": statistics.median(enc), "decode": statistics.median(dec),
                  "threads": torch.get_num_threads()}))
"""


def run_config(config: str, image: str, model: str, repeats: int, late: Optional[float] = None) -> dict:
    """One fresh process's medians. With ``late``, a competing process starts ``late`` seconds
    after the child is ready (model loaded, warm-up done, thread count chosen) and ends with it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for var in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "LVQAC_THREADS", "LVQAC_OMP_WAIT"):
        env.pop(var, None)
    threads, _, wait = config.partition("-")
    if config != "default":
        env["OMP_NUM_THREADS"] = threads
        env["LVQAC_OMP_WAIT"] = "passive" if wait == "passive" else "openmp"
        if wait.startswith("spin"):
            env["GOMP_SPINCOUNT"] = wait[4:]
    argv = [sys.executable, "-c", CHILD, image, model, threads, str(repeats)]
    if late is None:
        out = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)
        stdout, stderr, code = out.stdout, out.stderr, out.returncode
    else:
        child = subprocess.Popen(argv + ["0.2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, cwd=ROOT)
        lines = []
        for line in child.stdout:  # until the child is ready
            lines.append(line)
            if line.startswith("READY"):
                break
        time.sleep(late)
        with busy_core(True):
            rest, stderr = child.communicate()
        stdout, code = "".join(lines) + rest, child.returncode
    if code != 0:
        raise SystemExit(f"{config}: {stderr.strip()[-800:]}")
    return json.loads(stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", default=str(KODIM23 if KODIM23.exists() else SAMPLE))
    ap.add_argument("--model", default="", help="zoo id or checkpoint (default: the zoo's default)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--configs", nargs="+", default=["default", "1", "2", "2-passive"])
    ap.add_argument("--late", type=float, default=None, metavar="SECONDS",
                    help="busy runs: start the competing process this long after the child has chosen its "
                         "thread count and warmed up (a load that arrives mid-job), not before it starts")
    a = ap.parse_args()
    results: dict[tuple[str, bool], dict[str, list[float]]] = {}
    used_threads: dict[str, int] = {}
    for _ in range(a.rounds):
        for busy in (False, True):
            with busy_core(busy and a.late is None):
                for config in a.configs:
                    r = run_config(config, a.image, a.model, a.repeats, a.late if busy else None)
                    slot = results.setdefault((config, busy), {"encode": [], "decode": []})
                    slot["encode"].append(r["encode"])
                    slot["decode"].append(r["decode"])
                    used_threads[config] = r["threads"]
    med = {k: {s: statistics.median(v) for s, v in d.items()} for k, d in results.items()}
    print(f"image {Path(a.image).name}, model {a.model or 'default'}, {os.cpu_count()} CPUs, "
          f"medians of {a.rounds} rounds × {a.repeats} runs (seconds)")
    print()
    print("| configuration | threads | encode quiet | encode busy | decode quiet | decode busy |")
    print("|---|---:|---:|---:|---:|---:|")
    for c in a.configs:
        q, b = med[(c, False)], med[(c, True)]
        print(f"| {c} | {used_threads[c]} | {q['encode']:.3f} | {b['encode']:.3f} | {q['decode']:.3f} | {b['decode']:.3f} |")
    base = [c for c in ("1", "2") if (c, True) in med]
    if base:
        print()
        print("busy time / best busy time of " + " and ".join(f"{c} thread" for c in base) + ":")
        for stage in ("encode", "decode"):
            best = min(med[(c, True)][stage] for c in base)
            print(f"  {stage}: " + ", ".join(f"{c} {med[(c, True)][stage] / best:.2f}×" for c in a.configs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
