"""The desktop app's time from launch to its first result, on the bundled sample.

    python -m benchmarks.app_first_result [--image resources/samples/astronaut.png] [--repeats 5]
        [--baseline /path/to/another/checkout] [--threads 1] [--busy [--busy-cores 2]]

``--threads 0`` leaves OMP_NUM_THREADS unset (the app's own thread policy, as a user runs it);
``--busy`` adds the same runs with one core held busy by another process, printed beside the
quiet ones (the first result with one core busy); ``--busy-cores 2`` holds both of this machine's
cores, as a two-thread training job beside the app does.

Each run is a fresh interpreter (subprocess, ``QT_QPA_PLATFORM=offscreen``) running
``lvqac-gui --screenshot`` on the image with PYTHONPATH set to the tree under test. A small
wrapper hooks the session's ``display_changed`` and prints the wall-clock time at which the
first result is handed to the window (and when the window first paints); the benchmark
subtracts the time just before it started the process (so interpreter start and every import
count). With ``--baseline`` (e.g.
``git archive <commit> | tar -x -C /tmp/base`` plus its resources/models) the trees run
interleaved round-robin and the medians compare like with like on a noisy machine.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_common import busy_core, thread_env, tree_comparison_parser, trees_of  # noqa: E402

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
import lvqac_gui.qt.main_window as mw
_paint = getattr(mw.MainWindow, "paintEvent", None)
def _painted(self, event):
    if not getattr(mw, "_painted", None):
        mw._painted = time.time()
        print("WINDOW_PAINTED", repr(mw._painted), flush=True)
    return _paint(self, event) if _paint else mw.QMainWindow.paintEvent(self, event)
mw.MainWindow.paintEvent = _painted
from lvqac_gui.app import main
sys.exit(main(sys.argv[1:]))
"""


def first_result_seconds(tree: Path, image: str, threads: int, shot: str) -> tuple[float, float, float]:
    """(launch → first result, launch → process exit, launch → the window's first paint) in
    seconds for one fresh app."""
    env = dict(thread_env(threads), PYTHONPATH=str(tree), QT_QPA_PLATFORM="offscreen")
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", WRAPPER, "--screenshot", shot, "--device", "cpu", image],
                         cwd=tree, env=env, capture_output=True, text=True)
    t_exit = time.time() - t0
    marks = dict(line.split()[:2] for line in out.stdout.splitlines()
                 if line.startswith(("FIRST_RESULT ", "WINDOW_PAINTED ")))
    if "FIRST_RESULT" in marks:
        painted = float(marks["WINDOW_PAINTED"]) - t0 if "WINDOW_PAINTED" in marks else float("nan")
        return float(marks["FIRST_RESULT"]) - t0, t_exit, painted
    raise SystemExit(f"no result from {tree} (exit {out.returncode}): {out.stderr.strip()[-500:]}")


def main() -> None:
    parser = tree_comparison_parser(__doc__)
    parser.add_argument("--busy", action="store_true", help="also run every case with one core held busy")
    parser.add_argument("--busy-cores", type=int, default=1, metavar="N",
                        help="with --busy, hold N cores busy (2 on this machine: every core, as a "
                             "two-thread training job beside the app does)")
    args = parser.parse_args()
    image = str(Path(args.image).resolve())
    trees = trees_of(args)
    loads = ["quiet", "busy"] if args.busy else ["quiet"]
    cases = [(k, load) for load in loads for k in trees]
    first: dict[tuple, list[float]] = {c: [] for c in cases}
    total: dict[tuple, list[float]] = {c: [] for c in cases}
    painted: dict[tuple, list[float]] = {c: [] for c in cases}
    with tempfile.TemporaryDirectory() as tmp:
        shot = str(Path(tmp) / "shot.png")
        for _ in range(args.repeats):
            for k, load in cases:
                with busy_core(load == "busy", args.busy_cores):
                    f, t, p = first_result_seconds(trees[k], image, args.threads, shot)
                first[(k, load)].append(f)
                painted[(k, load)].append(p)
                total[(k, load)].append(t)
    threads = args.threads or "unset (the app's policy)"
    held = f", busy = {args.busy_cores} core(s) held" if args.busy else ""
    print(f"lvqac-gui --screenshot {Path(image).name} (offscreen, CPU), fresh process each run, "
          f"OMP_NUM_THREADS={threads}, median of {args.repeats} interleaved runs{held}")
    names = [f"{k} {load}" if len(loads) > 1 else k for k, load in cases]
    print(f"{'':<36}" + "".join(f"{n:>18}" for n in names))
    print(f"{'launch → window painted (s)':<36}" + "".join(f"{statistics.median(painted[c]):>18.2f}" for c in cases))
    print(f"{'launch → first result (s)':<36}" + "".join(f"{statistics.median(first[c]):>18.2f}" for c in cases))
    print(f"{'launch → exit (s, + screenshot)':<36}" + "".join(f"{statistics.median(total[c]):>18.2f}" for c in cases))
    for c, n in zip(cases, names):
        print(f"  {n}: first result " + ", ".join(f"{v:.2f}" for v in first[c]))


if __name__ == "__main__":
    main()
