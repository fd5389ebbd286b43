"""Start-up cost of the command line: one `lvqac compress` end to end, and its phases.

    python -m benchmarks.startup [--image resources/samples/astronaut.png] [--repeats 5]
        [--baseline /path/to/another/checkout] [--threads 1]

Each run is a fresh interpreter (subprocess) with PYTHONPATH set to the tree under test, so the
import time is real. With ``--baseline`` (e.g. ``git archive <commit> | tar -x -C /tmp/base``)
the two trees run interleaved round-robin and the medians compare like with like on a noisy
machine. Phases (import lvqac_core.api, load the default model, compress) are timed inside a
separate run of each tree.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_common import tree_comparison_parser, trees_of  # noqa: E402

PHASES = r"""
import time, json, warnings
warnings.filterwarnings("ignore")
t0 = time.perf_counter()
import torch
torch.set_num_threads({threads})
t1 = time.perf_counter()
import lvqac_core.api as api
t2 = time.perf_counter()
codec = api.load_model(device="cpu")
t3 = time.perf_counter()
res = codec.compress({image!r})
t4 = time.perf_counter()
print(json.dumps({{"import torch": t1 - t0, "import lvqac_core.api (after torch)": t2 - t1,
                  "load default model": t3 - t2, "compress (CLI default: recon + MS-SSIM)": t4 - t3}}))
"""


def _env(tree: Path, threads: int) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS=str(threads))
    return env


def cli_seconds(tree: Path, image: str, threads: int) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lvqac_core.cli", "compress", image, "-o", f"/tmp/startup-bench-{os.getpid()}.lvq",
                    "--force", "--json", "--device", "cpu"], cwd=tree, env=_env(tree, threads), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def phases(tree: Path, image: str, threads: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PHASES.format(threads=threads, image=image)], cwd=tree,
                         env=_env(tree, threads), check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    args = tree_comparison_parser(__doc__).parse_args()
    image = str(Path(args.image).resolve())
    trees = trees_of(args)
    walls: dict[str, list[float]] = {k: [] for k in trees}
    ph: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
    for _ in range(args.repeats):
        for k, tree in trees.items():
            walls[k].append(cli_seconds(tree, image, args.threads))
            ph[k].append(phases(tree, image, args.threads))
    print(f"`lvqac compress {Path(image).name} --json`, fresh interpreter each run, {args.threads} thread(s), "
          f"median of {args.repeats} interleaved runs")
    names = list(ph["this tree"][0])
    print(f"{'':<44}" + "".join(f"{k:>12}" for k in trees))
    print(f"{'CLI end to end (wall s)':<44}" + "".join(f"{statistics.median(walls[k]):>12.2f}" for k in trees))
    for n in names:
        print(f"{'  ' + n:<44}" + "".join(f"{statistics.median([d[n] for d in ph[k]]):>12.2f}" for k in trees))


if __name__ == "__main__":
    main()
