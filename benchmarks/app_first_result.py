"""The desktop app's time from launch to its first result, on the bundled sample.

    python -m benchmarks.app_first_result [--image resources/samples/astronaut.png] [--repeats 5]
        [--baseline /path/to/another/checkout] [--threads 1]

Each run is a fresh interpreter (subprocess, ``QT_QPA_PLATFORM=offscreen``) running
``lvqac-gui --screenshot`` on the image with PYTHONPATH set to the tree under test. A small
wrapper hooks the session's ``display_changed`` and prints the wall-clock time at which the
first result is handed to the window; the benchmark subtracts the time just before it started
the process (so interpreter start and every import count). With ``--baseline`` (e.g.
``git archive <commit> | tar -x -C /tmp/base`` plus its resources/models) the trees run
interleaved round-robin and the medians compare like with like on a noisy machine.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_common import tree_comparison_parser, trees_of  # noqa: E402

WRAPPER = r"""
import sys, time
import lvqac_gui.model.state as st
_init = st.Session.__init__
def _hooked(self, *a, **k):
    _init(self, *a, **k)
    def shown(d):
        if d is not None and not getattr(st, "_first_result", None):
            st._first_result = time.time()
            print("FIRST_RESULT", repr(st._first_result), flush=True)
    self.display_changed.connect(shown)
st.Session.__init__ = _hooked
from lvqac_gui.app import main
sys.exit(main(sys.argv[1:]))
"""


def first_result_seconds(tree: Path, image: str, threads: int, shot: str) -> tuple[float, float]:
    """(launch → first result, launch → process exit) in seconds for one fresh app."""
    env = dict(os.environ, PYTHONPATH=str(tree), OMP_NUM_THREADS=str(threads), QT_QPA_PLATFORM="offscreen")
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", WRAPPER, "--screenshot", shot, "--device", "cpu", image],
                         cwd=tree, env=env, capture_output=True, text=True)
    t_exit = time.time() - t0
    for line in out.stdout.splitlines():
        if line.startswith("FIRST_RESULT "):
            return float(line.split()[1]) - t0, t_exit
    raise SystemExit(f"no result from {tree} (exit {out.returncode}): {out.stderr.strip()[-500:]}")


def main() -> None:
    args = tree_comparison_parser(__doc__).parse_args()
    image = str(Path(args.image).resolve())
    trees = trees_of(args)
    first: dict[str, list[float]] = {k: [] for k in trees}
    total: dict[str, list[float]] = {k: [] for k in trees}
    with tempfile.TemporaryDirectory() as tmp:
        shot = str(Path(tmp) / "shot.png")
        for _ in range(args.repeats):
            for k, tree in trees.items():
                f, t = first_result_seconds(tree, image, args.threads, shot)
                first[k].append(f)
                total[k].append(t)
    print(f"lvqac-gui --screenshot {Path(image).name} (offscreen, CPU), fresh process each run, "
          f"OMP_NUM_THREADS={args.threads}, median of {args.repeats} interleaved runs")
    print(f"{'':<36}" + "".join(f"{k:>12}" for k in trees))
    print(f"{'launch → first result (s)':<36}" + "".join(f"{statistics.median(first[k]):>12.2f}" for k in trees))
    print(f"{'launch → exit (s, + screenshot)':<36}" + "".join(f"{statistics.median(total[k]):>12.2f}" for k in trees))
    for k in trees:
        print(f"  {k}: first result " + ", ".join(f"{v:.2f}" for v in first[k]))


if __name__ == "__main__":
    main()
