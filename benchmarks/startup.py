"""Start-up cost of the command line: one `lvqac compress` and one `lvqac decompress` end to end,
and the compress's phases.

    python -m benchmarks.startup [--image resources/samples/astronaut.png] [--repeats 5]
        [--baseline /path/to/another/checkout] [--threads 1]

``--threads 0`` leaves the thread count to the program's own policy (no OMP_NUM_THREADS).

Each run is a fresh interpreter (subprocess) with PYTHONPATH set to the tree under test, so the
import time is real. With ``--baseline`` (e.g. ``git archive <commit> | tar -x -C /tmp/base``)
the two trees run interleaved round-robin and the medians compare like with like on a noisy
machine. Phases (import lvqac_core.api, load the default model, compress) are timed inside a
separate run of each tree. The decompress reads the file its tree's compress wrote.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_common import thread_env, tree_comparison_parser, trees_of  # noqa: E402

PHASES = r"""
import time, json, warnings
warnings.filterwarnings("ignore")
t0 = time.perf_counter()
import torch
if {threads}:
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
    return dict(thread_env(threads), PYTHONPATH=str(tree))


def _scratch(tree: Path, suffix: str) -> str:
    return f"/tmp/startup-bench-{os.getpid()}-{abs(hash(str(tree)))}{suffix}"


def cli_seconds(tree: Path, image: str, threads: int) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lvqac_core.cli", "compress", image, "-o", _scratch(tree, ".lvq"),
                    "--force", "--json", "--device", "cpu"], cwd=tree, env=_env(tree, threads), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def cli_decompress_seconds(tree: Path, threads: int) -> float:
    """``lvqac decompress`` of the file :func:`cli_seconds` wrote for this tree."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lvqac_core.cli", "decompress", _scratch(tree, ".lvq"), "-o",
                    _scratch(tree, ".png"), "--force", "--json", "--device", "cpu"], cwd=tree,
                   env=_env(tree, threads), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    dwalls: dict[str, list[float]] = {k: [] for k in trees}
    ph: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
    for _ in range(args.repeats):
        for k, tree in trees.items():
            walls[k].append(cli_seconds(tree, image, args.threads))
            dwalls[k].append(cli_decompress_seconds(tree, args.threads))
            ph[k].append(phases(tree, image, args.threads))
    how = f"{args.threads} thread(s)" if args.threads else "the program's own thread policy"
    print(f"`lvqac compress {Path(image).name} --json`, then `lvqac decompress` of its file, fresh interpreter "
          f"each run, {how}, median of {args.repeats} interleaved runs")
    names = list(ph["this tree"][0])
    print(f"{'':<44}" + "".join(f"{k:>12}" for k in trees))
    print(f"{'CLI compress end to end (wall s)':<44}" + "".join(f"{statistics.median(walls[k]):>12.2f}" for k in trees))
    print(f"{'CLI decompress end to end (wall s)':<44}" + "".join(f"{statistics.median(dwalls[k]):>12.2f}"
                                                                 for k in trees))
    for n in names:
        print(f"{'  ' + n:<44}" + "".join(f"{statistics.median([d[n] for d in ph[k]]):>12.2f}" for k in trees))
    for tree in trees.values():
        for suffix in (".lvq", ".png"):
            Path(_scratch(tree, suffix)).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
